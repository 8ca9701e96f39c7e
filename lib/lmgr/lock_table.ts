/**
 * lock_table.ts — the shared lock table: LOCK and PROCLOCK entries in a
 * chained hash partitioned under the 16 LockManager LWLocks, their free
 * lists, grant/ungrant bookkeeping, wait queues and the wake-up of waiters.
 *
 * PostgreSQL counterpart: the shared-memory half of
 * src/backend/storage/lmgr/lock.c (SetupLockInTable, LockCheckConflicts,
 * GrantLock, UnGrantLock, CleanUpLock, RemoveFromWaitQueue) and
 * ProcLockWakeup() of proc.c.
 *
 * NOTES
 * Lock contract: every function here that reads or writes a LOCK, its
 * PROCLOCKs or a waiter's wait state expects the caller to hold the LOCK's
 * partition LWLock exclusively (the deadlock checker holds all 16); the
 * free lists are under the table's spinlock, taken inside. Only a process's
 * own wait `status` word is read without the partition lock (Atomics). The
 * bucket of a hash is `hash % buckets` and its partition `hash % 16`;
 * buckets are a multiple of 16, so every chain lies in one partition.
 * Indexes are stored + 1 so that 0 means "none" and zeroed memory is an
 * empty table. See README.md.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { mainLWLock, setLatch, type ShmemSegment, spinLockAcquire, spinLockRelease } from "../shmem/mod.ts";
import { ProcSlotOffset, procSlotOffset } from "../shmem/proc_array_layout.ts";
import { LOCK_CONFLICTS, LOCK_MODES_MAX, lockBit, type LockTag, lockTagWord4 } from "./lock_defs.ts";
import {
  LOCK_BUCKET_BYTES,
  LOCK_ENTRY_BYTES,
  LOCK_PARTITIONS,
  LOCK_TABLE_HEADER_BYTES,
  LOCK_WAIT_SLOT_BYTES,
  LOCK_WAITS_HEADER_BYTES,
  lockBucketCount,
  lockEntryCountOfSize,
  LockOffset,
  LockTableHeader,
  LockWaitOffset,
  LockWaitStatus,
  PROCLOCK_ENTRY_BYTES,
  ProcLockOffset,
  PROCLOCKS_PER_LOCK,
} from "./lock_sizes.ts";

/** Where a segment's lock table is (from the region table; cached per mapping). */
export interface LockTableGeometry {
  readonly seg: ShmemSegment;
  readonly i32: Int32Array;
  readonly header: number;
  readonly nLocks: number;
  readonly nProcLocks: number;
  readonly nBuckets: number;
  readonly buckets: number;
  readonly locks: number;
  readonly procLocks: number;
  readonly waits: number;
  readonly nWaitSlots: number;
  /** Byte offsets of the 16 partition LWLocks. */
  readonly partitionLocks: readonly number[];
}

const _geometry = new WeakMap<ShmemSegment, LockTableGeometry>();

/**
 * The lock table of a segment.
 *
 * @param seg the segment
 * @returns its geometry
 */
export function lockTableGeometry(seg: ShmemSegment): LockTableGeometry {
  let g = _geometry.get(seg);
  if (g !== undefined) return g;
  const t = seg.region("lock table");
  const w = seg.region("lock waits");
  const nLocks = lockEntryCountOfSize(t.sizeBytes);
  const nBuckets = lockBucketCount(nLocks);
  const buckets = t.offset + LOCK_TABLE_HEADER_BYTES;
  const locks = buckets + nBuckets * LOCK_BUCKET_BYTES;
  g = {
    seg,
    i32: seg.i32,
    header: t.offset,
    nLocks,
    nProcLocks: nLocks * PROCLOCKS_PER_LOCK,
    nBuckets,
    buckets,
    locks,
    procLocks: locks + nLocks * LOCK_ENTRY_BYTES,
    waits: w.offset + LOCK_WAITS_HEADER_BYTES,
    nWaitSlots: (w.sizeBytes - LOCK_WAITS_HEADER_BYTES) / LOCK_WAIT_SLOT_BYTES,
    partitionLocks: Array.from({ length: LOCK_PARTITIONS }, (_, p) => mainLWLock(seg, "LockManager", p)),
  };
  _geometry.set(seg, g);
  return g;
}

