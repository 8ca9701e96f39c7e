/**
 * lwlock.ts — lightweight locks: shared and exclusive modes, an atomic state
 * word, a wait queue of process numbers in shared memory, and sleeping on
 * the waiter's own futex semaphore.
 *
 * PostgreSQL counterpart: src/backend/storage/lmgr/lwlock.c (LWLockAcquire,
 * LWLockConditionalAcquire, LWLockAcquireOrWait, LWLockRelease,
 * LWLockReleaseAll, LWLockHeldByMe, LWLockWakeup, LWLockQueueSelf,
 * LWLockDequeueSelf), with PostgreSQL 16's pending-wakeup wait state.
 *
 * NOTES
 * A lock is 16 bytes anywhere in the segment (4-byte aligned): state word,
 * tranche id, wait-queue head and tail (process number + 1; 0 = empty), so
 * an all-zero lock is a valid free lock. State word bits: exclusive
 * (1 << 24), shared count (bits 0-23), has-waiters, release-blocked (set
 * while a woken waiter has not yet run, so a release does not wake a crowd;
 * PostgreSQL's RELEASE_OK inverted so zero is the initial state) and
 * wait-list-locked (a spin bit protecting the queue and the queued
 * processes' links). Waiters sleep on their slot's `lwSem` futex semaphore;
 * a blocking wait, since nothing else may run while a process waits for a
 * lock. The wait is uninterruptible, as in PostgreSQL, but wakes every
 * {@link LWLOCK_WAIT_POLL_MS} to check the segment: if it was discarded
 * (crash reset) or the postmaster died, the process exits at once with
 * status 2, as PostgreSQL's quickdie. A process records held locks in
 * `seg.local.heldLWLocks` and must release them on error paths with
 * {@link lwlockReleaseAll}. A holder that dies (SIGKILL) leaves the lock
 * held: the postmaster's crash reset discards the segment and its waiters.
 * Every lock-taking process must hold a process-array slot.
 *
 * @module
 */

import { assert, AssertionError } from "../common/assert.ts";
import { futexWait, futexWake } from "./futex.ts";
import {
  LWLOCK_TRANCHE_NAMES,
  MAIN_LWLOCK_COUNT,
  MAIN_LWLOCK_STRIDE_BYTES,
  mainLWLockIndex,
  mainLWLockTrancheOf,
} from "./lwlock_names.ts";
import type { IndividualLWLockName, MainLWLockTrancheName } from "./lwlock_names.ts";
import { ProcSlotOffset, procSlotOffset } from "./proc_array_layout.ts";
import type { ShmemSegment } from "./segment.ts";
import { SpinDelay } from "./spin.ts";
import { pgstatReportWaitEnd, pgstatReportWaitStart } from "./wait_event.ts";

/** Lock modes. */
export type LWLockMode = "exclusive" | "shared";

/** Bytes of an LWLock (state, tranche, queue head, queue tail). */
export const LWLOCK_SIZE_BYTES = 16;
/** Most LWLocks one process holds at once (MAX_SIMUL_LWLOCKS). */
export const LWLOCKS_HELD_MAX = 200;
/** A waiter wakes this often to check whether its segment was abandoned. */
export const LWLOCK_WAIT_POLL_MS = 100;

const _FLAG_HAS_WAITERS = 1 << 30;
const _FLAG_RELEASE_BLOCKED = 1 << 29;
const _FLAG_LOCKED = 1 << 28;
const _VAL_EXCLUSIVE = 1 << 24;
const _VAL_SHARED = 1;
const _LOCK_MASK = (1 << 25) - 1;

// Wait event class of LWLock waits (PG_WAIT_LWLOCK); the event id is the tranche id.
const _WAIT_EVENT_LWLOCK = 0x01 << 24;

// Offsets in the lock, in i32 words.
const _STATE = 0;
const _TRANCHE = 1;
const _HEAD = 2;
const _TAIL = 3;

// Wait modes (lwWaitMode) and wait states (lwWaiting).
const _MODE_EXCLUSIVE = 0;
const _MODE_SHARED = 1;
const _MODE_WAIT_UNTIL_FREE = 2;
const _NOT_WAITING = 0;
const _WAITING = 1;
const _PENDING_WAKEUP = 2;

/**
 * Initialises a lock: free, empty queue, given tranche (LWLockInitialize).
 * Only while no other process can use it (segment creation, or its owner's
 * region initialisation).
 *
 * @param seg the segment (read-write)
 * @param offset byte offset of the 16-byte lock, 4-byte aligned
 * @param trancheId from `lwlockTrancheId()`
 */
