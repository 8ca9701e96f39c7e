import { describe, expect, test } from "vitest";
import { SqlError } from "../common/errors.ts";
import { RecvBuffer, utf8Verified } from "./recv_buffer.ts";

const bytes = (hex: string) => new Uint8Array(hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);

function error(f: () => unknown): [string, string] | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof SqlError) return [e.sqlstate, e.message];
    throw e;
  }
  return undefined;
}

describe("RecvBuffer", () => {
  test("reads big-endian values and counts what is left", () => {
    const b = new RecvBuffer(bytes("00010000000200000000000000030140000000ff"));
    expect([b.int16(), b.int32(), b.int64(), b.byte()]).toEqual([1, 2, 3n, 1]);
    expect(b.remaining).toBe(5);
    expect(b.float32()).toBe(2);
    expect(b.remaining).toBe(1);
  });

  test("reading past the end is 08P01 as pq_getmsg*", () => {
    expect(error(() => new RecvBuffer(bytes("0001")).int32())).toEqual(["08P01", "insufficient data left in message"]);
    expect(error(() => new RecvBuffer(bytes("")).byte())).toEqual(["08P01", "no data left in message"]);
  });
});

describe("utf8Verified()", () => {
  test("accepts UTF-8 and names the bytes of an invalid character as pg_verify_mbstr", () => {
    expect(utf8Verified(bytes("61f0908080c3a9"))).toBe("a\u{10000}é");
    const bad = (hex: string) => error(() => utf8Verified(bytes(hex)));
    const msg = (shown: string) => ["22021", `invalid byte sequence for encoding "UTF8": ${shown}`];
    expect(bad("610062")).toEqual(msg("0x00"));
    expect(bad("e228a1")).toEqual(msg("0xe2 0x28 0xa1"));
    expect(bad("61c3")).toEqual(msg("0xc3"));
    expect(bad("eda080")).toEqual(msg("0xed 0xa0 0x80")); // a surrogate
    expect(bad("c0af")).toEqual(msg("0xc0 0xaf")); // overlong
    expect(bad("f4908080")).toEqual(msg("0xf4 0x90 0x80 0x80")); // above U+10FFFF
    expect(bad("ff")).toEqual(msg("0xff"));
  });
});