// ---- word access ------------------------------------------------------------

/** i32 index of a LOCK field (lock = index + 1). */
export function lk(g: LockTableGeometry, lock: number, field: number): number {
  return (g.locks + (lock - 1) * LOCK_ENTRY_BYTES + field) >> 2;
}
/** i32 index of a PROCLOCK field (procLock = index + 1). */
export function pl(g: LockTableGeometry, procLock: number, field: number): number {
  return (g.procLocks + (procLock - 1) * PROCLOCK_ENTRY_BYTES + field) >> 2;
}
/** Byte offset of a process's wait state. */
export function waitSlot(g: LockTableGeometry, procNo: number): number {
  return g.waits + procNo * LOCK_WAIT_SLOT_BYTES;
}
/** i32 index of a wait-state field. */
export function ws(g: LockTableGeometry, procNo: number, field: number): number {
  return (waitSlot(g, procNo) + field) >> 2;
}
function _req(g: LockTableGeometry, lock: number, mode: number): number {
  return lk(g, lock, LockOffset.requested + 4 * (mode - 1));
}
function _gr(g: LockTableGeometry, lock: number, mode: number): number {
  return lk(g, lock, LockOffset.granted + 4 * (mode - 1));
}

/** @returns the partition (0..15) of a tag hash */
export function lockPartition(hash: number): number {
  return hash % LOCK_PARTITIONS;
}

/** @returns the tag stored in a LOCK entry */
export function lockEntryTag(g: LockTableGeometry, lock: number): LockTag {
  const i = g.i32;
  const w4 = i[lk(g, lock, LockOffset.word4)];
  return {
    field1: i[lk(g, lock, LockOffset.field1)] >>> 0,
    field2: i[lk(g, lock, LockOffset.field2)] >>> 0,
    field3: i[lk(g, lock, LockOffset.field3)] >>> 0,
    field4: w4 & 0xffff,
    type: (w4 >>> 16) & 0xff,
    method: w4 >>> 24,
  };
}

/** @returns the pid of the process in a process-array slot (its claim word), 0 if free */
export function procPid(g: LockTableGeometry, procNo: number): number {
  return Atomics.load(g.i32, (procSlotOffset(g.seg, procNo) + ProcSlotOffset.claim) >> 2);
}

// ---- free lists (spinlock) -----------------------------------------------------

/**
 * Takes a free LOCK entry, or 0 when the table is full.
 *
 * Lock contract: the caller holds the partition lock of the tag it will store.
 */
function _allocLock(g: LockTableGeometry): number {
  const i = g.i32;
  const h = g.header;
  spinLockAcquire(g.seg, h + LockTableHeader.freeListLock, "lock table free list");
  let idx = i[(h + LockTableHeader.lockFreeHead) >> 2];
  if (idx !== 0) i[(h + LockTableHeader.lockFreeHead) >> 2] = i[lk(g, idx, LockOffset.hashNext)];
  else if (i[(h + LockTableHeader.lockHighWater) >> 2] < g.nLocks) idx = ++i[(h + LockTableHeader.lockHighWater) >> 2];
  spinLockRelease(g.seg, h + LockTableHeader.freeListLock);
  return idx;
}

function _freeLock(g: LockTableGeometry, lock: number): void {
  const i = g.i32;
  const h = g.header;
  const base = lk(g, lock, 0);
  i.fill(0, base, base + LOCK_ENTRY_BYTES / 4);
  spinLockAcquire(g.seg, h + LockTableHeader.freeListLock, "lock table free list");
  i[lk(g, lock, LockOffset.hashNext)] = i[(h + LockTableHeader.lockFreeHead) >> 2];
  i[(h + LockTableHeader.lockFreeHead) >> 2] = lock;
  spinLockRelease(g.seg, h + LockTableHeader.freeListLock);
}