export function lwlockInitialize(seg: ShmemSegment, offset: number, trancheId: number): void {
  assert(offset % 4 === 0, "LWLock is 4-byte aligned");
  assert(trancheId >= 0 && trancheId < LWLOCK_TRANCHE_NAMES.length, "LWLock tranche id is known");
  const w = offset >> 2;
  seg.i32[w + _STATE] = 0;
  seg.i32[w + _TRANCHE] = trancheId;
  seg.i32[w + _HEAD] = 0;
  seg.i32[w + _TAIL] = 0;
}

/**
 * Initialises the main LWLock array (segment creation).
 *
 * @param seg the new segment
 */
export function lwlockShmemInit(seg: ShmemSegment): void {
  const base = seg.region("LWLocks").offset;
  for (let i = 0; i < MAIN_LWLOCK_COUNT; i++) {
    lwlockInitialize(seg, base + i * MAIN_LWLOCK_STRIDE_BYTES, mainLWLockTrancheOf(i));
  }
}

/**
 * Byte offset of a lock of the main array.
 *
 * @param seg the segment
 * @param name an individual lock (`"ProcArrayLock"`) or a partitioned tranche (`"BufferMapping"`)
 * @param partition the partition of a partitioned tranche
 * @returns the lock's offset, for the other lwlock functions
 */
export function mainLWLock(
  seg: ShmemSegment,
  name: IndividualLWLockName | MainLWLockTrancheName,
  partition = 0,
): number {
  return seg.region("LWLocks").offset + mainLWLockIndex(name, partition) * MAIN_LWLOCK_STRIDE_BYTES;
}

/**
 * @param seg the segment
 * @param offset a lock
 * @returns its tranche's name, e.g. `"ProcArray"`
 */
export function lwlockTrancheName(seg: ShmemSegment, offset: number): string {
  return LWLOCK_TRANCHE_NAMES[seg.i32[(offset >> 2) + _TRANCHE]] ?? "unknown";
}

/**
 * Takes a lock, sleeping until it is available (LWLockAcquire). While
 * sleeping, the process's wait event is `LWLock`/tranche name.
 *
 * Lock contract: on exit the caller holds the lock in `mode`; release it with
 * {@link lwlockRelease} (or {@link lwlockReleaseAll} on an error path).
 *
 * @param seg the segment (read-write); this process holds a process-array slot
 * @param offset the lock
 * @param mode `"exclusive"` or `"shared"`
 * @example
 * ```ts
 * const lock = mainLWLock(seg, "ProcArrayLock");
 * lwlockAcquire(seg, lock, "shared");
 * try { ... } finally { lwlockRelease(seg, lock); }
 * ```
 */
export function lwlockAcquire(seg: ShmemSegment, offset: number, mode: LWLockMode): void {
  const me = _checkCanLock(seg);
  const waitMode = mode === "exclusive" ? _MODE_EXCLUSIVE : _MODE_SHARED;
  let extraWaits = 0;
  for (;;) {
    if (!_attemptLock(seg.i32, offset >> 2, waitMode)) break;
    _queueSelf(seg, offset, me, waitMode);
    if (!_attemptLock(seg.i32, offset >> 2, waitMode)) {
      extraWaits += _dequeueSelf(seg, offset, me);
      break;
    }
    pgstatReportWaitStart(seg, _WAIT_EVENT_LWLOCK | seg.i32[(offset >> 2) + _TRANCHE]);
    extraWaits += _sleepUntilWoken(seg, me);
    // We ran: further releases may wake waiters again.
    Atomics.and(seg.i32, (offset >> 2) + _STATE, ~_FLAG_RELEASE_BLOCKED);
    pgstatReportWaitEnd(seg);
  }
  seg.local.heldLWLocks.push({ offset, mode });
  _restoreSemaphore(seg, me, extraWaits);
}

/**
 * Takes a lock only if it is free now (LWLockConditionalAcquire).
 *
 * Lock contract: holds the lock on exit if and only if it returns true.
 *
 * @param seg the segment; this process holds a slot
 * @param offset the lock
 * @param mode the mode
 * @returns true if acquired
 */
export function lwlockConditionalAcquire(seg: ShmemSegment, offset: number, mode: LWLockMode): boolean {
  _checkCanLock(seg);
  if (_attemptLock(seg.i32, offset >> 2, mode === "exclusive" ? _MODE_EXCLUSIVE : _MODE_SHARED)) return false;
  seg.local.heldLWLocks.push({ offset, mode });
  return true;
}

