import { afterEach, describe, expect, test } from "vitest";
import {
  pgstatSnapshot,
  procArrayDelayChkptEnd,
  procArrayDelayChkptStart,
  procArrayDelayingChkpt,
  procArraySnapshot,
  type ShmemSegment,
} from "../shmem/mod.ts";
import { claimSlot, cleanup, makeDataDir, makeSegment, testSettings } from "../storage/testdata/storage_fixture.ts";
import { createCheckPoint } from "../wal/checkpoint.ts";
import { CheckpointFlags } from "../wal/checkpointer_shmem.ts";
import { startupXlog } from "../wal/startup.ts";
import { getFlushRecPtr } from "../wal/xlog.ts";
import { checkPointClog } from "./clog.ts";
import { getNewTransactionId, readNextFullTransactionId } from "./varsup.ts";
import {
  abortTransaction,
  commitTransaction,
  transactionIdDidAbort,
  transactionIdDidCommit,
  transactionIdStatus,
} from "./xact.ts";

let seg: ShmemSegment | undefined;
let dir: string | undefined;
afterEach(() => {
  cleanup(seg, dir);
  seg = dir = undefined;
});

describe("transactions", () => {
  test("xids come from shared memory; commit is durable when it returns; abort is not flushed", async () => {
    const settings = testSettings();
    dir = makeDataDir(settings);
    seg = makeSegment(settings);
    claimSlot(seg);
    await startupXlog(seg, dir, settings);
    expect(readNextFullTransactionId(seg)).toBe(3n);
    const x1 = getNewTransactionId(seg);
    expect(x1).toBe(3);
    expect(procArraySnapshot(seg).find((p) => p.pid === Deno.pid)?.backendXid).toBe(3);
    expect(transactionIdStatus(x1)).toBe("in progress");
    const end = commitTransaction(seg, x1, { synchronousCommit: "on", fsync: true });
    expect(getFlushRecPtr()).toBeGreaterThanOrEqual(end);
    expect(transactionIdDidCommit(x1)).toBe(true);
    expect(procArraySnapshot(seg).find((p) => p.pid === Deno.pid)?.backendXid).toBeNull();

    const x2 = getNewTransactionId(seg);
    const flushedBefore = getFlushRecPtr();
    const abortEnd = abortTransaction(seg, x2);
    expect(abortEnd).toBeGreaterThan(flushedBefore);
    expect(getFlushRecPtr()).toBe(flushedBefore);
    expect(transactionIdDidAbort(x2)).toBe(true);

    const x3 = getNewTransactionId(seg);
    const asyncEnd = commitTransaction(seg, x3, { synchronousCommit: "off", fsync: true });
    expect(transactionIdDidCommit(x3)).toBe(true);
    // Writing the pg_xact page flushes WAL past the asynchronous commit first.
    checkPointClog();
    expect(getFlushRecPtr()).toBeGreaterThanOrEqual(asyncEnd);
    expect(transactionIdStatus(1)).toBe("committed");
    const s = pgstatSnapshot(seg);
    expect(s.xact["client backend"]).toEqual({ commits: 2, rollbacks: 1 });
  });

  test("a checkpoint waits for a commit caught between its record and its status (DELAY_CHKPT_START)", async () => {
    const settings = testSettings();
    dir = makeDataDir(settings);
    seg = makeSegment(settings);
    claimSlot(seg);
    await startupXlog(seg, dir, settings);
    // This process stands for a committer inside commitTransaction's window.
    procArrayDelayChkptStart(seg);
    let done = false;
    const checkpoint = createCheckPoint(
      { seg, dataDir: dir, settings },
      CheckpointFlags.FORCE | CheckpointFlags.IMMEDIATE,
    )
      .then((r) => {
        done = true;
        return r;
      });
    await new Promise((r) => setTimeout(r, 200));
    expect(done).toBe(false);
    procArrayDelayChkptEnd(seg);
    expect((await checkpoint).performed).toBe(true);
    // A commit's window opened and closed by commitTransaction itself leaves nothing delaying.
    commitTransaction(seg, getNewTransactionId(seg), { synchronousCommit: "on", fsync: true });
    expect(procArrayDelayingChkpt(seg).size).toBe(0);
  });
});
