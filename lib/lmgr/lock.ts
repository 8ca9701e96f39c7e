/**
 * lock.ts — a process's heavyweight lock manager: acquire (granted, not
 * available, or wait), release, release-all at transaction and session end
 * and at exit, lock waits with cancel, lock_timeout and deadlock detection.
 *
 * PostgreSQL counterpart: LockAcquireExtended, LockRelease, LockReleaseAll,
 * LockReleaseSession and the LOCALLOCK table of
 * src/backend/storage/lmgr/lock.c; ProcSleep, CheckDeadLock and
 * LockErrorCleanup of proc.c; DeadLockReport of deadlock.c.
 *
 * NOTES
 * The process-local table (LOCALLOCK) counts how often this process holds
 * each (tag, mode), separately for the session and for the transaction;
 * the shared table only records that it holds the mode. So a process that
 * holds nothing pays nothing at transaction end (one comparison), and a
 * re-acquisition of a held lock touches no shared memory.
 * Waiting: the process queues itself under the partition LWLock, releases
 * it, and sleeps on its latch with wait event `Lock`/<tag type>; a releaser
 * grants it the lock, sets its status word and its latch. Each wake-up
 * checks interrupts (cancel, terminate, statement_timeout, which the
 * session's hook throws), lock_timeout (55P03) and, once deadlock_timeout
 * has passed, runs the deadlock check (40P01). On any error while queued
 * the request is withdrawn under the partition lock; if the grant came
 * first the lock is kept, as LockErrorCleanup's GrantAwaitedLock does.
 * Lock contract: no LWLock is held on entry or exit of any public method.
 * See README.md.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import {
  lwlockAcquire,
  lwlockRelease,
  pgstatReportWaitEnd,
  pgstatReportWaitStart,
  type ShmemSegment,
  waitEventInfo,
} from "../shmem/mod.ts";
import { buildWaitsForGraph, deadlockReportDetail, findLockCycle } from "./deadlock.ts";
import {
  describeLockTag,
  LOCK_CONFLICTS,
  LOCK_MODE_NAMES,
  LOCK_TAG_TYPE_NAMES,
  lockBit,
  type LockTag,
  lockTagHash,
  lockTagWord4,
} from "./lock_defs.ts";
import { LockOffset, LockWaitOffset, LockWaitStatus, ProcLockOffset } from "./lock_sizes.ts";
import {
  cleanUpLock,
  countRequest,
  findOrCreateLock,
  findOrCreateProcLock,
  grantLock,
  lk,
  lockCheckConflicts,
  lockPartition,
  type LockTableGeometry,
  lockTableGeometry,
  pl,
  procPid,
  queueInsert,
  removeFromWaitQueue,
  removeLockIfUnrequested,
  setWaiting,
  uncountRequest,
  unGrantLock,
  ws,
} from "./lock_table.ts";

/** Longest single latch wait while queued, so a lost wake-up costs at most this (ms). */
const LOCK_WAIT_SLICE_MAX_MS = 1000;

/** What a waiting lock manager needs from its session. */
export interface LockWaitHooks {
  /** Throws the pending cancel / terminate / statement_timeout error, if any. */
  checkForInterrupts(): void;
  /** Sleeps on the process latch up to `ms` (less if the statement's deadline is nearer); publishes no wait event. */
  waitForLatch(ms: number): Promise<void>;
  /** lock_timeout in ms (0: none). */
  lockTimeoutMs(): number;
  /** deadlock_timeout in ms. */
  deadlockTimeoutMs(): number;
}

/** One (tag, mode) this process holds or is acquiring (LOCALLOCK). */
interface _LocalLock {
  readonly key: string;
  readonly tag: LockTag;
  readonly mode: number;
  readonly hash: number;
  lock: number;
  procLock: number;
  sessionCount: number;
  xactCount: number;
}

/** How a lock is held: for the session (until released or the session ends) or for the transaction. */
export interface LockRequest {
  readonly session: boolean;
  /** Return false at once instead of waiting (LockAcquire's dontWait). */
  readonly dontWait: boolean;
}

