/**
 * lock_status.ts — a snapshot of the lock table for the pg_locks view.
 *
 * PostgreSQL counterpart: GetLockStatusData() of
 * src/backend/storage/lmgr/lock.c.
 *
 * NOTES
 * Takes every partition LWLock in shared mode, in partition order, as
 * GetLockStatusData does, so the snapshot is consistent across partitions.
 * One row per held mode of each PROCLOCK, plus one row for a process that
 * waits on the lock. Lock contract: no LWLock held on entry or exit.
 *
 * @module
 */

import { lwlockAcquire, lwlockRelease, type ShmemSegment } from "../shmem/mod.ts";
import { LOCK_MODES_MAX, lockBit, type LockTag } from "./lock_defs.ts";
import { LockOffset, LockTableHeader, LockWaitOffset, LockWaitStatus, ProcLockOffset } from "./lock_sizes.ts";
import { lk, lockEntryTag, lockTableGeometry, pl, procPid, waitSlot, ws } from "./lock_table.ts";

/** One pg_locks row's lock-manager part. */
export interface LockStatusRow {
  readonly tag: LockTag;
  readonly procNo: number;
  readonly pid: number;
  /** The holder's published local transaction id (0: none). */
  readonly lxid: number;
  readonly mode: number;
  readonly granted: boolean;
  /** Epoch ms the wait started, for a waiting row. */
  readonly waitStartMs: number | null;
}

/**
 * Reads every held and awaited lock.
 *
 * @param seg the segment (read-write: it takes LWLocks); this process holds a slot
 * @returns rows in table order
 */
export function lockStatusRows(seg: ShmemSegment): LockStatusRow[] {
  const g = lockTableGeometry(seg);
  const i = g.i32;
  const rows: LockStatusRow[] = [];
  for (const p of g.partitionLocks) lwlockAcquire(seg, p, "shared");
  try {
    const used = i[(g.header + LockTableHeader.lockHighWater) >> 2];
    for (let lock = 1; lock <= used; lock++) {
      if (i[lk(g, lock, LockOffset.word4)] === 0) continue;
      const tag = lockEntryTag(g, lock);
      for (let p = i[lk(g, lock, LockOffset.procLockHead)]; p !== 0; p = i[pl(g, p, ProcLockOffset.next)]) {
        const procNo = i[pl(g, p, ProcLockOffset.procNo)];
        const base = { tag, procNo, pid: procPid(g, procNo), lxid: i[ws(g, procNo, LockWaitOffset.lxid)] };
        const hold = i[pl(g, p, ProcLockOffset.holdMask)];
        for (let m = 1; m <= LOCK_MODES_MAX; m++) {
          if ((hold & lockBit(m)) !== 0) rows.push({ ...base, mode: m, granted: true, waitStartMs: null });
        }
        if (
          Atomics.load(i, ws(g, procNo, LockWaitOffset.status)) === LockWaitStatus.waiting &&
          i[ws(g, procNo, LockWaitOffset.procLock)] === p
        ) {
          const startMs = seg.f64[(waitSlot(g, procNo) + LockWaitOffset.waitStartMs) >> 3];
          rows.push({
            ...base,
            mode: i[ws(g, procNo, LockWaitOffset.mode)],
            granted: false,
            waitStartMs: startMs === 0 ? null : startMs,
          });
        }
      }
    }
  } finally {
    for (const p of [...g.partitionLocks].reverse()) lwlockRelease(seg, p);
  }
  return rows;
}
