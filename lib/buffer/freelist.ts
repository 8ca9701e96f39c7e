/**
 * freelist.ts — choosing a victim buffer: the free list, then the clock
 * sweep over usage counts; and the numbers the background writer paces
 * itself by.
 *
 * PostgreSQL counterpart: src/backend/storage/buffer/freelist.c
 * (StrategyGetBuffer, ClockSweepTick, StrategyFreeBuffer,
 * StrategySyncStart, StrategyNotifyBgWriter).
 *
 * NOTES
 * The "buffer strategy" region: spinlock (buffer_strategy_lock) at 0,
 * firstFreeBuffer at 4, lastFreeBuffer at 8, nextVictimBuffer at 12 (an
 * atomic counter, wrapped at NBuffers under the spinlock, counting
 * completePasses at 16), numBufferAllocs at 20 (atomic), the background
 * writer's process number at 24 (-1 when it is not hibernating), then the
 * relation extension LWLocks at 64. The clock hand moves with one atomic add;
 * a candidate's header is locked to test refcount and usage count; a
 * pinned-but-unused buffer lowers its usage count by one per pass. If every
 * buffer stays pinned for NBuffers steps in a row the request fails with
 * `no unpinned buffers available`, as PostgreSQL's.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { setLatch, type ShmemSegment, spinLockAcquire, spinLockRelease } from "../shmem/mod.ts";
import type { RelFileLocator } from "../storage/relpath.ts";
import { RELATION_EXTENSION_LOCKS } from "../storage/shmem_sizes.ts";
import {
  BUF_USAGECOUNT_ONE,
  BufDescOffset,
  bufDescOffset,
  type BufferRegions,
  bufStateGetRefcount,
  bufStateGetUsagecount,
  lockBufHdr,
  unlockBufHdr,
} from "./buf_internals.ts";

/** freeNext of the last buffer on the free list (FREENEXT_END_OF_LIST). */
export const FREENEXT_END_OF_LIST = -1;
/** freeNext of a buffer not on the free list (FREENEXT_NOT_IN_LIST). */
export const FREENEXT_NOT_IN_LIST = -2;

const _SPIN = 0;
const _FIRST_FREE = 4;
const _LAST_FREE = 8;
const _NEXT_VICTIM = 12;
const _COMPLETE_PASSES = 16;
const _NUM_ALLOCS = 20;
const _BGW_PROCNO = 24;
const _EXTENSION_LOCKS = 64;

/** @returns the byte offset of the strategy region */
function _base(seg: ShmemSegment): number {
  return seg.region("buffer strategy").offset;
}

/**
 * Initialises the strategy region: every buffer on the free list, clock at 0
 * (segment creation).
 *
 * @param seg the new segment
 * @param nbuffers NBuffers
 */
export function strategyShmemInit(seg: ShmemSegment, nbuffers: number): void {
  const b = _base(seg);
  const i32 = seg.i32;
  i32[(b + _FIRST_FREE) >> 2] = 0;
  i32[(b + _LAST_FREE) >> 2] = nbuffers - 1;
  i32[(b + _NEXT_VICTIM) >> 2] = 0;
  i32[(b + _BGW_PROCNO) >> 2] = -1;
}

/**
 * @param seg the segment
 * @param rl a relation
 * @returns the byte offset of the extension LWLock that serialises extending `rl`
 */
export function relationExtensionLock(seg: ShmemSegment, rl: RelFileLocator): number {
  const h = (Math.imul(rl.relNumber ^ Math.imul(rl.dbOid, 0x9e3779b1), 0x85ebca6b) >>> 0) % RELATION_EXTENSION_LOCKS;
  return _base(seg) + _EXTENSION_LOCKS + h * 16;
}

/** @returns byte offsets of every relation extension lock (for initialisation) */
export function relationExtensionLocks(seg: ShmemSegment): number[] {
  return Array.from({ length: RELATION_EXTENSION_LOCKS }, (_, i) => _base(seg) + _EXTENSION_LOCKS + i * 16);
}

function _freeNextIdx(r: BufferRegions, id: number): number {
  return (bufDescOffset(r, id) + BufDescOffset.freeNext) >> 2;
}

function _clockSweepTick(r: BufferRegions): number {
  const i32 = r.seg.i32;
  const b = _base(r.seg);
  let victim = Atomics.add(i32, (b + _NEXT_VICTIM) >> 2, 1);
  if (victim >= r.nbuffers) {
    const original = victim;
    victim = victim % r.nbuffers;
    if (victim === 0) {
      // We wrapped the hand: bring the counter back into range and count a pass.
      let expected = original + 1;
      for (;;) {
        spinLockAcquire(r.seg, b + _SPIN, "buffer strategy");
        const seen = Atomics.compareExchange(i32, (b + _NEXT_VICTIM) >> 2, expected, expected % r.nbuffers);
        const ok = seen === expected;
        if (ok) i32[(b + _COMPLETE_PASSES) >> 2]++;
        spinLockRelease(r.seg, b + _SPIN);
        if (ok) break;
        expected = seen;
      }
    }
  }
  return victim;
}

