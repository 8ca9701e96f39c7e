/**
 * deadlock.ts — deadlock detection: the waits-for graph of the processes
 * sleeping in the lock table, the search for a cycle through the process
 * that checks, and PostgreSQL's report of it.
 *
 * PostgreSQL counterpart: src/backend/storage/lmgr/deadlock.c
 * (DeadLockCheck, FindLockCycle, FindLockCycleRecurse, DeadLockReport).
 *
 * NOTES
 * {@link findLockCycle} is pure (unit-tested on graphs). {@link
 * buildWaitsForGraph} reads the lock table and must run with all 16
 * partition LWLocks held (the caller, lock.ts, takes them in partition order
 * as CheckDeadLock does). Edges: a waiter points to every other process that
 * holds a mode conflicting with the mode it waits for ("hard" edges) and to
 * every process ahead of it in the same queue that waits for a conflicting
 * mode ("soft" edges), as FindLockCycleRecurseMember. PostgreSQL tries to
 * resolve a cycle that needs soft edges by reordering a wait queue
 * (TopoSort); denogres reports every cycle as a deadlock (see README.md).
 *
 * @module
 */

import { LOCK_CONFLICTS, LOCK_MODE_NAMES, lockBit, type LockTag } from "./lock_defs.ts";
import { LockOffset, LockWaitOffset, LockWaitStatus, ProcLockOffset } from "./lock_sizes.ts";
import { lk, lockEntryTag, type LockTableGeometry, pl, procPid, ws } from "./lock_table.ts";

/** Longest cycle reported (MaxBackends in PostgreSQL; a named bound for the search's depth). */
export const DEADLOCK_CYCLE_MAX = 0x3ffff;

/**
 * Finds a cycle of the waits-for graph that passes through `start`
 * (FindLockCycle): depth-first, each process visited once; cycles that do
 * not include `start` are someone else's to report.
 *
 * @param start the checking process
 * @param edges waits-for edges: process → processes it waits for, in order
 * @returns the cycle as [start, p1, …, pk] (pk waits for start), or null
 * @example
 * ```ts
 * findLockCycle(1, new Map([[1, [2]], [2, [1]]])); // [1, 2]
 * ```
 */
export function findLockCycle(start: number, edges: ReadonlyMap<number, readonly number[]>): number[] | null {
  const visited = new Set<number>([start]);
  const path: number[] = [start];
  // Explicit stack of (node, next edge index) so a long chain cannot overflow the JS stack.
  const stack: { node: number; next: number }[] = [{ node: start, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const out = edges.get(top.node) ?? [];
    if (top.next >= out.length) {
      stack.pop();
      path.pop();
      continue;
    }
    const to = out[top.next++];
    if (to === start) return [...path];
    if (visited.has(to) || stack.length >= DEADLOCK_CYCLE_MAX) continue;
    visited.add(to);
    path.push(to);
    stack.push({ node: to, next: 0 });
  }
  return null;
}

/** What one waiting process waits for (for the report). */
export interface WaitInfo {
  readonly pid: number;
  readonly mode: number;
  readonly tag: LockTag;
}

/**
 * Builds the waits-for graph of every waiting process.
 *
 * Lock contract: the caller holds all 16 LockManager partition LWLocks.
 *
 * @param g the lock table
 * @returns the edges, and what each waiting process waits for
 */
export function buildWaitsForGraph(
  g: LockTableGeometry,
): { edges: Map<number, number[]>; waits: Map<number, WaitInfo> } {
  const i = g.i32;
  const edges = new Map<number, number[]>();
  const waits = new Map<number, WaitInfo>();
  for (let procNo = 0; procNo < g.nWaitSlots; procNo++) {
    if (Atomics.load(i, ws(g, procNo, LockWaitOffset.status)) !== LockWaitStatus.waiting) continue;
    const lock = i[ws(g, procNo, LockWaitOffset.lock)];
    const mode = i[ws(g, procNo, LockWaitOffset.mode)];
    const conflicts = LOCK_CONFLICTS[mode];
    const out: number[] = [];
    for (let p = i[lk(g, lock, LockOffset.procLockHead)]; p !== 0; p = i[pl(g, p, ProcLockOffset.next)]) {
      const holder = i[pl(g, p, ProcLockOffset.procNo)];
      if (holder !== procNo && (i[pl(g, p, ProcLockOffset.holdMask)] & conflicts) !== 0) out.push(holder);
    }
    for (let w = i[lk(g, lock, LockOffset.waitHead)]; w !== 0 && w - 1 !== procNo;) {
      const ahead = w - 1;
      if ((conflicts & lockBit(i[ws(g, ahead, LockWaitOffset.mode)])) !== 0 && !out.includes(ahead)) out.push(ahead);
      w = i[ws(g, ahead, LockWaitOffset.next)];
    }
    edges.set(procNo, out);
    waits.set(procNo, { pid: procPid(g, procNo), mode, tag: lockEntryTag(g, lock) });
  }
  return { edges, waits };
}

/**
 * The DETAIL of PostgreSQL's `deadlock detected` (DeadLockReport): one line
 * per process of the cycle, `Process N waits for M on T; blocked by process P.`
 *
 * @param cycle processes of the cycle, the checking one first
 * @param waits what each waits for
 * @param describe a tag's description (DescribeLockTag)
 * @returns the lines joined with newlines
 */
export function deadlockReportDetail(
  cycle: readonly number[],
  waits: ReadonlyMap<number, WaitInfo>,
  describe: (tag: LockTag) => string,
): string {
  return cycle.map((procNo, k) => {
    const w = waits.get(procNo)!;
    const next = waits.get(cycle[(k + 1) % cycle.length])!;
    return `Process ${w.pid} waits for ${LOCK_MODE_NAMES[w.mode]} on ${
      describe(w.tag)
    }; blocked by process ${next.pid}.`;
  }).join("\n");
}
