import { describe, expect, test } from "vitest";
import { errorText, queryMessage, startupMessage } from "./wire.ts";

describe("wire", () => {
  test("startupMessage() encodes length, protocol 3.0 and zero-terminated pairs", () => {
    const m = startupMessage({ user: "u" });
    const dv = new DataView(m.buffer);
    expect(dv.getInt32(0)).toBe(m.length);
    expect(dv.getInt32(4)).toBe(196608);
    expect([...m.subarray(8)]).toEqual([117, 115, 101, 114, 0, 117, 0, 0]);
  });

  test("queryMessage() encodes 'Q', length and the zero-terminated text", () => {
    const m = queryMessage("SELECT 1");
    expect(String.fromCharCode(m[0])).toBe("Q");
    expect(new DataView(m.buffer).getInt32(1)).toBe(4 + 8 + 1);
    expect(m[m.length - 1]).toBe(0);
  });

  test("errorText() renders severity, message and SQLSTATE", () => {
    const enc = new TextEncoder();
    const body = new Uint8Array([...enc.encode("SFATAL\0C53300\0Msorry, too many clients already\0"), 0]);
    expect(errorText(body)).toBe("FATAL: sorry, too many clients already (53300)");
  });
});
