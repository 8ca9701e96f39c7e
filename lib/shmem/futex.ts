/**
 * futex.ts — sleeping on, and waking, a 32-bit word of the segment with
 * Linux futex(2), across processes.
 *
 * PostgreSQL counterpart: the semaphore and latch wake-ups of
 * src/backend/port/posix_sema.c and src/backend/storage/ipc/latch.c (which
 * use semaphores, signals and epoll where we use futexes).
 *
 * NOTES
 * Shared (not FUTEX_PRIVATE) operations: the kernel keys the wait on the
 * page of the shared mapping, so a wake from any process reaches waiters in
 * all. `Atomics.wait` cannot be used: the segment is not a
 * SharedArrayBuffer. {@link futexWait} blocks the calling thread (for very
 * short waits where nothing else must run, e.g. an LWLock queue);
 * {@link futexWaitAsync} sleeps on a worker thread so the event loop keeps
 * running signal listeners, which may wake it. Every wait has a timeout so
 * the waiter can check for cancel, terminate or a discarded segment. A
 * futex wait can return spuriously: callers always re-check their word.
 * Requires `--allow-ffi`.
 *
 * @module
 */

import { errno, libc, LinuxConst, SYS_FUTEX } from "../ffi/libc.ts";
import type { ShmemSegment } from "./segment.ts";

/** Wake every waiter (INT_MAX). */
export const FUTEX_WAKE_ALL = 0x7fffffff;

/** Why a blocking wait returned. */
export type FutexWaitResult = "woken" | "timed out" | "value changed" | "interrupted";

const _SYS = BigInt(SYS_FUTEX);
// Reused by blocking waits (one thread per process runs JS): struct timespec { tv_sec, tv_nsec }.
const _timespec = new BigInt64Array(2);
const _timespecPtr = Deno.UnsafePointer.of(_timespec);

function _fillTimespec(ts: BigInt64Array, timeoutMs: number): void {
  const ms = Math.max(0, timeoutMs);
  ts[0] = BigInt(Math.floor(ms / 1000));
  ts[1] = BigInt(Math.floor((ms % 1000) * 1e6));
}

function _checkWord(offset: number): void {
  if (offset % 4 !== 0) throw new RangeError(`Futex word offset ${offset} is not 4-byte aligned`);
}

/**
 * Sleeps while the word at `offset` equals `expected`, blocking this thread,
 * for at most `timeoutMs` (Infinity: no timeout).
 *
 * Lock contract: holds nothing; the caller must not hold a spinlock.
 *
 * @param seg the segment
 * @param offset byte offset of a 4-byte-aligned i32
 * @param expected the value the caller saw
 * @param timeoutMs the longest sleep
 * @returns why it returned (spurious wake-ups report `woken`)
 */
export function futexWait(seg: ShmemSegment, offset: number, expected: number, timeoutMs: number): FutexWaitResult {
  _checkWord(offset);
  const finite = Number.isFinite(timeoutMs);
  if (finite) _fillTimespec(_timespec, timeoutMs);
  const rc = libc().syscall_futex(
    _SYS,
    seg.pointerAt(offset),
    LinuxConst.FUTEX_WAIT,
    expected,
    finite ? _timespecPtr : null,
    null,
    0,
  );
  if (rc === 0n) return "woken";
  const code = errno();
  if (code === LinuxConst.ETIMEDOUT) return "timed out";
  if (code === LinuxConst.EAGAIN) return "value changed";
  if (code === LinuxConst.EINTR) return "interrupted";
  throw new Error(`futex wait failed: errno ${code}`);
}

/**
 * Sleeps on a worker thread while the word at `offset` equals `expected`, for
 * at most `timeoutMs`; the event loop keeps running meanwhile.
 *
 * Lock contract: holds nothing; the caller must not hold a spinlock or LWLock.
 *
 * @param seg the segment
 * @param offset byte offset of a 4-byte-aligned i32
 * @param expected the value the caller saw
 * @param timeoutMs the longest sleep (Infinity: no timeout)
 * @returns when woken, timed out, the value differed, or spuriously (errno of
 *   the worker thread is not readable here, so the caller re-checks its word)
 */
export async function futexWaitAsync(
  seg: ShmemSegment,
  offset: number,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  _checkWord(offset);
  const finite = Number.isFinite(timeoutMs);
  const ts = new BigInt64Array(2);
  if (finite) _fillTimespec(ts, timeoutMs);
  await libc().syscall_futex_async(
    _SYS,
    seg.pointerAt(offset),
    LinuxConst.FUTEX_WAIT,
    expected,
    finite ? Deno.UnsafePointer.of(ts) : null,
    null,
    0,
  );
  // `ts` stays referenced until the call has returned.
  ts[0] = 0n;
}

/**
 * Wakes up to `count` processes sleeping on the word at `offset`.
 *
 * @param seg the segment (a read-only attachment may wake: the kernel reads nothing)
 * @param offset byte offset of the word
 * @param count how many to wake (default all)
 * @returns how many were woken
 */
export function futexWake(seg: ShmemSegment, offset: number, count = FUTEX_WAKE_ALL): number {
  _checkWord(offset);
  const rc = libc().syscall_futex(_SYS, seg.pointerAt(offset), LinuxConst.FUTEX_WAKE, count, null, null, 0);
  if (rc < 0n) throw new Error(`futex wake failed: errno ${errno()}`);
  return Number(rc);
}