/**
 * Takes the lock if it is free; otherwise waits until it is free and returns
 * without taking it (LWLockAcquireOrWait: group commit on WALWriteLock: the
 * caller re-checks whether someone else already did its work).
 *
 * Lock contract: holds the lock on exit if and only if it returns true.
 *
 * @param seg the segment; this process holds a slot
 * @param offset the lock
 * @param mode the mode
 * @returns true if acquired, false if it only waited for the lock to be free
 */
export function lwlockAcquireOrWait(seg: ShmemSegment, offset: number, mode: LWLockMode): boolean {
  const me = _checkCanLock(seg);
  const waitMode = mode === "exclusive" ? _MODE_EXCLUSIVE : _MODE_SHARED;
  let extraWaits = 0;
  let mustWait = _attemptLock(seg.i32, offset >> 2, waitMode);
  if (mustWait) {
    _queueSelf(seg, offset, me, _MODE_WAIT_UNTIL_FREE);
    mustWait = _attemptLock(seg.i32, offset >> 2, waitMode);
    if (mustWait) {
      pgstatReportWaitStart(seg, _WAIT_EVENT_LWLOCK | seg.i32[(offset >> 2) + _TRANCHE]);
      extraWaits += _sleepUntilWoken(seg, me);
      pgstatReportWaitEnd(seg);
    } else {
      extraWaits += _dequeueSelf(seg, offset, me);
    }
  }
  _restoreSemaphore(seg, me, extraWaits);
  if (mustWait) return false;
  seg.local.heldLWLocks.push({ offset, mode });
  return true;
}

/**
 * Releases a lock this process holds (LWLockRelease), waking the waiters
 * that can now proceed.
 *
 * Lock contract: the caller holds the lock on entry; not on exit.
 *
 * @param seg the segment
 * @param offset the lock
 */
export function lwlockRelease(seg: ShmemSegment, offset: number): void {
  const held = seg.local.heldLWLocks;
  let i = held.length - 1;
  while (i >= 0 && held[i].offset !== offset) i--;
  if (i < 0) throw new AssertionError(`lock ${lwlockTrancheName(seg, offset)} is not held`);
  const { mode } = held[i];
  if (i === held.length - 1) held.pop();
  else held.splice(i, 1);
  const w = (offset >> 2) + _STATE;
  const delta = mode === "exclusive" ? _VAL_EXCLUSIVE : _VAL_SHARED;
  const state = Atomics.sub(seg.i32, w, delta) - delta;
  if ((state & (_FLAG_HAS_WAITERS | _FLAG_RELEASE_BLOCKED)) === _FLAG_HAS_WAITERS && (state & _LOCK_MASK) === 0) {
    _wakeup(seg, offset);
  }
}

/**
 * Releases every lock this process holds (LWLockReleaseAll): for error and
 * exit paths.
 *
 * Lock contract: may hold LWLocks on entry; holds none on exit.
 *
 * @param seg the segment
 */
export function lwlockReleaseAll(seg: ShmemSegment): void {
  const held = seg.local.heldLWLocks;
  while (held.length > 0) lwlockRelease(seg, held[held.length - 1].offset);
}

/**
 * @param seg the segment
 * @param offset a lock
 * @returns whether this process holds it, in any mode (LWLockHeldByMe)
 */
export function lwlockHeldByMe(seg: ShmemSegment, offset: number): boolean {
  return seg.local.heldLWLocks.some((h) => h.offset === offset);
}

/**
 * @param seg the segment
 * @param offset a lock
 * @param mode a mode
 * @returns whether this process holds it in that mode (LWLockHeldByMeInMode)
 */
export function lwlockHeldByMeInMode(seg: ShmemSegment, offset: number, mode: LWLockMode): boolean {
  return seg.local.heldLWLocks.some((h) => h.offset === offset && h.mode === mode);
}

function _checkCanLock(seg: ShmemSegment): number {
  const me = seg.local.procNo;
  assert(me >= 0, "process holds a process-array slot before taking LWLocks");
  if (seg.local.heldLWLocks.length >= LWLOCKS_HELD_MAX) throw new AssertionError("too many LWLocks taken");
  return me;
}

