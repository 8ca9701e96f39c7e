import { describe, expect, test } from "vitest";
import { AssertionError } from "../common/assert.ts";
import {
  lwlockAcquire,
  lwlockAcquireOrWait,
  lwlockConditionalAcquire,
  lwlockHeldByMe,
  lwlockHeldByMeInMode,
  lwlockRelease,
  lwlockReleaseAll,
  lwlockTrancheName,
  mainLWLock,
  procArrayClaimSlot,
  procArraySnapshot,
  type ShmemSegment,
} from "./mod.ts";
import { Scratch } from "./testdata/scratch.ts";
import { startWorkers } from "./testdata/worker_process.ts";
import { testSegmentScope } from "./testdata/test_segment.ts";

const scope = testSegmentScope();

const MULTI_PROCESS_TIMEOUT_MS = 120_000;

function claimed(): ShmemSegment {
  const seg = scope.create();
  procArrayClaimSlot(seg, "client backend");
  return seg;
}

describe("lwlock in one process", () => {
  test("lwlockAcquire() in shared mode admits several holders and blocks exclusive", () => {
    const s = claimed();
    const lock = mainLWLock(s, "ProcArrayLock");
    lwlockAcquire(s, lock, "shared");
    expect(lwlockConditionalAcquire(s, lock, "shared")).toBe(true);
    expect(lwlockConditionalAcquire(s, lock, "exclusive")).toBe(false);
    expect(lwlockHeldByMeInMode(s, lock, "shared")).toBe(true);
    expect(lwlockHeldByMeInMode(s, lock, "exclusive")).toBe(false);
    lwlockRelease(s, lock);
    lwlockRelease(s, lock);
    expect(lwlockHeldByMe(s, lock)).toBe(false);
    expect(lwlockConditionalAcquire(s, lock, "exclusive")).toBe(true);
    expect(lwlockConditionalAcquire(s, lock, "shared")).toBe(false);
    lwlockRelease(s, lock);
  });

  test("lwlockReleaseAll() releases every held lock, as on an error path", () => {
    const s = claimed();
    const a = mainLWLock(s, "XidGenLock");
    const b = mainLWLock(s, "BufferMapping", 7);
    lwlockAcquire(s, a, "exclusive");
    lwlockAcquire(s, b, "shared");
    expect(s.local.heldLWLocks.length).toBe(2);
    lwlockReleaseAll(s);
    expect(s.local.heldLWLocks.length).toBe(0);
    expect(lwlockConditionalAcquire(s, a, "exclusive")).toBe(true);
    expect(lwlockConditionalAcquire(s, b, "exclusive")).toBe(true);
    lwlockReleaseAll(s);
  });

  test("lwlockRelease() of a lock not held is an assertion failure naming the tranche", () => {
    const s = claimed();
    expect(() => lwlockRelease(s, mainLWLock(s, "WALWriteLock"))).toThrow(AssertionError);
    expect(() => lwlockRelease(s, mainLWLock(s, "WALWriteLock"))).toThrow("lock WALWrite is not held");
  });

  test("lwlockAcquireOrWait() takes a free lock", () => {
    const s = claimed();
    const lock = mainLWLock(s, "WALWriteLock");
    expect(lwlockAcquireOrWait(s, lock, "exclusive")).toBe(true);
    expect(lwlockHeldByMe(s, lock)).toBe(true);
    lwlockRelease(s, lock);
  });

  test("main locks carry PostgreSQL's tranche names", () => {
    const s = claimed();
    expect(lwlockTrancheName(s, mainLWLock(s, "ProcArrayLock"))).toBe("ProcArray");
    expect(lwlockTrancheName(s, mainLWLock(s, "BufferMapping", 127))).toBe("BufferMapping");
    expect(lwlockTrancheName(s, mainLWLock(s, "LockManager", 0))).toBe("LockManager");
    expect(() => mainLWLock(s, "BufferMapping", 128)).toThrow(RangeError);
  });

  test("taking an LWLock without a process-array slot is an assertion failure", () => {
    const seg = scope.create();
    expect(() => lwlockAcquire(seg, mainLWLock(seg, "ProcArrayLock"), "shared")).toThrow(AssertionError);
  });
});

