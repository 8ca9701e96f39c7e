import { describe, expect, test } from "vitest";
import { AssertionError } from "../common/assert.ts";
import {
  attachShmemSegment,
  pgstatCountCheckpointer,
  pgstatCountIo,
  pgstatCountWal,
  pgstatCountXact,
  pgstatReportCheckpoint,
  pgstatReportChecksumFailure,
  pgstatResetShared,
  pgstatSnapshot,
  procArrayClaimSlot,
  procArrayReleaseSlot,
} from "./mod.ts";
import { DATABASE_STATS_MAX } from "./stats_layout.ts";
import { startWorkers } from "./testdata/worker_process.ts";
import { testSegmentScope } from "./testdata/test_segment.ts";

const scope = testSegmentScope();

describe("statistics counters", () => {
  test("count per backend type, per database and cluster-wide, and read back as plain numbers", () => {
    const seg = scope.create();
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
    const none = { checksumFailures: 0, checksumLastFailureMs: null };
    expect(s.databases).toEqual([
      { oid: 5, xactCommit: 1, xactRollback: 1, blksRead: 2, blksHit: 10, ...none },
      { oid: 6, xactCommit: 1, xactRollback: 0, blksRead: 0, blksHit: 0, ...none },
    ]);
    expect(s.resetAtMs.bgwriter).toBeGreaterThan(0);
    expect(s.lastCheckpoint).toBeNull();
  });

  test("shared relations count in the row of database 0; checksum failures are counted with their time", () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "client backend");
    pgstatCountIo(seg, "reads", 4, 0);
    pgstatCountIo(seg, "hits", 1); // no database given: only the backend type's row
    const before = Date.now();
    pgstatReportChecksumFailure(seg, 5);
    pgstatReportChecksumFailure(seg, 5);
    const s = pgstatSnapshot(seg);
    expect(s.databases.find((d) => d.oid === 0)).toMatchObject({ blksRead: 4, blksHit: 0, checksumFailures: 0 });
    const db5 = s.databases.find((d) => d.oid === 5)!;
    expect(db5.checksumFailures).toBe(2);
    expect(db5.checksumLastFailureMs).toBeGreaterThanOrEqual(before);
    expect(s.io["client backend"]).toMatchObject({ reads: 4, hits: 1 });
  });

  test("pgstatReportCheckpoint() records the last checkpoint's start and end; a bgwriter reset keeps them", () => {
    const seg = scope.create();
    pgstatReportCheckpoint(seg, 1_000, 3_500);
    pgstatReportCheckpoint(seg, 10_000, 12_250);
    pgstatCountCheckpointer(seg, "checkpointsReq");
    pgstatResetShared(seg, "bgwriter");
    const s = pgstatSnapshot(seg);
    expect(s.lastCheckpoint).toEqual({ startMs: 10_000, endMs: 12_250 });
    expect(s.checkpointer.checkpointsReq).toBe(0);
  });

  test("a process without a slot cannot count (it has no backend type)", () => {
    const seg = scope.create();
    expect(() => pgstatCountIo(seg, "hits")).toThrow(AssertionError);
  });

  test("databases beyond the table still count per backend type", () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "client backend");
    for (let oid = 1; oid <= DATABASE_STATS_MAX + 3; oid++) pgstatCountXact(seg, true, oid);
    const s = pgstatSnapshot(seg);
    expect(s.databases.length).toBe(DATABASE_STATS_MAX);
    expect(s.xact["client backend"].commits).toBe(DATABASE_STATS_MAX + 3);
  });

  test("pgstatResetShared() zeroes one group and records when", () => {
    const seg = scope.create();
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
    const seg = scope.create();
    const count = 50_000;
    const workers = [scope.spawn([seg.name, "count-stats", count]), scope.spawn([seg.name, "count-stats", count])];
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
        checksumFailures: 0,
        checksumLastFailureMs: null,
      }]);
    } finally {
      reader.detach();
    }
  }, 120_000);
});
