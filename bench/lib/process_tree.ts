/**
 * process_tree.ts — a cluster's processes (the postmaster and all its
 * descendants) read from /proc, their summed proportional set size and CPU
 * time.
 *
 * PostgreSQL counterpart: none; this is what `ps --forest` and `smem` show.
 *
 * NOTES
 * Pss (proportional set size) charges each shared page to the processes
 * mapping it in equal parts, so summing Pss over a cluster counts shared
 * memory (buffer pool, shared libraries, a runtime's shared code) once,
 * and counts a page shared with a process outside the cluster only for the
 * cluster's share. Processes may exit while being read; such a process is
 * skipped, not an error. /proc is read through lib/ffi/procfs.ts, the one
 * /proc reader (children lists, stat, smaps_rollup). Reads other users'
 * /proc entries, so the harness runs as root (or as the clusters' owner).
 * Linux only.
 *
 * @module
 */

import {
  procClockTicksPerS,
  procDescendants,
  procFieldKiB,
  readProcSmapsRollup,
  readProcStat,
} from "../../lib/ffi/procfs.ts";

/** Most processes in one cluster's tree (a guard against a runaway tree). */
const TREE_PROCESSES_MAX = 100_000;

/**
 * Returns `rootPid` and every descendant of it alive now.
 *
 * @param rootPid the postmaster's pid
 * @returns pids, root first; empty when the root is gone
 */
export function processTree(rootPid: number): number[] {
  return procDescendants(rootPid, TREE_PROCESSES_MAX);
}

/**
 * Sums `Pss` of `/proc/<pid>/smaps_rollup` over the process tree.
 *
 * @param rootPid the postmaster's pid
 * @returns total Pss in KiB and the number of processes counted
 */
export function treePssKiB(rootPid: number): { pssKiB: number; processes: number } {
  let pssKiB = 0;
  let processes = 0;
  for (const pid of processTree(rootPid)) {
    const rollup = readProcSmapsRollup(pid);
    const pss = rollup === undefined ? undefined : procFieldKiB(rollup, "Pss");
    if (pss === undefined) continue; // exited while reading, or a kernel thread
    pssKiB += pss;
    processes++;
  }
  return { pssKiB, processes };
}

/**
 * CPU time used by the process tree so far: user + system of every live
 * process, plus the children's times each has reaped (cutime + cstime), so
 * backends that already exited are counted once, in their parent.
 * Resolution is one clock tick (10 ms): measure over many operations.
 *
 * @param rootPid the postmaster's pid
 * @returns CPU milliseconds
 */
export function treeCpuMs(rootPid: number): number {
  let ticks = 0;
  for (const pid of processTree(rootPid)) {
    const s = readProcStat(pid);
    if (s !== undefined) ticks += s.utimeTicks + s.stimeTicks + s.cutimeTicks + s.cstimeTicks;
  }
  return (ticks * 1000) / procClockTicksPerS();
}

/**
 * Waits until the tree has at most `count` processes (exiting backends
 * gone, spares replaced), or the timeout passes.
 *
 * @param rootPid the postmaster's pid
 * @param count the process count to wait for
 * @param timeoutMs give up after this long (not an error: the caller measures anyway)
 */
export async function waitForTreeSize(rootPid: number, count: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (processTree(rootPid).length > count && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
