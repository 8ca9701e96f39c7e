/**
 * xact.ts — ending a transaction: the commit or abort record, waiting for
 * it to be durable, recording the outcome in pg_xact; and the replay of
 * those records.
 *
 * PostgreSQL counterpart: RecordTransactionCommit, RecordTransactionAbort,
 * XactLogCommitRecord, xact_redo (src/backend/access/transam/xact.c) and
 * TransactionIdDidCommit / TransactionIdDidAbort (transam.c).
 *
 * NOTES
 * Order of a commit, as PostgreSQL's: (1) insert the commit record; (2)
 * with synchronous_commit on (and fsync on), xlogFlush up to its end —
 * group commit lets one fsync serve every committer waiting at once; with it
 * off, publish the LSN for the walwriter instead; (3) mark the xid committed
 * in pg_xact (for an asynchronous commit the pg_xact page remembers the LSN
 * and is not written before WAL is flushed past it); (4) clear the xid from
 * the process array. So when a commit returns under synchronous_commit = on,
 * the commit is durable: replay will mark it committed even if pg_xact's
 * page never reached disk. An abort record is not flushed: losing it in a
 * crash makes the transaction look in progress, which after a restart reads
 * as not committed, the same outcome.
 * Crash behaviour: everything between inserting the record and updating
 * pg_xact is a critical section (an error there is a PANIC).
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import {
  pgstatCountXact,
  procArrayAuxProcNo,
  procArrayDelayChkptEnd,
  procArrayDelayChkptStart,
  procArraySetXid,
  setLatch,
  type ShmemSegment,
} from "../shmem/mod.ts";
import { criticalSection } from "../storage/critical_section.ts";
import type { Rmgr } from "../wal/rmgr.ts";
import { RM_XACT_ID } from "../wal/rmgr_ids.ts";
import { xlogFlush, xlogInsert, xlogSetAsyncXactLsn, xlogSetCurrentTransactionId } from "../wal/xlog.ts";
import type { XLogRecPtr } from "../wal/lsn.ts";
import { transactionIdGetStatus, transactionIdSetStatus } from "./clog.ts";
import type { XidStatus } from "./clog_page.ts";
import {
  BOOTSTRAP_TRANSACTION_ID,
  FROZEN_TRANSACTION_ID,
  type TransactionId,
  transactionIdIsNormal,
} from "./transam.ts";
import { advanceLatestCompletedXid, advanceNextFullTransactionIdPastXid } from "./varsup.ts";
import {
  decodeXactRecord,
  encodeXactRecord,
  formatTimestampTz,
  timestampTzFromMs,
  XLOG_XACT_ABORT,
  XLOG_XACT_COMMIT,
  XLOG_XACT_OPMASK,
} from "./xact_record.ts";

/** When a commit returns, as the synchronous_commit setting says. */
export interface CommitOptions {
  /** synchronous_commit: "on" (also local/remote_*) waits for the flush; "off" does not. */
  synchronousCommit: string;
  /** fsync: with it off there is nothing durable to wait for. */
  fsync: boolean;
  /** Database of the transaction, for pg_stat_database. */
  databaseOid?: number;
}

/**
 * Commits a transaction that has an xid (RecordTransactionCommit): writes
 * the commit record, waits until it is durable when synchronous_commit is
 * on, and marks the xid committed.
 *
 * Lock contract: the caller holds no buffer content locks; takes insertion
 * and WAL write locks briefly, and XactSLRULock.
 *
 * @param seg the segment; this process holds a slot
 * @param xid the transaction (from getNewTransactionId)
 * @param options synchronous_commit, fsync, database
 * @returns the end of the commit record
 * @example
 * ```ts
 * const xid = getNewTransactionId(seg);
 * // ... WAL-logged changes carrying xid ...
 * commitTransaction(seg, xid, { synchronousCommit: settings.str("synchronous_commit"), fsync: settings.bool("fsync") });
 * ```
 */