/** A held lock of this process, for pg_locks' virtualtransaction and tests. */
export interface HeldLock {
  readonly tag: LockTag;
  readonly mode: number;
  readonly sessionCount: number;
  readonly xactCount: number;
}

/**
 * One process's access to the heavyweight lock table. Create one per
 * session (its process-array slot is its identity); call
 * {@link atTransactionEnd} after every transaction and {@link releaseAll}
 * at the session's end and at exit.
 *
 * @example
 * ```ts
 * const lm = new LockManager(seg, hooks);
 * const got = await lm.acquire(advisoryTagInt8(db, 1n), LockMode.ExclusiveLock, { session: true, dontWait: false });
 * lm.release(advisoryTagInt8(db, 1n), LockMode.ExclusiveLock, true);
 * ```
 */
export class LockManager {
  readonly #g: LockTableGeometry;
  readonly #seg: ShmemSegment;
  readonly #procNo: number;
  readonly #hooks: LockWaitHooks;
  readonly #locks = new Map<string, _LocalLock>();
  /** Entries with xactCount > 0: transaction end is free when 0. */
  #xactHeld = 0;
  /** Local transaction id (PGPROC.lxid): 1 at the first transaction, + 1 per transaction end. */
  #lxid = 1;

  /**
   * @param seg the segment; this process holds a process-array slot
   * @param hooks interrupt checks, the latch wait and the timeouts of the session
   */
  constructor(seg: ShmemSegment, hooks: LockWaitHooks) {
    assert(seg.local.procNo >= 0, "the lock manager needs a process-array slot");
    this.#seg = seg;
    this.#g = lockTableGeometry(seg);
    this.#procNo = seg.local.procNo;
    this.#hooks = hooks;
  }

  /** @returns whether this process holds any lock */
  get holdsAny(): boolean {
    return this.#locks.size > 0;
  }

