import { describe, expect, test } from "vitest";
import { pageInit, pageSetLowerUpper, pageSetLsn } from "../storage/page.ts";
import {
  assembleXLogRecord,
  decodeXLogRecord,
  finishXLogRecordCrc,
  XLogDecodeError,
  xlogRecordCrcOk,
} from "./xlog_record.ts";
import { applyPageDelta, computePageDelta } from "./_generic_delta.ts";

const rl = { spcOid: 1663, dbOid: 5, relNumber: 16384 };

function standardPage(fill: number): Uint8Array {
  const p = new Uint8Array(8192);
  pageInit(p, 0);
  pageSetLowerUpper(p, 100, 8000);
  p.fill(fill, 24, 100);
  p.fill(fill + 1, 8000, 8192);
  return p;
}

describe("WAL record format", () => {
  test("a record with blocks, a hole-less image and long main data survives assembly and decoding", () => {
    const page = standardPage(7);
    pageSetLsn(page, 0x100n);
    const main = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const a = assembleXLogRecord({
      rmid: 20,
      info: 0x10,
      xid: 77,
      blocks: [
        { rlocator: rl, forkNum: 0, blockNum: 3, page, standard: true, forceImage: true, data: Uint8Array.of(1, 2, 3) },
        { rlocator: rl, forkNum: 0, blockNum: 4, page, data: Uint8Array.of(9) },
      ],
      mainData: main,
    });
    expect(a.fpiCount).toBe(1);
    finishXLogRecordCrc(a, 0x55n);
    expect(xlogRecordCrcOk(a.bytes)).toBe(true);
    // The hole (pd_lower..pd_upper) is left out of the image.
    expect(a.bytes.length).toBeLessThan(8192 - (8000 - 100) + 400);
    const d = decodeXLogRecord(a.bytes, 0x1000n, 0x2000n);
    expect([d.rmid, d.info, d.xid, d.prev]).toEqual([20, 0x10, 77, 0x55n]);
    expect(d.blocks.map((b) => [b.id, b.blockNum, b.rlocator.relNumber])).toEqual([[0, 3, 16384], [1, 4, 16384]]);
    expect(d.blocks[0].image).toEqual(page);
    expect(d.blocks[0].applyImage).toBe(true);
    expect(d.blocks[0].data).toEqual(Uint8Array.of(1, 2, 3));
    expect(d.blocks[1].image).toBeUndefined();
    expect(d.mainData).toEqual(main);
  });

  test("full-page writes add an image only for pages not changed since the redo point", () => {
    const old = standardPage(1);
    pageSetLsn(old, 0x100n);
    const recent = standardPage(2);
    pageSetLsn(recent, 0x900n);
    const rec = {
      rmid: 20,
      info: 0,
      xid: 0,
      blocks: [
        { rlocator: rl, forkNum: 0 as const, blockNum: 1, page: old, standard: true },
        { rlocator: rl, forkNum: 0 as const, blockNum: 2, page: recent, standard: true },
      ],
    };
    const a = assembleXLogRecord(rec, 0x500n, true);
    expect(a.fpiCount).toBe(1);
    expect(a.fpwLsn).toBe(0x900n);
    expect(assembleXLogRecord(rec, 0x500n, false).fpiCount).toBe(0);
  });

  test("a flipped byte fails the CRC, and malformed headers are named as PostgreSQL does", () => {
    const a = assembleXLogRecord({ rmid: 1, info: 0, xid: 5, mainData: new Uint8Array(8) });
    finishXLogRecordCrc(a, 0n);
    const bad = a.bytes.slice();
    bad[27] ^= 1;
    expect(xlogRecordCrcOk(bad)).toBe(false);
    const bogus = a.bytes.slice();
    bogus[24] = 40; // a block id above XLR_MAX_BLOCK_ID
    expect(() => decodeXLogRecord(bogus, 0x28n, 0x48n)).toThrow(XLogDecodeError);
    expect(() => decodeXLogRecord(bogus, 0x28n, 0x48n)).toThrow("invalid block_id 40 at 0/28");
  });

  test("a generic page delta replays the change exactly (hole zeroed)", () => {
    const cur = standardPage(3);
    const next = cur.slice();
    next[50] = 99;
    next[51] = 98;
    next[60] = 97;
    next[8100] = 1;
    pageSetLowerUpper(next, 120, 7990);
    next.fill(5, 100, 120);
    next.fill(6, 7990, 8000);
    const delta = computePageDelta(cur, next, true);
    expect(delta.length).toBeLessThan(80);
    const replay = cur.slice();
    applyPageDelta(replay, delta);
    replay.fill(0, 120, 7990);
    const expected = next.slice();
    expected.fill(0, 120, 7990);
    expect(replay).toEqual(expected);
    expect(computePageDelta(cur, cur, true).length).toBe(0);
  });
});
