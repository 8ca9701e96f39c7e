import { describe, expect, test } from "vitest";
import { fit, formatBytes, formatDuration, formatRate, formatRatio, formatUptime } from "./_format.ts";

describe("formatting", () => {
  test("formatBytes() uses pg_size_pretty's units of 1024", () => {
    expect(formatBytes(812)).toBe("812 B");
    expect(formatBytes(8192)).toBe("8 kB");
    expect(formatBytes(8000)).toBe("7.8 kB");
    expect(formatBytes(128 * 1024 * 1024)).toBe("128 MB");
  });

  test("formatDuration() is compact at every scale", () => {
    expect(formatDuration(4.25)).toBe("4.3s");
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(192)).toBe("3m12s");
    expect(formatDuration(7380)).toBe("2h03m");
    expect(formatDuration(3 * 86400 + 4 * 3600)).toBe("3d04h");
    expect(formatDuration(-1)).toBe("0.0s");
  });

  test("formatUptime(), formatRate() and formatRatio()", () => {
    expect(formatUptime(3661)).toBe("01:01:01");
    expect(formatUptime(90061)).toBe("1d 01:01:01");
    expect(formatRate(null)).toBe("-");
    expect(formatRate(4)).toBe("4.0");
    expect(formatRate(1234.5)).toBe("1235");
    expect(formatRatio(0.9876)).toBe("98.8%");
    expect(formatRatio(null)).toBe("-");
  });

  test("fit() pads, aligns, cuts with an ellipsis and flattens white space", () => {
    expect(fit("ab", 4)).toBe("ab  ");
    expect(fit("ab", 4, true)).toBe("  ab");
    expect(fit("abcdef", 4)).toBe("abc…");
    expect(fit("a\n  b", 5)).toBe("a b  ");
    expect(fit("abc", 0)).toBe("");
  });
});
