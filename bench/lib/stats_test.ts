import { describe, expect, test } from "vitest";
import { formatNumber, median, ratio, verdict } from "./stats.ts";

describe("stats", () => {
  test("median() takes the middle sample, or the mean of the middle two", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  test("ratio() is candidate / reference and undefined when either is missing", () => {
    expect(ratio(50, 100)).toBe(0.5);
    expect(ratio(undefined, 100)).toBeUndefined();
    expect(ratio(1, 0)).toBeUndefined();
  });

  test("verdict() reads the ratio in the workload's better direction", () => {
    expect(verdict(0.25, "higher", "tps")).toBe("4.0× slower");
    expect(verdict(3, "lower", "ms")).toBe("3.0× slower");
    expect(verdict(0.5, "lower", "ms")).toBe("2.0× faster");
    expect(verdict(2, "lower", "MiB")).toBe("2.0× larger");
    expect(verdict(1.01, "higher", "tps")).toBe("even");
    expect(verdict(undefined, "higher", "tps")).toBe("");
  });

  test("formatNumber() keeps three significant digits for small numbers and groups large ones", () => {
    expect(formatNumber(12345.6)).toBe("12,346");
    expect(formatNumber(1.234)).toBe("1.23");
    expect(formatNumber(undefined)).toBe("-");
  });
});