describe("lwlock across processes", () => {
  test("4 processes x 200,000 exclusive acquisitions update an unprotected counter exactly", async () => {
    const seg = scope.create();
    const count = 200_000;
    const workers = Array.from({ length: 4 }, () => scope.spawn([seg.name, "lwlock-exclusive", count]));
    await Promise.all(workers.map((w) => w.line(/^ready$/)));
    startWorkers(seg);
    const results = await Promise.all(workers.map((w) => w.line(/"done"/, MULTI_PROCESS_TIMEOUT_MS)));
    const statuses = await Promise.all(workers.map((w) => w.status));
    expect(statuses.map((st) => st.code)).toEqual([0, 0, 0, 0]);
    expect(results.map((r) => JSON.parse(r).done)).toEqual([count, count, count, count]);
    expect(seg.i32[(seg.region("test scratch").offset + Scratch.counter) >> 2]).toBe(4 * count);
    expect(procArraySnapshot(seg)).toEqual([]); // every worker released its slot
  }, MULTI_PROCESS_TIMEOUT_MS);

  test("shared-mode readers never see a writer's half-done update", async () => {
    const seg = scope.create();
    const count = 50_000;
    const workers = [
      scope.spawn([seg.name, "lwlock-writer", count]),
      scope.spawn([seg.name, "lwlock-writer", count]),
      scope.spawn([seg.name, "lwlock-reader", count]),
      scope.spawn([seg.name, "lwlock-reader", count]),
    ];
    await Promise.all(workers.map((w) => w.line(/^ready$/)));
    startWorkers(seg);
    const results = (await Promise.all(workers.map((w) => w.line(/"done"/, MULTI_PROCESS_TIMEOUT_MS))))
      .map((r) => JSON.parse(r));
    expect(results.map((r) => r.mismatches)).toEqual([0, 0, 0, 0]);
    const base = seg.region("test scratch").offset;
    expect(seg.i32[(base + Scratch.a) >> 2]).toBe(2 * count);
    expect(seg.i32[(base + Scratch.b) >> 2]).toBe(2 * count);
  }, MULTI_PROCESS_TIMEOUT_MS);

  test("a process waiting for an LWLock shows wait event LWLock/<tranche> until the holder releases", async () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "client backend");
    const lock = seg.region("test scratch").offset + Scratch.lwlock;
    lwlockAcquire(seg, lock, "exclusive");
    const waiter = scope.spawn([seg.name, "wait-lwlock"]);
    await waiter.line(/^waiting/);
    let row;
    for (let i = 0; i < 600 && row?.waitEvent !== "BufferContent"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = procArraySnapshot(seg).find((r) => r.pid === waiter.pid);
    }
    expect(row?.waitEventType).toBe("LWLock");
    expect(row?.waitEvent).toBe("BufferContent");
    lwlockRelease(seg, lock);
    await waiter.line(/^acquired$/);
    expect((await waiter.status).code).toBe(0);
  }, MULTI_PROCESS_TIMEOUT_MS);

  test("lwlockAcquireOrWait() waits for a held lock to be free and returns without taking it", async () => {
    const seg = scope.create();
    procArrayClaimSlot(seg, "client backend");
    const lock = seg.region("test scratch").offset + Scratch.lwlock;
    lwlockAcquire(seg, lock, "exclusive");
    const waiters = [scope.spawn([seg.name, "acquire-or-wait"]), scope.spawn([seg.name, "acquire-or-wait"])];
    await Promise.all(waiters.map((w) => w.line(/^waiting/)));
    for (let i = 0; i < 600; i++) {
      const rows = procArraySnapshot(seg).filter((r) => waiters.some((w) => w.pid === r.pid));
      if (rows.length === 2 && rows.every((r) => r.waitEventType === "LWLock")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    lwlockRelease(seg, lock);
    const results = await Promise.all(waiters.map(async (w) => JSON.parse(await w.line(/acquired/)).acquired));
    expect(results).toEqual([false, false]);
    expect(lwlockConditionalAcquire(seg, lock, "exclusive")).toBe(true); // nobody took it
    lwlockRelease(seg, lock);
  }, MULTI_PROCESS_TIMEOUT_MS);
});
