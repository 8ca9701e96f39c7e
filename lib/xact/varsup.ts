/**
 * varsup.ts — transaction id assignment from shared memory, and the next OID (kept for checkpoint records).
 *
 * PostgreSQL counterpart: src/backend/access/transam/varsup.c
 * (GetNewTransactionId, ReadNextFullTransactionId,
 * AdvanceNextFullTransactionIdPastXid, GetNewObjectId) and
 * TransamVariablesData / VariableCacheData.
 *
 * NOTES
 * "transaction state" region: nextFullXid (i64) at 0 and nextOid (u32) at
 * 8, both under XidGenLock / OidGenLock; oldestXid (u32) at 12;
 * latestCompletedFullXid (i64) at 16 (advanced with an atomic monotonic
 * max). The counter is a 64-bit FullTransactionId, so it never wraps; the
 * 32-bit id handed out skips the special ids 0-2 when its low half wraps.
 * The startup process sets the counters from the checkpoint it starts from
 * and advances them past every xid it replays; checkpoints record them.
 * A new xid is published in the process array while XidGenLock is held, so
 * a snapshot taken after the assignment sees it (PostgreSQL's rule).
 *
 * @module
 */

import {
  atomicMonotonicAdvance64,
  lwlockAcquire,
  lwlockRelease,
  mainLWLock,
  procArraySetXid,
  type ShmemSegment,
} from "../shmem/mod.ts";
import { xlogSetCurrentTransactionId } from "../wal/xlog.ts";
import {
  FIRST_NORMAL_TRANSACTION_ID,
  type TransactionId,
  transactionIdPrecedes,
  xidFromFullTransactionId,
} from "./transam.ts";

const _NEXT_FULL_XID = 0;
const _NEXT_OID = 8;
const _OLDEST_XID = 12;
const _LATEST_COMPLETED = 16;

function _base(seg: ShmemSegment): number {
  return seg.region("transaction state").offset;
}

/**
 * Sets the counters from a checkpoint (StartupXLOG; the startup process,
 * before any backend runs).
 *
 * @param seg the segment
 * @param nextFullXid the checkpoint's next full xid
 * @param nextOid its next OID
 * @param oldestXid its oldest xid
 */
export function varsupStart(seg: ShmemSegment, nextFullXid: bigint, nextOid: number, oldestXid: number): void {
  const b = _base(seg);
  Atomics.store(seg.bigInt64, (b + _NEXT_FULL_XID) >> 3, nextFullXid);
  Atomics.store(seg.i32, (b + _NEXT_OID) >> 2, nextOid | 0);
  Atomics.store(seg.i32, (b + _OLDEST_XID) >> 2, oldestXid | 0);
  Atomics.store(seg.bigInt64, (b + _LATEST_COMPLETED) >> 3, nextFullXid - 1n);
}

/**
 * Assigns a new transaction id (GetNewTransactionId), publishes it as this
 * process's xid in the process array, and makes it the xid of this
 * process's following WAL records.
 *
 * Lock contract: takes and releases XidGenLock; the caller holds a slot.
 *
 * @param seg the segment
 * @returns the new xid (a normal one: at least 3)
 */
export function getNewTransactionId(seg: ShmemSegment): TransactionId {
  const lock = mainLWLock(seg, "XidGenLock");
  const idx = (_base(seg) + _NEXT_FULL_XID) >> 3;
  lwlockAcquire(seg, lock, "exclusive");
  try {
    let full = Atomics.load(seg.bigInt64, idx);
    if ((full & 0xffffffffn) < BigInt(FIRST_NORMAL_TRANSACTION_ID)) {
      full = (full & ~0xffffffffn) | BigInt(FIRST_NORMAL_TRANSACTION_ID);
    }
    Atomics.store(seg.bigInt64, idx, full + 1n);
    const xid = xidFromFullTransactionId(full);
    procArraySetXid(seg, xid);
    xlogSetCurrentTransactionId(xid);
    return xid;
  } finally {
    lwlockRelease(seg, lock);
  }
}

/** @returns the next full transaction id to be assigned (ReadNextFullTransactionId) */
export function readNextFullTransactionId(seg: ShmemSegment): bigint {
  return Atomics.load(seg.bigInt64, (_base(seg) + _NEXT_FULL_XID) >> 3);
}

/** @returns the next OID to be assigned, and the oldest xid (for checkpoint records) */
export function readNextOidAndOldestXid(seg: ShmemSegment): { nextOid: number; oldestXid: number } {
  const b = _base(seg);
  return {
    nextOid: Atomics.load(seg.i32, (b + _NEXT_OID) >> 2) >>> 0,
    oldestXid: Atomics.load(seg.i32, (b + _OLDEST_XID) >> 2) >>> 0,
  };
}

/**
 * Advances the counter past an xid seen in WAL replay
 * (AdvanceNextFullTransactionIdPastXid). The startup process only.
 *
 * @param seg the segment
 * @param xid a replayed transaction's id
 */
export function advanceNextFullTransactionIdPastXid(seg: ShmemSegment, xid: TransactionId): void {
  const idx = (_base(seg) + _NEXT_FULL_XID) >> 3;
  const next = Atomics.load(seg.bigInt64, idx);
  const nextXid = xidFromFullTransactionId(next);
  if (transactionIdPrecedes(xid, nextXid)) return;
  // Keep the epoch, but count a wrap of the 32-bit id (the active span never exceeds one epoch).
  let after = (xid + 1) >>> 0;
  if (after < FIRST_NORMAL_TRANSACTION_ID) after = FIRST_NORMAL_TRANSACTION_ID;
  let epoch = next >> 32n;
  if (after < nextXid) epoch += 1n;
  Atomics.store(seg.bigInt64, idx, (epoch << 32n) | BigInt(after));
}

/**
 * Records that a transaction ended, for snapshots (latestCompletedXid).
 *
 * @param seg the segment
 * @param xid the transaction
 */
export function advanceLatestCompletedXid(seg: ShmemSegment, xid: TransactionId): void {
  const next = readNextFullTransactionId(seg);
  let full = ((next >> 32n) << 32n) | BigInt(xid);
  if (full >= next) full -= 1n << 32n;
  atomicMonotonicAdvance64(seg, _base(seg) + _LATEST_COMPLETED, full);
}