function _allocProcLock(g: LockTableGeometry): number {
  const i = g.i32;
  const h = g.header;
  spinLockAcquire(g.seg, h + LockTableHeader.freeListLock, "lock table free list");
  let idx = i[(h + LockTableHeader.procLockFreeHead) >> 2];
  if (idx !== 0) i[(h + LockTableHeader.procLockFreeHead) >> 2] = i[pl(g, idx, ProcLockOffset.next)];
  else if (i[(h + LockTableHeader.procLockHighWater) >> 2] < g.nProcLocks) {
    idx = ++i[(h + LockTableHeader.procLockHighWater) >> 2];
  }
  spinLockRelease(g.seg, h + LockTableHeader.freeListLock);
  return idx;
}

function _freeProcLock(g: LockTableGeometry, procLock: number): void {
  const i = g.i32;
  const h = g.header;
  const base = pl(g, procLock, 0);
  i.fill(0, base, base + PROCLOCK_ENTRY_BYTES / 4);
  spinLockAcquire(g.seg, h + LockTableHeader.freeListLock, "lock table free list");
  i[pl(g, procLock, ProcLockOffset.next)] = i[(h + LockTableHeader.procLockFreeHead) >> 2];
  i[(h + LockTableHeader.procLockFreeHead) >> 2] = procLock;
  spinLockRelease(g.seg, h + LockTableHeader.freeListLock);
}

// ---- lookup and set-up ----------------------------------------------------------

/**
 * Finds the LOCK of a tag (hash_search HASH_FIND).
 *
 * @returns the lock (index + 1), 0 when absent
 */
export function findLock(g: LockTableGeometry, tag: LockTag, hash: number): number {
  const i = g.i32;
  const w4 = lockTagWord4(tag);
  for (let l = i[(g.buckets >> 2) + (hash % g.nBuckets)]; l !== 0; l = i[lk(g, l, LockOffset.hashNext)]) {
    if (
      i[lk(g, l, LockOffset.word4)] === w4 && i[lk(g, l, LockOffset.field1)] >>> 0 === tag.field1 &&
      i[lk(g, l, LockOffset.field2)] >>> 0 === tag.field2 && i[lk(g, l, LockOffset.field3)] >>> 0 === tag.field3
    ) return l;
  }
  return 0;
}

/**
 * Finds or creates the LOCK of a tag (hash_search HASH_ENTER_NULL).
 *
 * @returns the lock, 0 when the table is full
 */
export function findOrCreateLock(g: LockTableGeometry, tag: LockTag, hash: number): number {
  const found = findLock(g, tag, hash);
  if (found !== 0) return found;
  const l = _allocLock(g);
  if (l === 0) return 0;
  const i = g.i32;
  i[lk(g, l, LockOffset.field1)] = tag.field1;
  i[lk(g, l, LockOffset.field2)] = tag.field2;
  i[lk(g, l, LockOffset.field3)] = tag.field3;
  i[lk(g, l, LockOffset.word4)] = lockTagWord4(tag);
  const bucket = (g.buckets >> 2) + (hash % g.nBuckets);
  i[lk(g, l, LockOffset.hashNext)] = i[bucket];
  i[bucket] = l;
  return l;
}

/** Frees a LOCK that nobody requests any more (a PROCLOCK could not be created for its first request). */
export function removeLockIfUnrequested(g: LockTableGeometry, lock: number, hash: number): void {
  if (g.i32[lk(g, lock, LockOffset.nRequested)] === 0) _removeLock(g, lock, hash);
}

function _removeLock(g: LockTableGeometry, lock: number, hash: number): void {
  const i = g.i32;
  const bucket = (g.buckets >> 2) + (hash % g.nBuckets);
  let prev = 0;
  for (let l = i[bucket]; l !== 0; prev = l, l = i[lk(g, l, LockOffset.hashNext)]) {
    if (l !== lock) continue;
    const next = i[lk(g, l, LockOffset.hashNext)];
    if (prev === 0) i[bucket] = next;
    else i[lk(g, prev, LockOffset.hashNext)] = next;
    _freeLock(g, lock);
    return;
  }
  assert(false, "lock table entry is in its bucket");
}

