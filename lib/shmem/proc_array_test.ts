import { describe, expect, test } from "vitest";
import { AssertionError } from "../common/assert.ts";
import { SqlError } from "../common/errors.ts";
import {
  lwlockAcquire,
  mainLWLock,
  pgstatBestart,
  pgstatGetCrashedBackendActivity,
  pgstatReportActivity,
  pgstatReportAppname,
  pgstatReportWaitEnd,
  pgstatReportWaitStart,
  pgstatReportXactTimestamp,
  procArrayAuxProcNo,
  procArrayCheckCancelKey,
  procArrayClaimSlot,
  procArrayDelayChkptEnd,
  procArrayDelayChkptStart,
  procArrayDelayingChkpt,
  procArrayFindPid,
  procArrayHaveFreeSlots,
  procArrayReleaseSlot,
  procArraySetXid,
  procArraySetXmin,
  procArraySnapshot,
  procArrayStillDelayingChkpt,
  type ShmemSegment,
  waitEventInfo,
} from "./mod.ts";
import { procArrayGeometry, ProcSlotOffset, procSlotOffset } from "./proc_array_layout.ts";
import { Scratch } from "./testdata/scratch.ts";
import { startWorkers } from "./testdata/worker_process.ts";
import { testSegmentScope } from "./testdata/test_segment.ts";

const scope = testSegmentScope();

/** Claims a slot of `type` as if from another process (another pid in the claim word). */
function occupy(s: ShmemSegment, procNo: number, pid: number): void {
  s.i32[(procSlotOffset(s, procNo) + ProcSlotOffset.claim) >> 2] = pid;
}

describe("procArrayClaimSlot()", () => {
  test("sizes the array as max_connections + autovacuum_max_workers + 5 auxiliary slots", () => {
    const seg = scope.create({ max_connections: 7, autovacuum_max_workers: 2 });
    expect(procArrayGeometry(seg).slotCount).toBe(7 + 2 + 5);
    expect(procArrayAuxProcNo(seg, "startup")).toBe(9);
    expect(procArrayAuxProcNo(seg, "autovacuum launcher")).toBe(13);
  });

  test("client backends get the lowest free client slot and a cancel key", () => {
    const seg = scope.create({ max_connections: 3 });
    occupy(seg, 0, 999_999);
    const claim = procArrayClaimSlot(seg, "client backend");
    expect(claim.procNo).toBe(1);
    expect(Number.isInteger(claim.cancelKey)).toBe(true);
    expect(seg.local.procNo).toBe(1);
    expect(procArrayFindPid(seg, Deno.pid)).toBe(1);
    expect(procArrayCheckCancelKey(seg, Deno.pid, claim.cancelKey)).toBe("match");
    expect(procArrayCheckCancelKey(seg, Deno.pid, claim.cancelKey + 1)).toBe("wrong key");
    expect(procArrayCheckCancelKey(seg, 999_999, claim.cancelKey)).toBe("no process");
  });

  test("a full set of client slots gives FATAL 53300 `sorry, too many clients already`", () => {
    const seg = scope.create({ max_connections: 2 });
    occupy(seg, 0, 999_998);
    occupy(seg, 1, 999_999);
    expect(procArrayHaveFreeSlots(seg, 1)).toBe(false);
    let err: unknown;
    try {
      procArrayClaimSlot(seg, "client backend");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SqlError);
    expect((err as SqlError).sqlstate).toBe("53300");
    expect((err as SqlError).severity).toBe("FATAL");
    expect((err as SqlError).message).toBe("sorry, too many clients already");
    // Autovacuum workers and auxiliary processes have their own slots.
    expect(procArrayClaimSlot(seg, "autovacuum worker").procNo).toBe(2);
  });

  test("each auxiliary process has one fixed slot; a second one is an assertion failure", () => {
    const seg = scope.create();
    const procNo = procArrayAuxProcNo(seg, "checkpointer");
    occupy(seg, procNo, 999_999);
    expect(() => procArrayClaimSlot(seg, "checkpointer")).toThrow(AssertionError);
    expect(procArrayClaimSlot(seg, "walwriter").procNo).toBe(procArrayAuxProcNo(seg, "walwriter"));
  });

  test("procArrayReleaseSlot() releases held LWLocks and frees the slot for reuse", () => {
    const seg = scope.create();
    const { procNo } = procArrayClaimSlot(seg, "client backend");
    lwlockAcquire(seg, mainLWLock(seg, "ProcArrayLock"), "exclusive");
    procArrayReleaseSlot(seg);
    expect(seg.local.heldLWLocks).toEqual([]);
    expect(procArrayFindPid(seg, Deno.pid)).toBe(-1);
    expect(procArraySnapshot(seg)).toEqual([]);
    expect(procArrayClaimSlot(seg, "client backend").procNo).toBe(procNo);
  });
});

