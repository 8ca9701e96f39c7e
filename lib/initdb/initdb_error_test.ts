import { describe, expect, test } from "vitest";
import { InitdbError, osErrorText } from "./initdb_error.ts";

describe("InitdbError", () => {
  test("carries a message, an optional detail and hint", () => {
    const e = new InitdbError("could not do it", { detail: "Because.", hint: "Try again." });
    expect([e.name, e.message, e.detail, e.hint]).toEqual(["InitdbError", "could not do it", "Because.", "Try again."]);
  });
});

describe("osErrorText()", () => {
  test("keeps strerror's words from a Deno file-system error", () => {
    try {
      Deno.readTextFileSync("/nonexistent/denogres/file");
    } catch (e) {
      expect(osErrorText(e)).toBe("No such file or directory");
    }
    // Deno's refusal of a path (e.g. under /proc without --allow-all) is a permission failure, in strerror's words.
    expect(
      osErrorText(new Deno.errors.NotCapable('Requires all access to "/proc/x", run again with the --allow-all flag')),
    )
      .toBe("Permission denied");
    expect(osErrorText(new Error("plain"))).toBe("plain");
    expect(osErrorText("text")).toBe("text");
  });
});
