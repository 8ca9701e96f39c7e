/**
 * atomics.ts — 64-bit atomic words in the segment (LSNs, counters).
 *
 * PostgreSQL counterpart: pg_atomic_uint64 (src/include/port/atomics.h):
 * pg_atomic_read_u64, pg_atomic_write_u64, pg_atomic_fetch_add_u64,
 * pg_atomic_compare_exchange_u64, pg_atomic_monotonic_advance_u64.
 *
 * NOTES
 * Backed by `Atomics` on the segment's BigInt64Array, which are real
 * hardware atomics across processes. Values are signed 64-bit: keep them
 * below 2^63 (LSNs are). Offsets must be 8-byte aligned.
 *
 * @module
 */

import type { ShmemSegment } from "./segment.ts";

function _index(offset: number): number {
  if (offset % 8 !== 0) throw new RangeError(`64-bit atomic at offset ${offset} is not 8-byte aligned`);
  return offset / 8;
}

/**
 * @param seg the segment
 * @param offset byte offset, 8-byte aligned
 * @returns the value
 */
export function atomicRead64(seg: ShmemSegment, offset: number): bigint {
  return Atomics.load(seg.bigInt64, _index(offset));
}

/**
 * @param seg the segment (read-write)
 * @param offset byte offset, 8-byte aligned
 * @param value the new value
 */
export function atomicWrite64(seg: ShmemSegment, offset: number, value: bigint): void {
  Atomics.store(seg.bigInt64, _index(offset), value);
}

/**
 * @param seg the segment (read-write)
 * @param offset byte offset, 8-byte aligned
 * @param delta amount to add
 * @returns the value before the add
 */
export function atomicFetchAdd64(seg: ShmemSegment, offset: number, delta: bigint): bigint {
  return Atomics.add(seg.bigInt64, _index(offset), delta);
}

/**
 * @param seg the segment (read-write)
 * @param offset byte offset, 8-byte aligned
 * @param expected the value the caller saw
 * @param replacement the value to store if it is still `expected`
 * @returns the value found (equal to `expected` when the exchange happened)
 */
export function atomicCompareExchange64(
  seg: ShmemSegment,
  offset: number,
  expected: bigint,
  replacement: bigint,
): bigint {
  return Atomics.compareExchange(seg.bigInt64, _index(offset), expected, replacement);
}

/**
 * Raises the value to `target` unless it is already at least that
 * (pg_atomic_monotonic_advance_u64: e.g. a flushed-up-to LSN).
 *
 * @param seg the segment (read-write)
 * @param offset byte offset, 8-byte aligned
 * @param target the value to advance to
 * @returns the value now stored (>= target)
 */
export function atomicMonotonicAdvance64(seg: ShmemSegment, offset: number, target: bigint): bigint {
  const i = _index(offset);
  let current = Atomics.load(seg.bigInt64, i);
  while (current < target) {
    const seen = Atomics.compareExchange(seg.bigInt64, i, current, target);
    if (seen === current) return target;
    current = seen;
  }
  return current;
}