describe("procArraySnapshot()", () => {
  test("shows what pg_stat_activity shows for a session", () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "client backend");
    pgstatBestart(seg, {
      databaseOid: 5,
      databaseName: "postgres",
      userOid: 10,
      userName: "alice",
      applicationName: "psql",
      clientAddr: "127.0.0.1",
      clientPort: 40000,
    });
    pgstatReportXactTimestamp(seg, 1000);
    pgstatReportActivity(seg, "active", "select pg_sleep(10)");
    pgstatReportWaitStart(seg, waitEventInfo("Timeout", "PgSleep"));
    procArraySetXid(seg, 0xfffffff0);
    procArraySetXmin(seg, 700);
    const [row] = procArraySnapshot(seg);
    expect(row).toMatchObject({
      pid: Deno.pid,
      backendType: "client backend",
      state: "active",
      waitEventType: "Timeout",
      waitEvent: "PgSleep",
      databaseOid: 5,
      databaseName: "postgres",
      userOid: 10,
      userName: "alice",
      applicationName: "psql",
      clientAddr: "127.0.0.1",
      clientPort: 40000,
      xactStartMs: 1000,
      query: "select pg_sleep(10)",
      backendXid: 0xfffffff0,
      backendXmin: 700,
    });
    expect(row.queryStartMs).toBe(row.stateChangeMs);
    pgstatReportWaitEnd(seg);
    pgstatReportAppname(seg, "app 2");
    pgstatReportActivity(seg, "idle");
    const [after] = procArraySnapshot(seg);
    expect(after).toMatchObject({
      state: "idle",
      waitEvent: null,
      applicationName: "app 2",
      query: "select pg_sleep(10)",
    });
  });

  test("auxiliary processes have no state, database or client; Unix-socket clients show port -1", () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "checkpointer");
    expect(procArraySnapshot(seg)[0]).toMatchObject({
      backendType: "checkpointer",
      state: null,
      databaseOid: null,
      userName: null,
      clientAddr: null,
      clientPort: null,
      query: "",
    });
    procArrayReleaseSlot(seg);
    procArrayClaimSlot(seg, "client backend");
    pgstatBestart(seg, {
      databaseOid: 5,
      databaseName: "db",
      userOid: 10,
      userName: "u",
      applicationName: "",
      clientAddr: "",
      clientPort: -1,
    });
    expect(procArraySnapshot(seg)[0]).toMatchObject({ clientAddr: null, clientPort: -1 });
  });

  test("truncates a long query to track_activity_query_size - 1 bytes without splitting a character", () => {
    const seg = scope.create({ track_activity_query_size: 100 });
    procArrayClaimSlot(seg, "client backend");
    const query = "select '" + "é".repeat(100) + "'";
    pgstatReportActivity(seg, "active", query);
    const shown = procArraySnapshot(seg)[0].query;
    expect(new TextEncoder().encode(shown).length).toBeLessThanOrEqual(99);
    expect(query.startsWith(shown)).toBe(true);
    expect(shown.length).toBe(8 + 45); // "select '" + 45 two-byte characters = 98 bytes
  });

  test("readers never see a half-written slot while its owner rewrites it in another process", async () => {
    const seg = scope.create();
    // The writer rewrites its slot until this reader has checked enough rows (however the two are scheduled), or
    // gives up after `maxWrites`.
    const maxWrites = 100_000_000;
    const wanted = 2_000;
    const writer = scope.spawn([seg.name, "activity-writer", maxWrites]);
    await writer.line(/^ready$/);
    startWorkers(seg);
    let checked = 0;
    let rounds = 0;
    const done = writer.line(/"done"/, 120_000);
    let finished = false;
    done.then(() => (finished = true));
    const stop = (seg.region("test scratch").offset + Scratch.stop) >> 2;
    while (!finished) {
      if (checked >= wanted) Atomics.store(seg.i32, stop, 1);
      for (const row of procArraySnapshot(seg).filter((r) => r.pid === writer.pid && r.query !== "")) {
        const m = /^select (\d+) \/\* (x*) \*\/$/.exec(row.query);
        expect(m).not.toBeNull();
        const i = Number(m![1]);
        expect(m![2].length).toBe(i % 200);
        expect(row.state).toBe(i % 2 === 0 ? "active" : "idle");
        expect(row.queryStartMs).toBe(row.stateChangeMs);
        checked++;
      }
      if (++rounds % 64 === 0) await new Promise((r) => setTimeout(r, 0)); // let the worker's output in
    }
    expect(checked).toBeGreaterThanOrEqual(wanted);
    expect((await writer.status).code).toBe(0);
  }, 120_000);

  test("procArrayDelayingChkpt() sees commits in their window; a later window of the same process does not count", () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "client backend");
    expect(procArrayDelayingChkpt(seg).size).toBe(0);
    procArrayDelayChkptStart(seg);
    const delaying = procArrayDelayingChkpt(seg);
    expect([...delaying.keys()]).toEqual([seg.local.procNo]);
    expect(procArrayStillDelayingChkpt(seg, delaying)).toBe(true);
    procArrayDelayChkptEnd(seg);
    expect(procArrayStillDelayingChkpt(seg, delaying)).toBe(false);
    procArrayDelayChkptStart(seg); // a new commit, after the checkpoint looked
    expect(procArrayStillDelayingChkpt(seg, delaying)).toBe(false);
    procArrayDelayChkptEnd(seg);
    expect(() => procArrayDelayChkptEnd(seg)).toThrow(AssertionError);
  });
});

