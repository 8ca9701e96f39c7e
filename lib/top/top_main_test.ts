import { describe, expect, test } from "vitest";
import { parseIntervalMs } from "./top_main.tsx";

describe("parseIntervalMs()", () => {
  test("accepts seconds, with decimals, within the limits", () => {
    expect(parseIntervalMs("1")).toBe(1000);
    expect(parseIntervalMs("0.25")).toBe(250);
    expect(parseIntervalMs("2.5")).toBe(2500);
    expect(parseIntervalMs("60")).toBe(60000);
  });

  test("refuses anything else with one line naming the value", () => {
    for (const bad of ["0.1", "61", "abc", "", "-1", "1e3", "1s"]) {
      expect(() => parseIntervalMs(bad)).toThrow(`invalid interval "${bad}": must be between 0.25 and 60 seconds`);
    }
  });
});
