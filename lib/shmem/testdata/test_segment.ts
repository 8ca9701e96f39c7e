/**
 * test_segment.ts — the set-up and clean-up every shared-memory test shares:
 * a test segment (the test plays the postmaster) and worker processes,
 * removed after each test whatever its outcome.
 *
 * PostgreSQL counterpart: none (test harness).
 *
 * NOTES
 * Call {@link testSegmentScope} once at the top of a test file: it registers
 * an `afterEach` that kills the test's workers (SIGKILL, then waits), releases
 * this process's process-array slot if it claimed one, and unlinks and
 * unmaps the segment. Separate from worker_process.ts, which the benchmark
 * also imports and which must not load vitest.
 *
 * @module
 */

import { afterEach } from "vitest";
import { procArrayReleaseSlot, type ShmemSegment, unlinkShmemSegment } from "../mod.ts";
import { createTestSegment, killAll, spawnWorker, type WorkerProcess } from "./worker_process.ts";

/** What a test file uses to make its segment and workers. */
export interface TestSegmentScope {
  /** Creates this test's segment (see createTestSegment); cleaned up after the test. */
  create(overrides?: Record<string, number>): ShmemSegment;
  /** Starts a lock_worker.ts process (see spawnWorker); killed after the test. */
  spawn(args: readonly (string | number)[]): WorkerProcess;
  /** Makes `seg` the test's segment instead (after resetShmemSegment replaced it); returns it. */
  adopt(seg: ShmemSegment): ShmemSegment;
}

/**
 * Registers the per-test clean-up and returns the scope to create with.
 *
 * @returns the scope
 * @example
 * ```ts
 * const scope = testSegmentScope();
 * test("…", async () => {
 *   const seg = scope.create();
 *   const w = scope.spawn([seg.name, "spinlock", 1000]);
 * });
 * ```
 */
export function testSegmentScope(): TestSegmentScope {
  let seg: ShmemSegment | undefined;
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    await killAll(workers.splice(0));
    if (seg === undefined) return;
    if (seg.local.procNo >= 0) procArrayReleaseSlot(seg);
    unlinkShmemSegment(seg.name);
    seg.detach();
    seg = undefined;
  });
  return {
    create: (overrides) => (seg = createTestSegment(overrides)),
    adopt: (s) => (seg = s),
    spawn: (args) => {
      const w = spawnWorker(args);
      workers.push(w);
      return w;
    },
  };
}
