import { afterEach, describe, expect, test } from "vitest";
import { SqlError } from "../common/errors.ts";
import { pgstatSnapshot, type ShmemSegment } from "../shmem/mod.ts";
import { pageGetLsn, pageInit } from "../storage/page.ts";
import { smgrCreate, smgrNblocks, smgrRead, smgrWrite } from "../storage/smgr.ts";
import { claimSlot, cleanup, makeDataDir, makeSegment, testSettings } from "../storage/testdata/storage_fixture.ts";
import { genericXLogFinish, genericXLogRegisterBuffer, genericXLogStart } from "../wal/generic_xlog.ts";
import { startupXlog } from "../wal/startup.ts";
import { getFlushRecPtr } from "../wal/xlog.ts";
import {
  bufferGetPage,
  bufferLocalPinCount,
  bufferReleaseAll,
  dropRelationBuffers,
  flushRelationBuffers,
  lockBuffer,
  P_NEW,
  readBuffer,
  releaseBuffer,
  unlockReleaseBuffer,
} from "./bufmgr.ts";
import { bufferPoolSummary } from "./buf_summary.ts";

const rl = { spcOid: 1663, dbOid: 5, relNumber: 16384 };
let seg: ShmemSegment | undefined;
let dir: string | undefined;

afterEach(() => {
  bufferReleaseAll();
  cleanup(seg, dir);
  seg = dir = undefined;
});

async function setup(): Promise<void> {
  const settings = testSettings({ shared_buffers: 16 });
  dir = makeDataDir(settings);
  seg = makeSegment(settings);
  claimSlot(seg);
  await startupXlog(seg, dir, settings);
  smgrCreate(rl, 0);
}

/** Appends a block whose special space's first byte (8176) is `v`, WAL-logged. */
function addBlock(v: number): number {
  const buf = readBuffer(rl, 0, P_NEW);
  lockBuffer(buf, "exclusive");
  const st = genericXLogStart();
  const p = genericXLogRegisterBuffer(st, buf);
  pageInit(p, 16);
  p[8176] = v;
  genericXLogFinish(st);
  unlockReleaseBuffer(buf);
  return buf;
}

describe("buffer manager", () => {
  test("more pages than buffers: clock sweep evicts, written pages are re-read intact and WAL came first", async () => {
    await setup();
    for (let i = 0; i < 40; i++) addBlock(i);
    expect(smgrNblocks(rl, 0)).toBe(40);
    const s = bufferPoolSummary(seg!);
    expect(s).toMatchObject({ sizeBuffers: 16, usedBuffers: 16, pinnedBuffers: 0 });
    expect(s.usageCountHistogram.reduce((a, b) => a + b)).toBe(16);
    // Evicted pages went to disk, and only after the WAL covering them was flushed.
    const disk = new Uint8Array(8192);
    smgrRead(rl, 0, 0, disk);
    expect(disk[8176]).toBe(0);
    expect(pageGetLsn(disk)).toBeGreaterThan(0n);
    expect(getFlushRecPtr()).toBeGreaterThanOrEqual(pageGetLsn(disk));
    for (let i = 0; i < 40; i++) {
      const buf = readBuffer(rl, 0, i);
      lockBuffer(buf, "share");
      expect(bufferGetPage(buf)[8176]).toBe(i);
      unlockReleaseBuffer(buf);
    }
  });

  test("pins are counted per process and released on the error path", async () => {
    await setup();
    const b = addBlock(1);
    const again = readBuffer(rl, 0, 0);
    const twice = readBuffer(rl, 0, 0);
    expect(again).toBe(b);
    expect(bufferLocalPinCount(twice)).toBe(2);
    releaseBuffer(twice);
    expect(bufferLocalPinCount(again)).toBe(1);
    expect(bufferReleaseAll()).toBe(1);
    expect(bufferPoolSummary(seg!).pinnedBuffers).toBe(0);
  });

  test("when every buffer is pinned, a new page fails with no unpinned buffers available", async () => {
    await setup();
    for (let i = 0; i < 16; i++) addBlock(i);
    for (let i = 0; i < 16; i++) readBuffer(rl, 0, i);
    expect(() => readBuffer(rl, 0, P_NEW)).toThrow("no unpinned buffers available");
  });

  test("a page whose checksum fails on read is an ERROR naming the block, XX001", async () => {
    await setup();
    addBlock(7);
    addBlock(8);
    flushRelationBuffers(rl);
    dropRelationBuffers(rl, 0, 0);
    const raw = new Uint8Array(8192);
    smgrRead(rl, 0, 1, raw);
    raw[4000] ^= 0xff;
    smgrWrite(rl, 0, 1, raw);
    try {
      readBuffer(rl, 0, 1);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SqlError);
      expect((e as SqlError).sqlstate).toBe("XX001");
      expect((e as SqlError).message).toBe("invalid page in block 1 of relation base/5/16384");
    }
    // The failed read left nothing pinned, and a retry fails the same way instead of using the page.
    expect(bufferPoolSummary(seg!).pinnedBuffers).toBe(0);
    expect(() => readBuffer(rl, 0, 1)).toThrow("invalid page in block 1 of relation base/5/16384");
    // Each failed verification counts in pg_stat_database's checksum_failures for the page's database.
    expect(pgstatSnapshot(seg!).databases.find((d) => d.oid === 5)?.checksumFailures).toBe(2);
    const ok = readBuffer(rl, 0, 0);
    lockBuffer(ok, "share");
    expect(bufferGetPage(ok)[8176]).toBe(7);
    unlockReleaseBuffer(ok);
  });
});
