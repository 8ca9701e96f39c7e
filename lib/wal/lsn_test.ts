import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { formatLsn, parseLsn, parseXlogFileName, xlogFileName, xlogSegmentOffset, xlogSegNoOf } from "./lsn.ts";
import {
  SIZE_OF_XLOG_LONG_PHD,
  SIZE_OF_XLOG_SHORT_PHD,
  xlogBytePosToEndRecPtr,
  xlogBytePosToRecPtr,
  xlogGeometry,
  xlogRecPtrToBytePos,
} from "./xlog_page.ts";

describe("LSNs and segment names", () => {
  test("format and parse as PostgreSQL's %X/%X", () => {
    expect(formatLsn(0x1000028n)).toBe("0/1000028");
    expect(formatLsn(0x2_0000_00a0n)).toBe("2/A0");
    expect(parseLsn("16/B374D848")).toBe(0x16b374d848n);
    expect(() => parseLsn("nonsense")).toThrow(RangeError);
  });

  test("segment file names match PostgreSQL's XLogFileName for 16 MB and 1 MB segments", () => {
    expect(xlogFileName(1, 1n, 16 << 20)).toBe("000000010000000000000001");
    expect(xlogFileName(1, 0x100n, 16 << 20)).toBe("000000010000000100000000");
    expect(xlogFileName(1, 0x1234n, 1 << 20)).toBe("000000010000000100000234");
    expect(parseXlogFileName("000000010000000100000234", 1 << 20)).toEqual({ tli: 1, segNo: 0x1234n });
    expect(parseXlogFileName("000000010000000100001000", 1 << 20)).toBeUndefined();
    expect(parseXlogFileName("xlogtemp.123", 1 << 20)).toBeUndefined();
    expect(xlogSegNoOf(0x3000028n, 16 << 20)).toBe(3n);
    expect(xlogSegmentOffset(0x3000028n, 16 << 20)).toBe(0x28);
  });

  test("usable-byte positions convert to LSNs past page headers and back", () => {
    const g = xlogGeometry(1 << 20);
    expect(xlogBytePosToRecPtr(g, 0n)).toBe(BigInt(SIZE_OF_XLOG_LONG_PHD));
    expect(xlogBytePosToRecPtr(g, BigInt(g.usableFirstPage))).toBe(8192n + BigInt(SIZE_OF_XLOG_SHORT_PHD));
    expect(xlogBytePosToEndRecPtr(g, BigInt(g.usableFirstPage))).toBe(8192n);
    expect(xlogBytePosToEndRecPtr(g, BigInt(g.usableSegment))).toBe(1n << 20n);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 1n << 40n }), (pos) => {
      const start = xlogBytePosToRecPtr(g, pos);
      const end = xlogBytePosToEndRecPtr(g, pos);
      expect(xlogRecPtrToBytePos(g, start)).toBe(pos);
      expect(xlogRecPtrToBytePos(g, end)).toBe(pos);
      expect(start - end === 0n || start - end === 24n || start - end === 40n).toBe(true);
    }));
  });
});
