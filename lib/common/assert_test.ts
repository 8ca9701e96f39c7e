import { describe, expect, test } from "vitest";
import { assert, AssertionError, unreachable } from "./assert.ts";

describe("assert()", () => {
  test("returns when the condition holds", () => {
    expect(() => assert(1 + 1 === 2, "arithmetic")).not.toThrow();
  });

  test("throws an AssertionError naming the broken condition", () => {
    expect(() => assert(false, "buffer is pinned")).toThrow(new AssertionError("buffer is pinned"));
    expect(() => assert(0)).toThrow("assertion failed");
    try {
      assert(null, "x");
    } catch (e) {
      expect(e).toBeInstanceOf(AssertionError);
      expect((e as Error).name).toBe("AssertionError");
    }
  });
});

describe("unreachable()", () => {
  test("throws an AssertionError showing the unhandled value", () => {
    expect(() => unreachable("weird" as never)).toThrow('unreachable: "weird"');
  });
});