/** One try (LWLockAttemptLock). @returns true if the caller must wait */
function _attemptLock(i32: Int32Array, w: number, waitMode: number): boolean {
  let old = Atomics.load(i32, w);
  for (;;) {
    let desired: number;
    if (waitMode === _MODE_EXCLUSIVE) {
      if ((old & _LOCK_MASK) !== 0) return true;
      desired = old + _VAL_EXCLUSIVE;
    } else {
      if ((old & _VAL_EXCLUSIVE) !== 0) return true;
      desired = old + _VAL_SHARED;
    }
    const seen = Atomics.compareExchange(i32, w, old, desired);
    if (seen === old) return false;
    old = seen;
  }
}

function _waitListLock(seg: ShmemSegment, offset: number): void {
  const w = offset >> 2;
  let delay: SpinDelay | undefined;
  for (;;) {
    if ((Atomics.or(seg.i32, w, _FLAG_LOCKED) & _FLAG_LOCKED) === 0) return;
    delay ??= new SpinDelay(`LWLock ${lwlockTrancheName(seg, offset)} wait list`, undefined, seg);
    while ((Atomics.load(seg.i32, w) & _FLAG_LOCKED) !== 0) delay.pause(() => "wait-list bit set");
  }
}

function _waitListUnlock(seg: ShmemSegment, offset: number): void {
  Atomics.and(seg.i32, offset >> 2, ~_FLAG_LOCKED);
}

function _procWord(seg: ShmemSegment, procNo: number, field: number): number {
  return (procSlotOffset(seg, procNo) + field) >> 2;
}

/** Adds this process to the lock's queue (LWLockQueueSelf). */
function _queueSelf(seg: ShmemSegment, offset: number, me: number, waitMode: number): void {
  const i32 = seg.i32;
  assert(Atomics.load(i32, _procWord(seg, me, ProcSlotOffset.lwWaiting)) === _NOT_WAITING, "not queued on an LWLock");
  _waitListLock(seg, offset);
  Atomics.or(i32, (offset >> 2) + _STATE, _FLAG_HAS_WAITERS);
  Atomics.store(i32, _procWord(seg, me, ProcSlotOffset.lwWaiting), _WAITING);
  Atomics.store(i32, _procWord(seg, me, ProcSlotOffset.lwWaitMode), waitMode);
  const w = offset >> 2;
  const link = me + 1;
  if (waitMode === _MODE_WAIT_UNTIL_FREE) {
    // To the front, as PostgreSQL: they only wait, so they never block others.
    const head = i32[w + _HEAD];
    i32[_procWord(seg, me, ProcSlotOffset.lwPrev)] = 0;
    i32[_procWord(seg, me, ProcSlotOffset.lwNext)] = head;
    if (head === 0) i32[w + _TAIL] = link;
    else i32[_procWord(seg, head - 1, ProcSlotOffset.lwPrev)] = link;
    i32[w + _HEAD] = link;
  } else {
    const tail = i32[w + _TAIL];
    i32[_procWord(seg, me, ProcSlotOffset.lwNext)] = 0;
    i32[_procWord(seg, me, ProcSlotOffset.lwPrev)] = tail;
    if (tail === 0) i32[w + _HEAD] = link;
    else i32[_procWord(seg, tail - 1, ProcSlotOffset.lwNext)] = link;
    i32[w + _TAIL] = link;
  }
  _waitListUnlock(seg, offset);
}

/** Unlinks a process from the queue; the wait-list bit is held. */
function _unlink(seg: ShmemSegment, offset: number, procNo: number): void {
  const i32 = seg.i32;
  const w = offset >> 2;
  const prev = i32[_procWord(seg, procNo, ProcSlotOffset.lwPrev)];
  const next = i32[_procWord(seg, procNo, ProcSlotOffset.lwNext)];
  if (prev === 0) i32[w + _HEAD] = next;
  else i32[_procWord(seg, prev - 1, ProcSlotOffset.lwNext)] = next;
  if (next === 0) i32[w + _TAIL] = prev;
  else i32[_procWord(seg, next - 1, ProcSlotOffset.lwPrev)] = prev;
  i32[_procWord(seg, procNo, ProcSlotOffset.lwPrev)] = 0;
  i32[_procWord(seg, procNo, ProcSlotOffset.lwNext)] = 0;
}

/**
 * Removes this process from the queue after it got the lock without
 * sleeping (LWLockDequeueSelf). If a releaser already took it off the queue,
 * absorbs that wake-up.
 *
 * @returns semaphore wake-ups absorbed that belong to someone else
 */
