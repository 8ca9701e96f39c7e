import { describe, expect, test } from "vitest";
import { AssertionError } from "../common/assert.ts";
import { spinLockAcquire, spinLockFree, spinLockRelease, StuckSpinlockError } from "./mod.ts";
import { _sLock } from "./spin.ts";
import { Scratch } from "./testdata/scratch.ts";
import { startWorkers } from "./testdata/worker_process.ts";
import { testSegmentScope } from "./testdata/test_segment.ts";

const scope = testSegmentScope();

describe("spinlocks", () => {
  test("spinLockAcquire() takes a free lock and spinLockRelease() frees it", () => {
    const seg = scope.create();
    const lock = seg.region("test scratch").offset + Scratch.spinlock;
    expect(spinLockFree(seg, lock)).toBe(true);
    spinLockAcquire(seg, lock);
    expect(spinLockFree(seg, lock)).toBe(false);
    expect(seg.i32[lock >> 2]).toBe(Deno.pid); // the holder is recorded
    spinLockRelease(seg, lock);
    expect(spinLockFree(seg, lock)).toBe(true);
  });

  test("releasing a spinlock that is not held is an assertion failure", () => {
    const seg = scope.create();
    expect(() => spinLockRelease(seg, seg.region("test scratch").offset + Scratch.spinlock)).toThrow(AssertionError);
  });

  test("a lock that is never released ends in `stuck spinlock detected` instead of a hang", () => {
    const seg = scope.create();
    const lock = seg.region("test scratch").offset + Scratch.spinlock;
    seg.i32[lock >> 2] = 4242; // held by a process that will never release it
    let err: unknown;
    try {
      _sLock(seg, lock >> 2, "buffer header", 3);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StuckSpinlockError);
    expect(err).toBeInstanceOf(AssertionError); // crashes the process
    expect((err as Error).message).toMatch(/^stuck spinlock detected at buffer header \(held by PID 4242/);
  });

  test("4 processes x 200,000 spinlock acquisitions update an unprotected counter exactly", async () => {
    const seg = scope.create();
    const count = 200_000;
    const workers = Array.from({ length: 4 }, () => scope.spawn([seg.name, "spinlock", count]));
    await Promise.all(workers.map((w) => w.line(/^ready$/)));
    startWorkers(seg);
    await Promise.all(workers.map((w) => w.line(/"done"/, 120_000)));
    expect((await Promise.all(workers.map((w) => w.status))).map((s) => s.code)).toEqual([0, 0, 0, 0]);
    expect(seg.i32[(seg.region("test scratch").offset + Scratch.counter) >> 2]).toBe(4 * count);
  }, 120_000);
});
