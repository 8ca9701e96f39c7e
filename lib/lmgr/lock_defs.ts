/**
 * lock_defs.ts — heavyweight lock modes, PostgreSQL's conflict table, lock
 * tags and their hash.
 *
 * PostgreSQL counterpart: src/include/storage/lockdefs.h, lock.h
 * (LOCKTAG, SET_LOCKTAG_INT64 / SET_LOCKTAG_INT32) and the LockConflicts /
 * lock_mode_names tables of src/backend/storage/lmgr/lock.c;
 * DescribeLockTag() of lmgr.c.
 *
 * NOTES
 * Pure data and arithmetic; no shared state. Modes are numbered 1..8 as in
 * PostgreSQL, and a mode set is a bit mask with bit `1 << mode` (LOCKBIT_ON).
 * See README.md.
 *
 * @module
 */

import { WAIT_EVENT_NAMES } from "../shmem/mod.ts";

/** Lock modes, PostgreSQL's numbers (lockdefs.h). */
export const LockMode = {
  AccessShareLock: 1,
  RowShareLock: 2,
  RowExclusiveLock: 3,
  ShareUpdateExclusiveLock: 4,
  ShareLock: 5,
  ShareRowExclusiveLock: 6,
  ExclusiveLock: 7,
  AccessExclusiveLock: 8,
} as const;
/** A lock mode, 1..8. */
export type LockModeNo = (typeof LockMode)[keyof typeof LockMode];
/** Highest lock mode (MaxLockMode). */
export const LOCK_MODES_MAX = 8;

/** Names by mode, as pg_locks.mode and messages show them (lock_mode_names). */
export const LOCK_MODE_NAMES: readonly string[] = [
  "INVALID",
  "AccessShareLock",
  "RowShareLock",
  "RowExclusiveLock",
  "ShareUpdateExclusiveLock",
  "ShareLock",
  "ShareRowExclusiveLock",
  "ExclusiveLock",
  "AccessExclusiveLock",
];

/** LOCKBIT_ON(mode). */
export function lockBit(mode: number): number {
  return 1 << mode;
}

function _bits(...modes: number[]): number {
  return modes.reduce((m, x) => m | lockBit(x), 0);
}

/** Conflict masks by mode (LockConflicts): bit `1 << m` set when the mode conflicts with mode m. */
export const LOCK_CONFLICTS: readonly number[] = [
  0,
  _bits(8),
  _bits(7, 8),
  _bits(5, 6, 7, 8),
  _bits(4, 5, 6, 7, 8),
  _bits(3, 4, 6, 7, 8),
  _bits(3, 4, 5, 6, 7, 8),
  _bits(2, 3, 4, 5, 6, 7, 8),
  _bits(1, 2, 3, 4, 5, 6, 7, 8),
];

/**
 * Do two modes conflict?
 *
 * @param a a mode 1..8
 * @param b a mode 1..8
 * @returns true when a holder of one blocks a requester of the other
 */
export function lockModesConflict(a: number, b: number): boolean {
  return (LOCK_CONFLICTS[a] & lockBit(b)) !== 0;
}

/** Lock tag types that denogres uses (LockTagType numbers of PostgreSQL 15). */
export const LockTagType = { virtualxid: 7, advisory: 10 } as const;
/** Names by LockTagType number (LockTagTypeNames), as pg_locks.locktype and wait events show them. */
export const LOCK_TAG_TYPE_NAMES: readonly string[] = WAIT_EVENT_NAMES.Lock;
/** Lock methods: 1 = DEFAULT_LOCKMETHOD, 2 = USER_LOCKMETHOD (advisory locks). */
export const USER_LOCKMETHOD = 2;

/** A lock tag (LOCKTAG): four fields, a type and a lock method. Fields are unsigned 32-bit, field4 16-bit. */
export interface LockTag {
  readonly field1: number;
  readonly field2: number;
  readonly field3: number;
  readonly field4: number;
  readonly type: number;
  readonly method: number;
}

/**
 * Advisory tag of one int8 key (SET_LOCKTAG_INT64): field2 the high half, field3 the low half, field4 1.
 *
 * @param databaseOid MyDatabaseId
 * @param key the int8 key
 * @returns the tag
 */
export function advisoryTagInt8(databaseOid: number, key: bigint): LockTag {
  const u = BigInt.asUintN(64, key);
  return {
    field1: databaseOid >>> 0,
    field2: Number(u >> 32n),
    field3: Number(u & 0xffffffffn),
    field4: 1,
    type: LockTagType.advisory,
    method: USER_LOCKMETHOD,
  };
}

/**
 * Advisory tag of two int4 keys (SET_LOCKTAG_INT32): field4 2.
 *
 * @param databaseOid MyDatabaseId
 * @param key1 first key
 * @param key2 second key
 * @returns the tag
 */
export function advisoryTagInt4Pair(databaseOid: number, key1: number, key2: number): LockTag {
  return {
    field1: databaseOid >>> 0,
    field2: key1 >>> 0,
    field3: key2 >>> 0,
    field4: 2,
    type: LockTagType.advisory,
    method: USER_LOCKMETHOD,
  };
}

/** The tag's fourth word as stored: field4 | type << 16 | method << 24. */
export function lockTagWord4(tag: LockTag): number {
  return (tag.field4 & 0xffff) | (tag.type << 16) | (tag.method << 24);
}

/**
 * The tag's 32-bit hash (LockTagHashCode): selects the partition (low 4 bits) and the bucket.
 *
 * @param tag the tag
 * @returns an unsigned 32-bit hash
 */
export function lockTagHash(tag: LockTag): number {
  let h = 0x9747b28c;
  for (const w of [tag.field1, tag.field2, tag.field3, lockTagWord4(tag)]) {
    h = Math.imul(h ^ (w >>> 0), 0x5bd1e995);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Describes a tag as messages do (DescribeLockTag), e.g. `advisory lock [5,0,1,1]`.
 *
 * @param tag the tag
 * @returns the description
 */
export function describeLockTag(tag: LockTag): string {
  if (tag.type === LockTagType.advisory) {
    return `advisory lock [${tag.field1},${tag.field2},${tag.field3},${tag.field4}]`;
  }
  if (tag.type === LockTagType.virtualxid) return `virtual transaction ${tag.field1}/${tag.field2}`;
  return `unrecognized locktag type ${tag.type}`;
}