/**
 * Chooses a buffer to (re)use (StrategyGetBuffer): the free list first, then
 * the clock sweep.
 *
 * Lock contract: no locks on entry; on exit the returned buffer's header is
 * locked (BM_LOCKED) and its refcount and usage count are zero.
 *
 * @param r the buffer regions
 * @returns the buffer id and its locked state word
 * @throws {SqlError} XX000 `no unpinned buffers available`
 */
export function strategyGetBuffer(r: BufferRegions): { id: number; state: number } {
  const seg = r.seg;
  const b = _base(seg);
  const i32 = seg.i32;
  // Wake a hibernating background writer: allocation activity resumed.
  const bgw = i32[(b + _BGW_PROCNO) >> 2];
  if (bgw !== -1) {
    i32[(b + _BGW_PROCNO) >> 2] = -1;
    setLatch(seg, bgw);
  }
  Atomics.add(i32, (b + _NUM_ALLOCS) >> 2, 1);

  while (Atomics.load(i32, (b + _FIRST_FREE) >> 2) >= 0) {
    spinLockAcquire(seg, b + _SPIN, "buffer strategy");
    const id = i32[(b + _FIRST_FREE) >> 2];
    if (id < 0) {
      spinLockRelease(seg, b + _SPIN);
      break;
    }
    i32[(b + _FIRST_FREE) >> 2] = i32[_freeNextIdx(r, id)];
    i32[_freeNextIdx(r, id)] = FREENEXT_NOT_IN_LIST;
    spinLockRelease(seg, b + _SPIN);
    const state = lockBufHdr(r, id);
    if (bufStateGetRefcount(state) === 0 && bufStateGetUsagecount(state) === 0) return { id, state };
    unlockBufHdr(r, id, state);
  }

  let tryCounter = r.nbuffers;
  for (;;) {
    const id = _clockSweepTick(r);
    let state = lockBufHdr(r, id);
    if (bufStateGetRefcount(state) === 0) {
      if (bufStateGetUsagecount(state) === 0) return { id, state };
      state -= BUF_USAGECOUNT_ONE;
      tryCounter = r.nbuffers;
    } else if (--tryCounter === 0) {
      unlockBufHdr(r, id, state);
      throw new SqlError(SqlState.INTERNAL_ERROR, "no unpinned buffers available");
    }
    unlockBufHdr(r, id, state);
  }
}

/**
 * Puts a buffer at the head of the free list (StrategyFreeBuffer), after its
 * tag was invalidated.
 *
 * Lock contract: the caller holds no buffer header lock.
 *
 * @param r the buffer regions
 * @param id the buffer
 */
export function strategyFreeBuffer(r: BufferRegions, id: number): void {
  const b = _base(r.seg);
  const i32 = r.seg.i32;
  spinLockAcquire(r.seg, b + _SPIN, "buffer strategy");
  if (i32[_freeNextIdx(r, id)] === FREENEXT_NOT_IN_LIST) {
    const first = i32[(b + _FIRST_FREE) >> 2];
    i32[_freeNextIdx(r, id)] = first;
    if (first < 0) i32[(b + _LAST_FREE) >> 2] = id;
    i32[(b + _FIRST_FREE) >> 2] = id;
  }
  spinLockRelease(r.seg, b + _SPIN);
}

/**
 * Where the clock hand is, and how many buffers were allocated since the last
 * call (StrategySyncStart), for the background writer.
 *
 * @param r the buffer regions
 * @returns the hand's buffer, complete passes, and allocations (reset to 0)
 */
export function strategySyncStart(r: BufferRegions): { bufId: number; passes: number; recentAlloc: number } {
  const b = _base(r.seg);
  const i32 = r.seg.i32;
  spinLockAcquire(r.seg, b + _SPIN, "buffer strategy");
  const next = Atomics.load(i32, (b + _NEXT_VICTIM) >> 2);
  const passes = i32[(b + _COMPLETE_PASSES) >> 2] + Math.floor(next / r.nbuffers);
  const recentAlloc = Atomics.exchange(i32, (b + _NUM_ALLOCS) >> 2, 0);
  spinLockRelease(r.seg, b + _SPIN);
  return { bufId: next % r.nbuffers, passes, recentAlloc };
}

/**
 * Asks to be woken at the next buffer allocation (StrategyNotifyBgWriter),
 * before the background writer hibernates; -1 cancels.
 *
 * @param seg the segment
 * @param procNo the background writer's process number, or -1
 */
export function strategyNotifyBgWriter(seg: ShmemSegment, procNo: number): void {
  const b = _base(seg);
  spinLockAcquire(seg, b + _SPIN, "buffer strategy");
  seg.i32[(b + _BGW_PROCNO) >> 2] = procNo;
  spinLockRelease(seg, b + _SPIN);
}