/** @returns this process's PROCLOCK on a lock, 0 when none */
export function findProcLock(g: LockTableGeometry, lock: number, procNo: number): number {
  const i = g.i32;
  for (let p = i[lk(g, lock, LockOffset.procLockHead)]; p !== 0; p = i[pl(g, p, ProcLockOffset.next)]) {
    if (i[pl(g, p, ProcLockOffset.procNo)] === procNo) return p;
  }
  return 0;
}

/**
 * Finds or creates a process's PROCLOCK on a lock.
 *
 * @returns the proclock, 0 when the table is full
 */
export function findOrCreateProcLock(g: LockTableGeometry, lock: number, procNo: number): number {
  const found = findProcLock(g, lock, procNo);
  if (found !== 0) return found;
  const p = _allocProcLock(g);
  if (p === 0) return 0;
  const i = g.i32;
  const head = i[lk(g, lock, LockOffset.procLockHead)];
  i[pl(g, p, ProcLockOffset.lock)] = lock;
  i[pl(g, p, ProcLockOffset.procNo)] = procNo;
  i[pl(g, p, ProcLockOffset.next)] = head;
  if (head !== 0) i[pl(g, head, ProcLockOffset.prev)] = p;
  i[lk(g, lock, LockOffset.procLockHead)] = p;
  return p;
}

function _removeProcLock(g: LockTableGeometry, lock: number, p: number): void {
  const i = g.i32;
  const next = i[pl(g, p, ProcLockOffset.next)];
  const prev = i[pl(g, p, ProcLockOffset.prev)];
  if (prev === 0) i[lk(g, lock, LockOffset.procLockHead)] = next;
  else i[pl(g, prev, ProcLockOffset.next)] = next;
  if (next !== 0) i[pl(g, next, ProcLockOffset.prev)] = prev;
  _freeProcLock(g, p);
}

// ---- conflicts, grant, ungrant ----------------------------------------------------

/**
 * Does a request conflict with locks other processes hold (LockCheckConflicts)?
 * The requester's own holdings never conflict.
 *
 * @param holdMask the modes the requester already holds on the lock
 * @returns true on conflict
 */
export function lockCheckConflicts(g: LockTableGeometry, lock: number, mode: number, holdMask: number): boolean {
  const i = g.i32;
  const conflictMask = LOCK_CONFLICTS[mode];
  if ((conflictMask & i[lk(g, lock, LockOffset.grantMask)]) === 0) return false;
  let others = 0;
  for (let m = 1; m <= LOCK_MODES_MAX; m++) {
    const mine = (holdMask & lockBit(m)) !== 0 ? 1 : 0;
    if (i[_gr(g, lock, m)] > mine) others |= lockBit(m);
  }
  return (conflictMask & others) !== 0;
}

/** Counts a request (lock->nRequested++, requested[mode]++). */
export function countRequest(g: LockTableGeometry, lock: number, mode: number): void {
  g.i32[lk(g, lock, LockOffset.nRequested)]++;
  g.i32[_req(g, lock, mode)]++;
}

/** Takes back a request that was never granted nor queued (the dontWait path). */
export function uncountRequest(g: LockTableGeometry, lock: number, procLock: number, hash: number, mode: number): void {
  g.i32[lk(g, lock, LockOffset.nRequested)]--;
  g.i32[_req(g, lock, mode)]--;
  cleanUpLock(g, lock, procLock, hash, false);
}

/** Records a grant (GrantLock). */
export function grantLock(g: LockTableGeometry, lock: number, procLock: number, mode: number): void {
  const i = g.i32;
  i[_gr(g, lock, mode)]++;
  i[lk(g, lock, LockOffset.nGranted)]++;
  i[lk(g, lock, LockOffset.grantMask)] |= lockBit(mode);
  if (i[_gr(g, lock, mode)] === i[_req(g, lock, mode)]) i[lk(g, lock, LockOffset.waitMask)] &= ~lockBit(mode);
  i[pl(g, procLock, ProcLockOffset.holdMask)] |= lockBit(mode);
}

