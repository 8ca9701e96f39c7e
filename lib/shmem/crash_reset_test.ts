import { expect, test } from "vitest";
import { procArrayFindPid, procArraySnapshot, resetShmemSegment } from "./mod.ts";
import { Scratch, SCRATCH_REGION } from "./testdata/scratch.ts";
import { startWorkers } from "./testdata/worker_process.ts";
import { GucSettings } from "../config/mod.ts";
import { lwlockInitialize, lwlockTrancheId, SHMEM_REGIONS } from "./mod.ts";
import { testSegmentScope } from "./testdata/test_segment.ts";

const scope = testSegmentScope();

const TIMEOUT_MS = 120_000;

test("a process SIGKILLed while holding an LWLock is handled by a crash reset: new generation, no hang", async () => {
  let seg = scope.create();
  const name = seg.name;
  expect(seg.generation).toBe(1);

  // A holder takes the lock; a second process queues behind it.
  const holder = scope.spawn([name, "hold-lwlock"]);
  await holder.line(/^holding/);
  const waiter = scope.spawn([name, "wait-lwlock"]);
  await waiter.line(/^waiting/);
  for (let i = 0; i < 600; i++) {
    if (procArraySnapshot(seg).find((r) => r.pid === waiter.pid)?.waitEventType === "LWLock") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(procArraySnapshot(seg).find((r) => r.pid === waiter.pid)?.waitEvent).toBe("BufferContent");

  // The holder crashes. As the postmaster's reaper: a signal death is a crash.
  holder.child.kill("SIGKILL");
  const holderStatus = await holder.status;
  expect(holderStatus.success).toBe(false);
  expect(holderStatus.signal).toBe("SIGKILL");
  // Its slot stays claimed: it is never reused before the reset.
  expect(procArrayFindPid(seg, holder.pid)).toBeGreaterThanOrEqual(0);

  // Crash reset: discard first, so the queued waiter exits at once (quickdie, status 2) rather than hang.
  seg.setState("discarded");
  const waiterStatus = await waiter.status;
  expect(waiterStatus.code).toBe(2);
  expect(waiter.lines).not.toContain("acquired");

  // Every child is gone: re-create the segment under the same name with generation + 1.
  const settings = GucSettings.defaults().with("shared_buffers", 16, "command line").with(
    "max_connections",
    10,
    "command line",
  );
  seg = scope.adopt(resetShmemSegment(seg, settings, {
    regions: [...SHMEM_REGIONS, SCRATCH_REGION],
    initialize: (s) => lwlockInitialize(s, s.region("test scratch").offset, lwlockTrancheId("BufferContent")),
  }));
  expect(seg.name).toBe(name);
  expect(seg.generation).toBe(2);
  expect(seg.state).toBe("ready");
  expect(procArraySnapshot(seg)).toEqual([]);

  // New workers proceed: the lock is free and slots are available.
  const fresh = [scope.spawn([name, "lwlock-exclusive", 1000]), scope.spawn([name, "lwlock-exclusive", 1000])];
  await Promise.all(fresh.map((w) => w.line(/^ready$/)));
  startWorkers(seg);
  await Promise.all(fresh.map((w) => w.line(/"done"/, TIMEOUT_MS)));
  expect((await Promise.all(fresh.map((w) => w.status))).map((s) => s.code)).toEqual([0, 0]);
  expect(seg.i32[(seg.region("test scratch").offset + Scratch.counter) >> 2]).toBe(2000);
}, TIMEOUT_MS);

test("a process spinning on a spinlock whose holder died exits when the crash reset discards the segment", async () => {
  const seg = scope.create();
  const lock = seg.region("test scratch").offset + Scratch.spinlock;
  seg.i32[lock >> 2] = 4242; // taken by a process that died holding it
  const spinner = scope.spawn([seg.name, "wait-spinlock"]);
  await spinner.line(/^waiting/);
  await new Promise((r) => setTimeout(r, 100)); // let it reach the sleeping back-off
  seg.setState("discarded");
  expect((await spinner.status).code).toBe(2);
  expect(spinner.lines).not.toContain("acquired");
}, TIMEOUT_MS);
