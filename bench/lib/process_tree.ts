/**
 * process_tree.ts — a cluster's processes (the postmaster and all its
 * descendants) read from /proc, and their summed proportional set size.
 *
 * PostgreSQL counterpart: none; this is what `ps --forest` and `smem` show.
 *
 * NOTES
 * Pss (proportional set size) charges each shared page to the processes
 * mapping it in equal parts, so summing Pss over a cluster counts shared
 * memory (buffer pool, shared libraries, a runtime's shared code) once,
 * and counts a page shared with a process outside the cluster only for the
 * cluster's share. Processes may exit while being read; such a process is
 * skipped, not an error. Reads other users' /proc entries, so the harness
 * runs as root (or as the clusters' owner). Linux only.
 *
 * @module
 */

/** Most processes scanned in /proc (a guard against an unbounded loop). */
const PROC_ENTRIES_MAX = 1_000_000;

/**
 * Returns `rootPid` and every descendant of it alive now.
 *
 * @param rootPid the postmaster's pid
 * @returns pids, root first; empty when the root is gone
 */
export async function processTree(rootPid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  let scanned = 0;
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    if (++scanned > PROC_ENTRIES_MAX) throw new RangeError(`more than ${PROC_ENTRIES_MAX} processes in /proc`);
    const ppid = await _parentPid(Number(entry.name));
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry.name));
    children.set(ppid, list);
  }
  if (!(await _alive(rootPid))) return [];
  const tree: number[] = [rootPid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/**
 * Sums `Pss` of `/proc/<pid>/smaps_rollup` over the process tree.
 *
 * @param rootPid the postmaster's pid
 * @returns total Pss in KiB and the number of processes counted
 */
export async function treePssKiB(rootPid: number): Promise<{ pssKiB: number; processes: number }> {
  let pssKiB = 0;
  let processes = 0;
  for (const pid of await processTree(rootPid)) {
    const pss = await _pssKiB(pid);
    if (pss === undefined) continue;
    pssKiB += pss;
    processes++;
  }
  return { pssKiB, processes };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU time used by the process tree so far: user + system of every live
 * process, plus the children's times each has reaped (cutime + cstime), so
 * backends that already exited are counted once, in their parent.
 * Resolution is one clock tick (10 ms): measure over many operations.
 *
 * @param rootPid the postmaster's pid
 * @returns CPU milliseconds
 */
export async function treeCpuMs(rootPid: number): Promise<number> {
  let ticks = 0;
  for (const pid of await processTree(rootPid)) {
    try {
      ticks += parseStatCpuTicks(await Deno.readTextFile(`/proc/${pid}/stat`));
    } catch { /* exited while reading */ }
  }
  return (ticks * 1000) / USER_HZ;
}

/**
 * Parses utime + stime + cutime + cstime (fields 14-17) from a stat line.
 *
 * @param statLine contents of /proc/<pid>/stat
 * @returns clock ticks
 */
export function parseStatCpuTicks(statLine: string): number {
  const rest = statLine.slice(statLine.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
}

/**
 * Parses the parent pid from a `/proc/<pid>/stat` line (the command name
 * may hold spaces and parentheses, so fields are counted after the last `)`).
 *
 * @param statLine contents of /proc/<pid>/stat
 * @returns the parent pid
 */
export function parseStatParentPid(statLine: string): number {
  const rest = statLine.slice(statLine.lastIndexOf(")") + 2).split(" ");
  return Number(rest[1]);
}

/**
 * Parses the `Pss:` line of smaps_rollup.
 *
 * @param rollup contents of /proc/<pid>/smaps_rollup
 * @returns Pss in KiB, undefined when absent (a kernel thread)
 */
export function parseRollupPssKiB(rollup: string): number | undefined {
  const m = /^Pss:\s+(\d+) kB$/m.exec(rollup);
  return m === null ? undefined : Number(m[1]);
}

async function _parentPid(pid: number): Promise<number | undefined> {
  try {
    return parseStatParentPid(await Deno.readTextFile(`/proc/${pid}/stat`));
  } catch {
    return undefined; // exited while scanning
  }
}

async function _pssKiB(pid: number): Promise<number | undefined> {
  try {
    return parseRollupPssKiB(await Deno.readTextFile(`/proc/${pid}/smaps_rollup`));
  } catch {
    return undefined; // exited while reading
  }
}

async function _alive(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
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
  while ((await processTree(rootPid)).length > count && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