  /** @returns the locks this process holds, with their counts */
  held(): HeldLock[] {
    return [...this.#locks.values()].map((l) => ({
      tag: l.tag,
      mode: l.mode,
      sessionCount: l.sessionCount,
      xactCount: l.xactCount,
    }));
  }

  /** @returns this process's virtual transaction id as pg_locks shows it (`backendId/lxid`) */
  get virtualTransaction(): string {
    return `${this.#procNo + 1}/${this.#lxid}`;
  }

  /**
   * Acquires a lock (LockAcquireExtended). Synchronous unless it must wait.
   *
   * Lock contract: no LWLock held on entry or exit.
   *
   * @param tag the lock tag
   * @param mode 1..8
   * @param req session or transaction scope; dontWait
   * @returns true when granted; false when not available and `dontWait`
   * @throws {SqlError} 53200 out of shared memory; 40P01 deadlock detected; 55P03 lock timeout;
   *   cancel / terminate / statement timeout from the session's interrupt check
   */
  acquire(tag: LockTag, mode: number, req: LockRequest): boolean | Promise<boolean> {
    const key = `${tag.field1}:${tag.field2}:${tag.field3}:${lockTagWord4(tag)}:${mode}`;
    const local = this.#locks.get(key);
    if (local !== undefined && local.lock !== 0) {
      this.#grantLocal(local, req.session);
      return true;
    }
    const l: _LocalLock = local ??
      { key, tag, mode, hash: lockTagHash(tag), lock: 0, procLock: 0, sessionCount: 0, xactCount: 0 };
    const g = this.#g;
    Atomics.store(g.i32, ws(g, this.#procNo, LockWaitOffset.lxid), this.#lxid);
    const partition = g.partitionLocks[lockPartition(l.hash)];
    lwlockAcquire(this.#seg, partition, "exclusive");
    let outcome: "granted" | "not available" | "wait" | "early deadlock";
    try {
      outcome = this.#setUp(l, req.dontWait);
    } finally {
      lwlockRelease(this.#seg, partition);
    }
    if (outcome === "not available") return false;
    this.#locks.set(key, l);
    if (outcome === "granted") {
      this.#grantLocal(l, req.session);
      return true;
    }
    if (outcome === "early deadlock") this.#throwEarlyDeadlock(l);
    return this.#waitOnLock(l, req.session);
  }

  /**
   * Under the partition lock: finds or creates the LOCK and PROCLOCK, and
   * grants, refuses or queues the request (LockAcquireExtended + ProcSleep's
   * queue insertion).
   */
  #setUp(l: _LocalLock, dontWait: boolean): "granted" | "not available" | "wait" | "early deadlock" {
    const g = this.#g;
    const lock = findOrCreateLock(g, l.tag, l.hash);
    if (lock === 0) _outOfSharedMemory();
    const procLock = findOrCreateProcLock(g, lock, this.#procNo);
    if (procLock === 0) {
      removeLockIfUnrequested(g, lock, l.hash);
      _outOfSharedMemory();
    }
    l.lock = lock;
    l.procLock = procLock;
    countRequest(g, lock, l.mode);
    const held = g.i32[pl(g, procLock, ProcLockOffset.holdMask)];
    const waitMask = g.i32[lk(g, lock, LockOffset.waitMask)];
    const conflict = (LOCK_CONFLICTS[l.mode] & waitMask) !== 0 || lockCheckConflicts(g, lock, l.mode, held);
    if (!conflict) {
      grantLock(g, lock, procLock, l.mode);
      return "granted";
    }
    if (dontWait) {
      uncountRequest(g, lock, procLock, l.hash, l.mode);
      l.lock = 0;
      l.procLock = 0;
      return "not available";
    }
    return this.#enqueue(l, held);
  }

  /**
   * ProcSleep's insertion: behind everyone, unless this process already holds
   * modes on the lock that an earlier waiter waits for; then in front of the
   * first such waiter (granted at once if nothing ahead conflicts), or an
   * immediate deadlock when that waiter also holds what this request needs.
   */
  #enqueue(l: _LocalLock, held: number): "granted" | "wait" | "early deadlock" {
    const g = this.#g;
    const i = g.i32;
    let before = 0;
    if (held !== 0) {
      let ahead = 0;
      const head = i[lk(g, l.lock, LockOffset.waitHead)];
      for (let w = head; w !== 0; w = i[ws(g, w - 1, LockWaitOffset.next)]) {
        const wMode = i[ws(g, w - 1, LockWaitOffset.mode)];
        if ((LOCK_CONFLICTS[wMode] & held) !== 0) {
          if ((LOCK_CONFLICTS[l.mode] & i[ws(g, w - 1, LockWaitOffset.heldMask)]) !== 0) {
            this.#earlyBlocker = w - 1;
            before = w;
            break;
          }
          if ((LOCK_CONFLICTS[l.mode] & ahead) === 0 && !lockCheckConflicts(g, l.lock, l.mode, held)) {
            grantLock(g, l.lock, l.procLock, l.mode);
            return "granted";
          }
          before = w;
          break;
        }
        ahead |= lockBit(wMode);
      }
    }
    setWaiting(g, this.#procNo, l.lock, l.procLock, l.mode, held);
    queueInsert(g, l.lock, this.#procNo, before);
    if (this.#earlyBlocker >= 0) {
      removeFromWaitQueue(g, this.#procNo, l.hash);
      return "early deadlock";
    }
    return "wait";
  }

  #earlyBlocker = -1;

  /** RememberSimpleDeadLock + DeadLockReport for the deadlock found at queue insertion. */
  #throwEarlyDeadlock(l: _LocalLock): never {
    const g = this.#g;
    const other = this.#earlyBlocker;
    this.#earlyBlocker = -1;
    // Read outside the partition lock: the report is informative, as PostgreSQL's is after it released its locks.
    const otherMode = g.i32[ws(g, other, LockWaitOffset.mode)];
    const waits = new Map([
      [this.#procNo, { pid: Deno.pid, mode: l.mode, tag: l.tag }],
      [other, { pid: procPid(g, other), mode: otherMode || l.mode, tag: l.tag }],
    ]);
    this.#dropIfUnheld(l);
    throw _deadlockError(deadlockReportDetail([this.#procNo, other], waits, describeLockTag));
  }

  /** Sleeps until granted (ProcSleep's loop); withdraws the request on any error. */
  async #waitOnLock(l: _LocalLock, session: boolean): Promise<boolean> {
    const g = this.#g;
    const status = ws(g, this.#procNo, LockWaitOffset.status);
    const startMs = performance.now();
    const lockTimeoutMs = this.#hooks.lockTimeoutMs();
    const lockDeadline = lockTimeoutMs > 0 ? startMs + lockTimeoutMs : Infinity;
    let deadlockAt = startMs + this.#hooks.deadlockTimeoutMs();
    pgstatReportWaitStart(this.#seg, waitEventInfo("Lock", LOCK_TAG_TYPE_NAMES[l.tag.type]));
    try {
      for (;;) {
        if (Atomics.load(g.i32, status) === LockWaitStatus.granted) break;
        this.#hooks.checkForInterrupts();
        const now = performance.now();
        if (now >= lockDeadline) {
          throw new SqlError(SqlState.LOCK_NOT_AVAILABLE, "canceling statement due to lock timeout");
        }
        if (now >= deadlockAt) {
          deadlockAt = Infinity;
          this.#checkDeadlock(l);
          continue;
        }
        const sleepMs = Math.min(lockDeadline, deadlockAt) - now;
        await this.#hooks.waitForLatch(Math.max(1, Math.min(sleepMs, LOCK_WAIT_SLICE_MAX_MS)));
      }
    } catch (e) {
      if (!this.#abortWait(l)) throw e;
      // Granted in the meantime (LockErrorCleanup's GrantAwaitedLock): the lock is held, the error still stands.
      this.#grantLocal(l, session);
      throw e;
    } finally {
      pgstatReportWaitEnd(this.#seg);
    }
    Atomics.store(g.i32, status, LockWaitStatus.none);
    this.#grantLocal(l, session);
    return true;
  }

  /**
   * Withdraws a queued request (LockErrorCleanup).
   *
   * @returns true when the lock had been granted already (then it is kept)
   */
  #abortWait(l: _LocalLock): boolean {
    const g = this.#g;
    const status = ws(g, this.#procNo, LockWaitOffset.status);
    const partition = g.partitionLocks[lockPartition(l.hash)];
    let granted = false;
    lwlockAcquire(this.#seg, partition, "exclusive");
    try {
      if (Atomics.load(g.i32, status) === LockWaitStatus.waiting) removeFromWaitQueue(g, this.#procNo, l.hash);
      else granted = Atomics.load(g.i32, status) === LockWaitStatus.granted;
      Atomics.store(g.i32, status, LockWaitStatus.none);
    } finally {
      lwlockRelease(this.#seg, partition);
    }
    if (!granted) this.#dropIfUnheld(l);
    return granted;
  }

  /**
   * CheckDeadLock: with every partition lock held, searches the waits-for
   * graph for a cycle through this process; on one, withdraws the request
   * and throws 40P01.
   */
  #checkDeadlock(l: _LocalLock): void {
    const g = this.#g;
    for (const p of g.partitionLocks) lwlockAcquire(this.#seg, p, "exclusive");
    let detail: string | undefined;
    try {
      if (Atomics.load(g.i32, ws(g, this.#procNo, LockWaitOffset.status)) !== LockWaitStatus.waiting) return;
      const { edges, waits } = buildWaitsForGraph(g);
      const cycle = findLockCycle(this.#procNo, edges);
      if (cycle === null) return;
      detail = deadlockReportDetail(cycle, waits, describeLockTag);
      removeFromWaitQueue(g, this.#procNo, l.hash);
    } finally {
      for (const p of [...g.partitionLocks].reverse()) lwlockRelease(this.#seg, p);
    }
    this.#dropIfUnheld(l);
    throw _deadlockError(detail);
  }

  #grantLocal(l: _LocalLock, session: boolean): void {
    if (session) l.sessionCount++;
    else if (l.xactCount++ === 0) this.#xactHeld++;
    this.#locks.set(l.key, l);
  }

  /** Forgets a local entry whose request was withdrawn and which holds nothing. */
  #dropIfUnheld(l: _LocalLock): void {
    if (l.sessionCount + l.xactCount === 0) {
      this.#locks.delete(l.key);
      l.lock = 0;
      l.procLock = 0;
    }
  }

  /**
   * Releases one hold of a lock (LockRelease).
   *
   * @param tag the lock tag
   * @param mode 1..8
   * @param session release a session hold (pg_advisory_unlock) or a transaction hold
   * @returns false when this process holds no such lock in that scope (the caller warns)
   */
  release(tag: LockTag, mode: number, session: boolean): boolean {
    const l = this.#locks.get(`${tag.field1}:${tag.field2}:${tag.field3}:${lockTagWord4(tag)}:${mode}`);
    if (l === undefined || (session ? l.sessionCount : l.xactCount) === 0) return false;
    if (session) l.sessionCount--;
    else if (--l.xactCount === 0) this.#xactHeld--;
    if (l.sessionCount + l.xactCount === 0) this.#releaseShared(l);
    return true;
  }

  /**
   * At every transaction end: releases the transaction's holds
   * (LockReleaseAll of the transaction's locks). O(1) when none.
   */
  atTransactionEnd(): void {
    this.#lxid++;
    if (this.#locks.size === 0) return;
    // Held session locks show the holder outside any transaction (`N/0`), as PostgreSQL's cleared lxid.
    Atomics.store(this.#g.i32, ws(this.#g, this.#procNo, LockWaitOffset.lxid), 0);
    if (this.#xactHeld === 0) return;
    for (const l of [...this.#locks.values()]) {
      if (l.xactCount === 0) continue;
      l.xactCount = 0;
      if (l.sessionCount === 0) this.#releaseShared(l);
    }
    this.#xactHeld = 0;
  }

  /**
   * Releases the session's holds (LockReleaseSession: pg_advisory_unlock_all),
   * leaving the transaction's.
   */
  releaseSessionLocks(): void {
    for (const l of [...this.#locks.values()]) {
      if (l.sessionCount === 0) continue;
      l.sessionCount = 0;
      if (l.xactCount === 0) this.#releaseShared(l);
    }
  }

  /**
   * Releases everything: a queued request, every hold (session end, process
   * exit: ShutdownPostgres / ProcKill's LockReleaseAll). Safe to call twice.
   */
  releaseAll(): void {
    const status = ws(this.#g, this.#procNo, LockWaitOffset.status);
    if (Atomics.load(this.#g.i32, status) === LockWaitStatus.waiting) {
      for (const l of this.#locks.values()) if (l.sessionCount + l.xactCount === 0) this.#abortWait(l);
    }
    if (this.#locks.size === 0) return;
    for (const l of [...this.#locks.values()]) {
      l.sessionCount = 0;
      l.xactCount = 0;
      if (l.lock !== 0) this.#releaseShared(l);
    }
    this.#locks.clear();
    this.#xactHeld = 0;
    Atomics.store(this.#g.i32, ws(this.#g, this.#procNo, LockWaitOffset.lxid), 0);
  }

  /** Gives the shared lock back and wakes whoever can now go (UnGrantLock + CleanUpLock). */
  #releaseShared(l: _LocalLock): void {
    const g = this.#g;
    const partition = g.partitionLocks[lockPartition(l.hash)];
    lwlockAcquire(this.#seg, partition, "exclusive");
    try {
      const wakeup = unGrantLock(g, l.lock, l.procLock, l.mode);
      cleanUpLock(g, l.lock, l.procLock, l.hash, wakeup);
    } finally {
      lwlockRelease(this.#seg, partition);
    }
    this.#locks.delete(l.key);
    l.lock = 0;
    l.procLock = 0;
  }
}

function _outOfSharedMemory(): never {
  throw new SqlError(SqlState.OUT_OF_MEMORY, "out of shared memory", {
    hint: "You might need to increase max_locks_per_transaction.",
  });
}

function _deadlockError(detail: string | undefined): SqlError {
  return new SqlError(SqlState.T_R_DEADLOCK_DETECTED, "deadlock detected", {
    detail,
    hint: "See server log for query details.",
  });
}

/** @returns the name of a lock mode (GetLockmodeName) */
export function lockModeName(mode: number): string {
  return LOCK_MODE_NAMES[mode];
}
