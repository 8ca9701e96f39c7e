/**
 * spin.ts — spinlocks in the segment: compare-exchange, bounded spinning,
 * sleeping back-off, and a PANIC instead of a hang when a lock is stuck.
 *
 * PostgreSQL counterpart: src/backend/storage/lmgr/s_lock.c (s_lock,
 * perform_spin_delay, s_lock_stuck) and src/include/storage/spin.h.
 *
 * NOTES
 * A spinlock is one i32 word: 0 = free, otherwise the holder's pid (for the
 * stuck-lock report). Hold one only for a few instructions: never across a
 * function that may throw, sleep, allocate much, or take another lock, since
 * nothing releases a spinlock on an error path and a waiter burns CPU. The
 * waiter spins {@link SPINS_PER_DELAY} times, then sleeps with an
 * exponential, randomised back-off from {@link SPIN_DELAY_MIN_MS} to
 * {@link SPIN_DELAY_MAX_MS} (a synchronous sleep: `Atomics.wait` on a private
 * SharedArrayBuffer); after {@link SPIN_DELAYS_MAX} sleeps (minutes) it
 * throws {@link StuckSpinlockError}, an AssertionError, which crashes the
 * process so the postmaster resets the cluster (PostgreSQL's PANIC
 * `stuck spinlock detected`). A holder that dies leaves the lock taken; the
 * crash reset marks the segment discarded, and a waiter checks that before
 * each sleep and exits with status 2, so nobody waits for it long.
 *
 * @module
 */

import { AssertionError } from "../common/assert.ts";
import type { ShmemSegment } from "./segment.ts";

/** Bytes of a spinlock (an i32, 4-byte aligned). */
export const SPINLOCK_SIZE_BYTES = 4;
/** Compare-exchange attempts between sleeps (PostgreSQL adapts 10..1000; JS loops are cheap, so 1000). */
export const SPINS_PER_DELAY = 1000;
/** Sleeps before declaring the lock stuck (NUM_DELAYS). */
export const SPIN_DELAYS_MAX = 1000;
/** First back-off sleep (MIN_DELAY_USEC). */
export const SPIN_DELAY_MIN_MS = 1;
/** Longest back-off sleep, after which it wraps to the minimum (MAX_DELAY_USEC). */
export const SPIN_DELAY_MAX_MS = 1000;

/** A spinlock held for far too long: the process must crash (PANIC). */
export class StuckSpinlockError extends AssertionError {
  /** @param message `stuck spinlock detected at …` */
  constructor(message: string) {
    super(message);
    this.name = "StuckSpinlockError";
  }
}

const _sleepWord = new Int32Array(new SharedArrayBuffer(4));
const _myPid = Deno.pid;

/**
 * Takes a spinlock, spinning and then sleeping while another process holds it.
 *
 * Lock contract: on exit the caller holds the spinlock and must release it
 * within a few instructions, without throwing in between.
 *
 * @param seg the segment (read-write)
 * @param offset byte offset of the lock word, 4-byte aligned
 * @param where what the lock protects, for the stuck-lock report (`"buffer header"`)
 * @throws {StuckSpinlockError} after {@link SPIN_DELAYS_MAX} sleeps
 */
export function spinLockAcquire(seg: ShmemSegment, offset: number, where = "unknown"): void {
  const index = offset >> 2;
  if (Atomics.compareExchange(seg.i32, index, 0, _myPid) === 0) return;
  _sLock(seg, index, where, SPIN_DELAYS_MAX);
}

/**
 * Releases a spinlock this process holds.
 *
 * Lock contract: the caller holds the spinlock on entry; not on exit.
 *
 * @param seg the segment (read-write)
 * @param offset byte offset of the lock word
 */
export function spinLockRelease(seg: ShmemSegment, offset: number): void {
  const prev = Atomics.exchange(seg.i32, offset >> 2, 0);
  if (prev === 0) throw new AssertionError(`spinlock at offset ${offset} released but not held`);
}

/**
 * @param seg the segment
 * @param offset byte offset of the lock word
 * @returns true when nobody holds the lock (a racy hint; SpinLockFree)
 */
export function spinLockFree(seg: ShmemSegment, offset: number): boolean {
  return Atomics.load(seg.i32, offset >> 2) === 0;
}

/**
 * The contended path of {@link spinLockAcquire}, with the number of sleeps
 * allowed as a parameter (tests shorten it to check the PANIC).
 *
 * @param seg the segment
 * @param index word index of the lock
 * @param where what the lock protects
 * @param delaysMax sleeps before the lock counts as stuck
 */
export function _sLock(seg: ShmemSegment, index: number, where: string, delaysMax: number): void {
  const i32 = seg.i32;
  const delay = new SpinDelay(where, delaysMax, seg);
  for (;;) {
    if (Atomics.load(i32, index) === 0 && Atomics.compareExchange(i32, index, 0, _myPid) === 0) return;
    delay.pause(() => `held by PID ${Atomics.load(i32, index)}`);
  }
}

/**
 * Back-off state of one spinning wait (perform_spin_delay): call
 * {@link SpinDelay.pause} after each failed attempt; it spins
 * {@link SPINS_PER_DELAY} times, then sleeps with growing delays, then
 * throws {@link StuckSpinlockError}. Also used for the LWLock wait-list bit
 * and other spin bits. Given the segment, it checks before each sleep
 * whether the segment was abandoned (crash reset, postmaster gone) and then
 * exits the process with status 2, since a holder that died never releases.
 */
export class SpinDelay {
  readonly #where: string;
  readonly #delaysMax: number;
  readonly #seg: Pick<ShmemSegment, "isAbandoned"> | undefined;
  #spins = 0;
  #delays = 0;
  #delayMs = SPIN_DELAY_MIN_MS;

  /**
   * @param where what is being waited for, for the stuck report
   * @param delaysMax sleeps before PANIC (default {@link SPIN_DELAYS_MAX})
   * @param seg the segment the spinning is on, to notice that it was abandoned
   */
  constructor(where: string, delaysMax = SPIN_DELAYS_MAX, seg?: Pick<ShmemSegment, "isAbandoned">) {
    this.#where = where;
    this.#delaysMax = delaysMax;
    this.#seg = seg;
  }

  /**
   * One failed attempt: usually returns at once, sometimes sleeps.
   *
   * @param holder describes the holder for the stuck report
   * @throws {StuckSpinlockError} after too many sleeps
   */
  pause(holder: () => string): void {
    if (++this.#spins < SPINS_PER_DELAY) return;
    this.#spins = 0;
    if (++this.#delays > this.#delaysMax) {
      throw new StuckSpinlockError(
        `stuck spinlock detected at ${this.#where} (${holder()} after ${this.#delaysMax} sleeps)`,
      );
    }
    // The crash reset is discarding the segment, or the postmaster is gone: quickdie.
    if (this.#seg?.isAbandoned()) Deno.exit(2);
    Atomics.wait(_sleepWord, 0, 0, this.#delayMs);
    // As perform_spin_delay: grow by a random fraction; wrap to the minimum past the maximum.
    this.#delayMs += this.#delayMs * Math.random() + 0.5;
    if (this.#delayMs > SPIN_DELAY_MAX_MS) this.#delayMs = SPIN_DELAY_MIN_MS;
  }
}
