import { describe, expect, test } from "vitest";
import { crc32c, CRC32C_INIT, crc32cFinal, crc32cUpdate } from "./crc32c.ts";

const enc = new TextEncoder();

function bitwiseCrc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe("crc32c", () => {
  test("matches the published check value and RFC 3720 vectors", () => {
    expect(crc32c(enc.encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  test("slicing-by-8 agrees with the bitwise definition for every length and alignment", () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= data.length; end++) {
        expect(crc32c(data, start, end)).toBe(bitwiseCrc32c(data.subarray(start, end)));
      }
    }
  });

  test("a running CRC over pieces equals the CRC of the whole", () => {
    const data = enc.encode("The quick brown fox jumps over the lazy dog");
    const running = crc32cUpdate(crc32cUpdate(CRC32C_INIT, data, 0, 13), data, 13);
    expect(crc32cFinal(running)).toBe(crc32c(data));
    expect(crc32c(data)).toBe(0x22620404);
  });
});