export function commitTransaction(seg: ShmemSegment, xid: TransactionId, options: CommitOptions): XLogRecPtr {
  assert(transactionIdIsNormal(xid), "a normal xid commits");
  const sync = options.synchronousCommit !== "off" && options.fsync;
  // A checkpoint whose redo point lands between the commit record and the commit status must wait for the status,
  // or it could write pg_xact without it and let recovery start past the record (PostgreSQL's DELAY_CHKPT_START).
  procArrayDelayChkptStart(seg);
  let end: XLogRecPtr;
  try {
    end = criticalSection(() => {
      const lsn = xlogInsert(RM_XACT_ID, XLOG_XACT_COMMIT, {
        xid,
        mainData: encodeXactRecord(timestampTzFromMs(Date.now())),
      });
      if (sync) {
        xlogFlush(lsn);
        transactionIdSetStatus(xid, "committed");
      } else {
        if (xlogSetAsyncXactLsn(lsn)) setLatch(seg, procArrayAuxProcNo(seg, "walwriter"));
        transactionIdSetStatus(xid, "committed", lsn);
      }
      return lsn;
    });
  } finally {
    procArrayDelayChkptEnd(seg);
  }
  _endTransaction(seg, xid, true, options.databaseOid ?? 0);
  return end;
}

/**
 * Aborts a transaction that has an xid (RecordTransactionAbort): writes the
 * abort record (not flushed) and marks the xid aborted.
 *
 * Lock contract: as {@link commitTransaction}; the caller released its
 * buffer locks and pins first.
 *
 * @param seg the segment; this process holds a slot
 * @param xid the transaction
 * @param databaseOid its database, for statistics
 * @returns the end of the abort record
 */
export function abortTransaction(seg: ShmemSegment, xid: TransactionId, databaseOid = 0): XLogRecPtr {
  assert(transactionIdIsNormal(xid), "a normal xid aborts");
  const end = criticalSection(() => {
    const lsn = xlogInsert(RM_XACT_ID, XLOG_XACT_ABORT, {
      xid,
      mainData: encodeXactRecord(timestampTzFromMs(Date.now())),
    });
    transactionIdSetStatus(xid, "aborted");
    return lsn;
  });
  _endTransaction(seg, xid, false, databaseOid);
  return end;
}

function _endTransaction(seg: ShmemSegment, xid: TransactionId, committed: boolean, databaseOid: number): void {
  xlogSetCurrentTransactionId(0);
  procArraySetXid(seg, 0);
  advanceLatestCompletedXid(seg, xid);
  pgstatCountXact(seg, committed, databaseOid);
}

/**
 * @param xid a transaction id
 * @returns its status; the bootstrap and frozen ids count as committed
 */
export function transactionIdStatus(xid: TransactionId): XidStatus {
  if (xid === BOOTSTRAP_TRANSACTION_ID || xid === FROZEN_TRANSACTION_ID) return "committed";
  if (!transactionIdIsNormal(xid)) return "aborted";
  return transactionIdGetStatus(xid);
}

/** @returns whether the transaction committed (TransactionIdDidCommit) */
export function transactionIdDidCommit(xid: TransactionId): boolean {
  return transactionIdStatus(xid) === "committed";
}

/** @returns whether the transaction aborted (TransactionIdDidAbort) */
export function transactionIdDidAbort(xid: TransactionId): boolean {
  return transactionIdStatus(xid) === "aborted";
}

let _redoSeg: ShmemSegment | undefined;

/**
 * Gives the transaction resource manager's redo the segment (the startup
 * process, before replay).
 *
 * @param seg the segment
 */
export function xactRedoInit(seg: ShmemSegment): void {
  _redoSeg = seg;
}

/** The transaction resource manager (xact_redo, xact_desc, xact_identify). */
export const XACT_RMGR: Rmgr = {
  id: RM_XACT_ID,
  name: "Transaction",
  redo(rec) {
    assert(_redoSeg !== undefined, "xactRedoInit() was called");
    const op = rec.info & XLOG_XACT_OPMASK;
    if (op !== XLOG_XACT_COMMIT && op !== XLOG_XACT_ABORT) return;
    advanceNextFullTransactionIdPastXid(_redoSeg, rec.xid);
    transactionIdSetStatus(rec.xid, op === XLOG_XACT_COMMIT ? "committed" : "aborted");
    advanceLatestCompletedXid(_redoSeg, rec.xid);
  },
  desc(rec) {
    const op = rec.info & XLOG_XACT_OPMASK;
    return `${op === XLOG_XACT_COMMIT ? "COMMIT" : "ABORT"} ${
      formatTimestampTz(decodeXactRecord(rec.mainData).xactTime)
    }`;
  },
  identify(info) {
    const op = info & XLOG_XACT_OPMASK;
    return op === XLOG_XACT_COMMIT ? "COMMIT" : op === XLOG_XACT_ABORT ? "ABORT" : undefined;
  },
};