function _dequeueSelf(seg: ShmemSegment, offset: number, me: number): number {
  const i32 = seg.i32;
  const waiting = _procWord(seg, me, ProcSlotOffset.lwWaiting);
  _waitListLock(seg, offset);
  const onList = Atomics.load(i32, waiting) === _WAITING;
  if (onList) _unlink(seg, offset, me);
  if (i32[(offset >> 2) + _HEAD] === 0) Atomics.and(i32, (offset >> 2) + _STATE, ~_FLAG_HAS_WAITERS);
  _waitListUnlock(seg, offset);
  if (onList) {
    Atomics.store(i32, waiting, _NOT_WAITING);
    return 0;
  }
  // Somebody dequeued us and has woken or will wake us: absorb that wake-up.
  Atomics.and(i32, (offset >> 2) + _STATE, ~_FLAG_RELEASE_BLOCKED);
  return _sleepUntilWoken(seg, me);
}

/**
 * Sleeps on this process's semaphore until a releaser has taken it off the
 * queue.
 *
 * @returns wake-ups absorbed that were meant for other waits
 */
function _sleepUntilWoken(seg: ShmemSegment, me: number): number {
  let extra = 0;
  for (;;) {
    _semLock(seg, me);
    if (Atomics.load(seg.i32, _procWord(seg, me, ProcSlotOffset.lwWaiting)) === _NOT_WAITING) return extra;
    extra++;
  }
}

function _restoreSemaphore(seg: ShmemSegment, me: number, extraWaits: number): void {
  for (let i = 0; i < extraWaits; i++) _semUnlock(seg, me);
}

function _semLock(seg: ShmemSegment, procNo: number): void {
  const offset = procSlotOffset(seg, procNo) + ProcSlotOffset.lwSem;
  const w = offset >> 2;
  for (;;) {
    const v = Atomics.load(seg.i32, w);
    if (v > 0) {
      if (Atomics.compareExchange(seg.i32, w, v, v - 1) === v) return;
      continue;
    }
    if (futexWait(seg, offset, 0, LWLOCK_WAIT_POLL_MS) === "timed out" && seg.isAbandoned()) {
      // The crash reset is discarding this segment, or the postmaster is gone: quickdie.
      Deno.exit(2);
    }
  }
}

function _semUnlock(seg: ShmemSegment, procNo: number): void {
  const offset = procSlotOffset(seg, procNo) + ProcSlotOffset.lwSem;
  Atomics.add(seg.i32, offset >> 2, 1);
  futexWake(seg, offset, 1);
}

/** Wakes the waiters that can proceed (LWLockWakeup). */
function _wakeup(seg: ShmemSegment, offset: number): void {
  const i32 = seg.i32;
  const w = offset >> 2;
  const wakeup: number[] = [];
  let releaseBlocked = false;
  let wokeSomebody = false;
  _waitListLock(seg, offset);
  for (let link = i32[w + _HEAD]; link !== 0;) {
    const procNo = link - 1;
    const next = i32[_procWord(seg, procNo, ProcSlotOffset.lwNext)];
    const waitMode = Atomics.load(i32, _procWord(seg, procNo, ProcSlotOffset.lwWaitMode));
    if (wokeSomebody && waitMode === _MODE_EXCLUSIVE) {
      link = next;
      continue;
    }
    _unlink(seg, offset, procNo);
    Atomics.store(i32, _procWord(seg, procNo, ProcSlotOffset.lwWaiting), _PENDING_WAKEUP);
    wakeup.push(procNo);
    if (waitMode !== _MODE_WAIT_UNTIL_FREE) {
      releaseBlocked = true;
      wokeSomebody = true;
    }
    if (waitMode === _MODE_EXCLUSIVE) break;
    link = next;
  }
  // Unlock the wait list and set the flags in one atomic step.
  let old = Atomics.load(i32, w + _STATE);
  for (;;) {
    let desired = releaseBlocked ? old | _FLAG_RELEASE_BLOCKED : old & ~_FLAG_RELEASE_BLOCKED;
    if (i32[w + _HEAD] === 0) desired &= ~_FLAG_HAS_WAITERS;
    desired &= ~_FLAG_LOCKED;
    const seen = Atomics.compareExchange(i32, w + _STATE, old, desired);
    if (seen === old) break;
    old = seen;
  }
  for (const procNo of wakeup) {
    Atomics.store(i32, _procWord(seg, procNo, ProcSlotOffset.lwWaiting), _NOT_WAITING);
    _semUnlock(seg, procNo);
  }
}
