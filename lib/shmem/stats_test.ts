import { afterEach, describe, expect, test } from "vitest";
import { AssertionError } from "../common/assert.ts";
import {
  attachShmemSegment,
  pgstatCountCheckpointer,
  pgstatCountIo,
  pgstatCountWal,
  pgstatCountXact,
  pgstatResetShared,
  pgstatSnapshot,
  procArrayClaimSlot,
  procArrayReleaseSlot,
  type ShmemSegment,
  unlinkShmemSegment,
} from "./mod.ts";
import { DATABASE_STATS_MAX } from "./stats_layout.ts";
import {
  createTestSegment,
  killAll,
  spawnWorker,
  startWorkers,
  type WorkerProcess,
} from "./testdata/worker_process.ts";

let seg: ShmemSegment | undefined;
let workers: WorkerProcess[] = [];

afterEach(async () => {
  await killAll(workers);
  workers = [];
  if (seg !== undefined) {
    unlinkShmemSegment(seg.name);
    seg.detach();
    seg = undefined;
  }
});

describe("statistics counters", () => {
  test("count per backend type, per database and cluster-wide, and read back as plain numbers", () => {
    seg = createTestSegment();
    procArrayClaimSlot(seg, "client backend");
    pgstatCountIo(seg, "hits", 10, 5);
    pgstatCountIo(seg, "reads", 2, 5);
    pgstatCountIo(seg, "extends");
    pgstatCountWal(seg, "bytes", 8192);
    pgstatCountXact(seg, true, 5);
    pgstatCountXact(seg, false, 5);
    pgstatCountXact(seg, true, 6);
    procArrayReleaseSlot(seg);
    procArrayClaimSlot(seg, "checkpointer");
    pgstatCountIo(seg, "writes", 7);
    pgstatCountCheckpointer(seg, "checkpointsTimed");
    pgstatCountCheckpointer(seg, "checkpointWriteTimeUs", 1500.4);
    const s = pgstatSnapshot(seg);
    expect(s.io["client backend"]).toMatchObject({ hits: 10, reads: 2, extends: 1, writes: 0 });
    expect(s.io.checkpointer.writes).toBe(7);
    expect(s.wal["client backend"].bytes).toBe(8192);
    expect(s.xact["client backend"]).toEqual({ commits: 2, rollbacks: 1 });
    expect(s.checkpointer).toMatchObject({ checkpointsTimed: 1, checkpointWriteTimeUs: 1500, checkpointsReq: 0 });
    expect(s.databases).toEqual([
      { oid: 5, xactCommit: 1, xactRollback: 1, blksRead: 2, blksHit: 10 },
      { oid: 6, xactCommit: 1, xactRollback: 0, blksRead: 0, blksHit: 0 },
    ]);
    expect(s.resetAtMs.bgwriter).toBeGreaterThan(0);
  });

  test("a process without a slot cannot count (it has no backend type)", () => {
    seg = createTestSegment();
    expect(() => pgstatCountIo(seg!, "hits")).toThrow(AssertionError);
  });

  test("databases beyond the table still count per backend type", () => {
    seg = createTestSegment();
    procArrayClaimSlot(seg, "client backend");
    for (let oid = 1; oid <= DATABASE_STATS_MAX + 3; oid++) pgstatCountXact(seg, true, oid);
    const s = pgstatSnapshot(seg);
    expect(s.databases.length).toBe(DATABASE_STATS_MAX);
    expect(s.xact["client backend"].commits).toBe(DATABASE_STATS_MAX + 3);
  });

  test("pgstatResetShared() zeroes one group and records when", () => {
    seg = createTestSegment();
    procArrayClaimSlot(seg, "client backend");
    pgstatCountIo(seg, "hits", 3);
    pgstatCountWal(seg, "records", 3);
    const before = pgstatSnapshot(seg).resetAtMs.io;
    pgstatResetShared(seg, "io");
    const s = pgstatSnapshot(seg);
    expect(s.io["client backend"].hits).toBe(0);
    expect(s.wal["client backend"].records).toBe(3);
    expect(s.resetAtMs.io).toBeGreaterThanOrEqual(before);
  });

  test("concurrent processes lose no increments, and a read-only reader sees the totals", async () => {
    seg = createTestSegment();
    const count = 50_000;
    workers = [spawnWorker([seg.name, "count-stats", count]), spawnWorker([seg.name, "count-stats", count])];
    await Promise.all(workers.map((w) => w.line(/^ready$/)));
    startWorkers(seg);
    await Promise.all(workers.map((w) => w.line(/"done"/, 120_000)));
    const reader = attachShmemSegment(seg.name, { readOnly: true });
    try {
      const s = pgstatSnapshot(reader);
      expect(s.io["client backend"].hits).toBe(2 * count);
      expect(s.xact["client backend"]).toEqual({ commits: count, rollbacks: count });
      expect(s.databases).toEqual([{
        oid: 5,
        xactCommit: count,
        xactRollback: count,
        blksRead: 0,
        blksHit: 2 * count,
      }]);
    } finally {
      reader.detach();
    }
  }, 120_000);
});
