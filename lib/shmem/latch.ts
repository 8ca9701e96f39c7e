/**
 * latch.ts — each process's latch: a wake-up word in its process-array slot
 * that anyone can set and only the owner waits on and resets.
 *
 * PostgreSQL counterpart: src/backend/storage/ipc/latch.c (SetLatch,
 * ResetLatch, WaitLatch with WL_LATCH_SET | WL_TIMEOUT).
 *
 * NOTES
 * The word is 1 when set. {@link setLatch} sets it and, if it was clear,
 * futex-wakes the owner; it may be called from any process, and from a
 * signal listener of the owner itself (the owner's wait runs on a worker
 * thread, so its event loop runs the listener, whose setLatch makes the
 * futex return). {@link waitLatch} returns at once if the latch is set,
 * else sleeps until set or timeout, and resets the latch before returning
 * "set". No wake-up is lost: the sleep only starts while the word is still
 * 0 (the kernel compares), and a set after the reset stays set for the next
 * wait. Callers loop: wait, then check their flags and work. One waiter per
 * process at a time (the process's main loop), as in PostgreSQL: two
 * concurrent waitLatch calls would race for one set. See README.md.
 *
 * @module
 */

import { futexWaitAsync, futexWake } from "./futex.ts";
import { ProcSlotOffset, procSlotOffset } from "./proc_array_layout.ts";
import type { ShmemSegment } from "./segment.ts";
import { pgstatReportWaitEnd, pgstatReportWaitStart } from "./wait_event.ts";

/** Why {@link waitLatch} returned. */
export type WaitLatchResult = "set" | "timeout";

/**
 * Sets a process's latch and wakes it (SetLatch). Cheap when already set.
 *
 * @param seg the segment (read-write)
 * @param procNo the target's slot (its own, from a signal listener, is fine)
 */
export function setLatch(seg: ShmemSegment, procNo: number): void {
  const offset = procSlotOffset(seg, procNo) + ProcSlotOffset.latch;
  if (Atomics.exchange(seg.i32, offset >> 2, 1) === 0) futexWake(seg, offset);
}

/**
 * Waits until this process's latch is set or `timeoutMs` passes, keeping the
 * event loop running (WaitLatch). Resets the latch when it returns "set".
 *
 * Lock contract: the caller holds no spinlock or LWLock.
 *
 * @param seg the segment; this process holds a slot
 * @param timeoutMs longest wait (Infinity: none)
 * @param waitEvent wait event to publish meanwhile (e.g. `waitEventInfo("Activity", "CheckpointerMain")`), 0 for none
 * @returns "set" or "timeout"
 * @example
 * ```ts
 * for (;;) {
 *   await waitLatch(seg, 1000, CHECKPOINTER_MAIN);
 *   if (shutdownRequested) break;
 *   doWork();
 * }
 * ```
 */
export async function waitLatch(seg: ShmemSegment, timeoutMs: number, waitEvent = 0): Promise<WaitLatchResult> {
  const offset = _myLatch(seg);
  const w = offset >> 2;
  if (Atomics.exchange(seg.i32, w, 0) === 1) return "set";
  const deadline = performance.now() + timeoutMs;
  if (waitEvent !== 0) pgstatReportWaitStart(seg, waitEvent);
  try {
    for (;;) {
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) return "timeout";
      await futexWaitAsync(seg, offset, 0, remainingMs);
      if (Atomics.exchange(seg.i32, w, 0) === 1) return "set";
    }
  } finally {
    if (waitEvent !== 0) pgstatReportWaitEnd(seg);
  }
}

function _myLatch(seg: ShmemSegment): number {
  const procNo = seg.local.procNo;
  if (procNo < 0) throw new TypeError("waitLatch needs a process-array slot");
  return procSlotOffset(seg, procNo) + ProcSlotOffset.latch;
}