/**
 * Takes back a grant (UnGrantLock).
 *
 * @returns whether waiters may now be grantable (the released mode conflicts with a waited-for mode)
 */
export function unGrantLock(g: LockTableGeometry, lock: number, procLock: number, mode: number): boolean {
  const i = g.i32;
  assert((i[pl(g, procLock, ProcLockOffset.holdMask)] & lockBit(mode)) !== 0, "released mode is held");
  i[_req(g, lock, mode)]--;
  i[lk(g, lock, LockOffset.nRequested)]--;
  i[_gr(g, lock, mode)]--;
  i[lk(g, lock, LockOffset.nGranted)]--;
  if (i[_gr(g, lock, mode)] === 0) i[lk(g, lock, LockOffset.grantMask)] &= ~lockBit(mode);
  i[pl(g, procLock, ProcLockOffset.holdMask)] &= ~lockBit(mode);
  return (LOCK_CONFLICTS[mode] & i[lk(g, lock, LockOffset.waitMask)]) !== 0;
}

/**
 * After a release or a withdrawn request (CleanUpLock): frees the PROCLOCK
 * when it holds nothing, the LOCK when nobody requests it, else wakes the
 * waiters that can now go.
 */
export function cleanUpLock(g: LockTableGeometry, lock: number, procLock: number, hash: number, wakeup: boolean): void {
  const i = g.i32;
  if (i[pl(g, procLock, ProcLockOffset.holdMask)] === 0) _removeProcLock(g, lock, procLock);
  if (i[lk(g, lock, LockOffset.nRequested)] === 0) {
    assert(i[lk(g, lock, LockOffset.procLockHead)] === 0, "an unrequested lock has no holders");
    _removeLock(g, lock, hash);
  } else if (wakeup) {
    procLockWakeup(g, lock);
  }
}

// ---- wait queues ---------------------------------------------------------------------

/** Links a process into a lock's wait queue before `before` (procNo + 1; 0 = at the tail). */
export function queueInsert(g: LockTableGeometry, lock: number, procNo: number, before: number): void {
  const i = g.i32;
  const me = procNo + 1;
  if (before === 0) {
    const tail = i[lk(g, lock, LockOffset.waitTail)];
    i[ws(g, procNo, LockWaitOffset.prev)] = tail;
    i[ws(g, procNo, LockWaitOffset.next)] = 0;
    if (tail === 0) i[lk(g, lock, LockOffset.waitHead)] = me;
    else i[ws(g, tail - 1, LockWaitOffset.next)] = me;
    i[lk(g, lock, LockOffset.waitTail)] = me;
    return;
  }
  const prev = i[ws(g, before - 1, LockWaitOffset.prev)];
  i[ws(g, procNo, LockWaitOffset.prev)] = prev;
  i[ws(g, procNo, LockWaitOffset.next)] = before;
  i[ws(g, before - 1, LockWaitOffset.prev)] = me;
  if (prev === 0) i[lk(g, lock, LockOffset.waitHead)] = me;
  else i[ws(g, prev - 1, LockWaitOffset.next)] = me;
}

function _queueRemove(g: LockTableGeometry, lock: number, procNo: number): void {
  const i = g.i32;
  const next = i[ws(g, procNo, LockWaitOffset.next)];
  const prev = i[ws(g, procNo, LockWaitOffset.prev)];
  if (prev === 0) i[lk(g, lock, LockOffset.waitHead)] = next;
  else i[ws(g, prev - 1, LockWaitOffset.next)] = next;
  if (next === 0) i[lk(g, lock, LockOffset.waitTail)] = prev;
  else i[ws(g, next - 1, LockWaitOffset.prev)] = prev;
  i[ws(g, procNo, LockWaitOffset.next)] = 0;
  i[ws(g, procNo, LockWaitOffset.prev)] = 0;
}