describe("pgstatGetCrashedBackendActivity()", () => {
  test("reads a dead backend's query, active or last run, from its unreleased slot", () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "client backend");
    expect(pgstatGetCrashedBackendActivity(seg, Deno.pid)).toBeUndefined(); // nothing run yet
    pgstatReportActivity(seg, "active", "select pg_sleep(30)");
    expect(pgstatGetCrashedBackendActivity(seg, Deno.pid)).toBe("select pg_sleep(30)");
    pgstatReportActivity(seg, "idle");
    expect(pgstatGetCrashedBackendActivity(seg, Deno.pid)).toBe("select pg_sleep(30)");
    expect(pgstatGetCrashedBackendActivity(seg, 999_999)).toBeUndefined();
    procArrayReleaseSlot(seg); // an orderly exit leaves nothing to report
    expect(pgstatGetCrashedBackendActivity(seg, Deno.pid)).toBeUndefined();
  });

  test("keeps printable ASCII, newlines and tabs; every other byte becomes `?`", () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "autovacuum worker");
    pgstatReportActivity(seg, "active", "select 'héllo',\n\tchr(7) -- \u0007");
    expect(pgstatGetCrashedBackendActivity(seg, Deno.pid)).toBe("select 'h??llo',\n\tchr(7) -- ?");
  });

  test("cuts the text at min(buffer, track_activity_query_size) - 1 bytes, as LogChildExit's 1024-byte buffer", () => {
    const big = scope.create({ track_activity_query_size: 2048 });
    procArrayClaimSlot(big, "client backend");
    pgstatReportActivity(big, "active", "x".repeat(2000));
    expect(pgstatGetCrashedBackendActivity(big, Deno.pid)).toBe("x".repeat(1023));
    expect(pgstatGetCrashedBackendActivity(big, Deno.pid, 10)).toBe("x".repeat(9));
    const small = scope.create({ track_activity_query_size: 100 });
    procArrayClaimSlot(small, "client backend");
    pgstatReportActivity(small, "active", "y".repeat(200));
    expect(pgstatGetCrashedBackendActivity(small, Deno.pid)).toBe("y".repeat(99));
  });

  test("auxiliary processes are never reported (PostgreSQL searches the first MaxBackends entries only)", () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "walwriter");
    pgstatReportActivity(seg, "active", "not a query");
    expect(pgstatGetCrashedBackendActivity(seg, Deno.pid)).toBeUndefined();
  });
});