/** Clears a process's wait fields (not its status, which the caller sets). */
function _clearWait(g: LockTableGeometry, procNo: number): void {
  const i = g.i32;
  i[ws(g, procNo, LockWaitOffset.lock)] = 0;
  i[ws(g, procNo, LockWaitOffset.procLock)] = 0;
  i[ws(g, procNo, LockWaitOffset.mode)] = 0;
  i[ws(g, procNo, LockWaitOffset.heldMask)] = 0;
  g.seg.f64[(waitSlot(g, procNo) + LockWaitOffset.waitStartMs) >> 3] = 0;
}

/**
 * Wakes the waiters that can now be granted, in queue order (ProcLockWakeup):
 * a waiter is granted when its mode conflicts neither with the modes earlier
 * waiters still wait for nor with what others hold.
 */
export function procLockWakeup(g: LockTableGeometry, lock: number): void {
  const i = g.i32;
  let ahead = 0;
  for (let w = i[lk(g, lock, LockOffset.waitHead)]; w !== 0;) {
    const procNo = w - 1;
    const next = i[ws(g, procNo, LockWaitOffset.next)];
    const mode = i[ws(g, procNo, LockWaitOffset.mode)];
    const procLock = i[ws(g, procNo, LockWaitOffset.procLock)];
    if (
      (LOCK_CONFLICTS[mode] & ahead) === 0 &&
      !lockCheckConflicts(g, lock, mode, i[pl(g, procLock, ProcLockOffset.holdMask)])
    ) {
      grantLock(g, lock, procLock, mode);
      _queueRemove(g, lock, procNo);
      _clearWait(g, procNo);
      Atomics.store(i, ws(g, procNo, LockWaitOffset.status), LockWaitStatus.granted);
      setLatch(g.seg, procNo);
    } else {
      ahead |= lockBit(mode);
    }
    w = next;
  }
}

/**
 * Takes a waiting process out of its lock's queue and withdraws its request
 * (RemoveFromWaitQueue), then cleans up the lock and wakes whoever can now go.
 *
 * @param hash the waited-for lock's tag hash
 */
export function removeFromWaitQueue(g: LockTableGeometry, procNo: number, hash: number): void {
  const i = g.i32;
  const lock = i[ws(g, procNo, LockWaitOffset.lock)];
  const procLock = i[ws(g, procNo, LockWaitOffset.procLock)];
  const mode = i[ws(g, procNo, LockWaitOffset.mode)];
  assert(lock !== 0 && procLock !== 0, "the process is waiting");
  _queueRemove(g, lock, procNo);
  i[_req(g, lock, mode)]--;
  i[lk(g, lock, LockOffset.nRequested)]--;
  if (i[_gr(g, lock, mode)] === i[_req(g, lock, mode)]) i[lk(g, lock, LockOffset.waitMask)] &= ~lockBit(mode);
  _clearWait(g, procNo);
  Atomics.store(i, ws(g, procNo, LockWaitOffset.status), LockWaitStatus.none);
  cleanUpLock(g, lock, procLock, hash, true);
}

/**
 * Publishes that a process now waits for a lock (the queue link is made by {@link queueInsert}).
 */
export function setWaiting(
  g: LockTableGeometry,
  procNo: number,
  lock: number,
  procLock: number,
  mode: number,
  heldMask: number,
): void {
  const i = g.i32;
  i[ws(g, procNo, LockWaitOffset.lock)] = lock;
  i[ws(g, procNo, LockWaitOffset.procLock)] = procLock;
  i[ws(g, procNo, LockWaitOffset.mode)] = mode;
  i[ws(g, procNo, LockWaitOffset.heldMask)] = heldMask;
  g.seg.f64[(waitSlot(g, procNo) + LockWaitOffset.waitStartMs) >> 3] = Date.now();
  i[lk(g, lock, LockOffset.waitMask)] |= lockBit(mode);
  Atomics.store(i, ws(g, procNo, LockWaitOffset.status), LockWaitStatus.waiting);
}
