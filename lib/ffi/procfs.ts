/**
 * procfs.ts — the one reader of Linux's /proc: files read through libc with
 * a named size limit, directories listed with opendir/readdir, and parsers
 * for the few files denogres uses (stat, status, smaps_rollup, maps,
 * cmdline, the children lists, /proc/stat's boot time).
 *
 * PostgreSQL counterpart: none (PostgreSQL reads no /proc file; pg_top and
 * pg_activity read these through their own libraries).
 *
 * NOTES
 * Deno 2.9 refuses every path under /proc to a process without
 * `--allow-all` (`Deno.readTextFileSync("/proc/self/stat")` is NotCapable
 * even with `--allow-read`), so the server, top and the tools read /proc
 * here, through libc `open`/`pread`/`close` and `opendir`/`readdir`, which
 * needs only `--allow-ffi`. Reads go into one buffer per process that grows
 * on demand up to the caller's limit; a file larger than its limit is a
 * RangeError (a truncated maps file could hide a mapping). A process can
 * exit at any moment: every reader returns undefined (or an empty list) for a
 * file that is gone or unreadable, never throws for it. Pure reads; safe to
 * call from any process. Requires `--allow-ffi`.
 *
 * @module
 */

import { cString, libc, LinuxConst } from "./libc.ts";

/**
 * Default limit of one /proc file, in bytes: a stat line is about 300,
 * status and smaps_rollup about 1.5 KiB, /proc/stat about 3 KiB on 2 cores,
 * a `children` file 8 bytes a child.
 */
export const PROC_FILE_MAX_BYTES = 64 * 1024;
/**
 * Limit of one /proc/<pid>/maps, in bytes: about 100-150 bytes a mapping; a
 * Deno process has a few hundred, and Linux allows 65,530 per process by
 * default (vm.max_map_count), which stays under this.
 */
export const PROC_MAPS_MAX_BYTES = 16 * 1024 * 1024;
/** Most entries listed from one /proc directory (4,194,304 is pid_max's ceiling on 64-bit Linux). */
export const PROC_DIR_ENTRIES_MAX = 4_194_304;
/** Offset of d_name in glibc's struct dirent64 (d_ino 8, d_off 8, d_reclen 2, d_type 1). */
const _DIRENT64_NAME_OFFSET = 19;
/** First size of the read buffer (doubled on demand up to the caller's limit). */
const _BUFFER_START_BYTES = 64 * 1024;

let _buffer = new Uint8Array(_BUFFER_START_BYTES);
const _decoder = new TextDecoder();

/**
 * Reads a whole /proc file.
 *
 * @param path e.g. `/proc/self/stat`
 * @param maxBytes the largest size accepted (default {@link PROC_FILE_MAX_BYTES})
 * @returns its text, or undefined when it does not exist or cannot be read (the process is gone)
 * @throws {RangeError} when the file is larger than `maxBytes`
 * @example
 * ```ts
 * const stat = readProcFile("/proc/self/stat");
 * ```
 */
export function readProcFile(path: string, maxBytes = PROC_FILE_MAX_BYTES): string | undefined {
  const fd = libc().open(cString(path), LinuxConst.O_RDONLY | LinuxConst.O_CLOEXEC, 0);
  if (fd < 0) return undefined;
  try {
    let length = 0;
    for (;;) {
      if (length >= maxBytes) {
        // One more byte tells a file of exactly maxBytes from a longer one.
        if (Number(libc().pread(fd, new Uint8Array(1), 1n, BigInt(length))) <= 0) break;
        throw new RangeError(`/proc file "${path}" is larger than ${maxBytes} bytes`);
      }
      if (length === _buffer.length) {
        const grown = new Uint8Array(Math.min(maxBytes, _buffer.length * 2));
        grown.set(_buffer.subarray(0, length));
        _buffer = grown;
      }
      const room = Math.min(_buffer.length, maxBytes) - length;
      const n = Number(libc().pread(fd, _buffer.subarray(length), BigInt(room), BigInt(length)));
      if (n < 0) return undefined; // ESRCH: the process exited while its file was open
      if (n === 0) break;
      length += n;
    }
    return _decoder.decode(_buffer.subarray(0, length));
  } finally {
    libc().close(fd);
  }
}

/**
 * Lists a /proc directory.
 *
 * @param path e.g. `/proc/1234/task`
 * @param maxEntries most names returned (default {@link PROC_DIR_ENTRIES_MAX})
 * @returns the names without `.` and `..`, in directory order; empty when it does not exist
 */
export function listProcDir(path: string, maxEntries = PROC_DIR_ENTRIES_MAX): string[] {
  const dir = libc().opendir(cString(path));
  if (dir === null) return [];
  const names: string[] = [];
  try {
    for (let e = libc().readdir(dir); e !== null && names.length < maxEntries; e = libc().readdir(dir)) {
      const name = Deno.UnsafePointerView.getCString(e, _DIRENT64_NAME_OFFSET);
      if (name !== "." && name !== "..") names.push(name);
    }
  } finally {
    libc().closedir(dir);
  }
  return names;
}

/**
 * Every process on the machine (the numeric entries of /proc).
 *
 * @returns pids, ascending
 */
export function listProcPids(): number[] {
  return listProcDir("/proc").filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------
// /proc/<pid>/stat

/** The fields of /proc/<pid>/stat that denogres uses (proc(5) numbers them from 1). */
export interface ProcStat {
  /** Field 3: R, S, D, Z, T… */
  readonly state: string;
  /** Field 4. */
  readonly parentPid: number;
  /** Field 14: user CPU time, in clock ticks ({@link procClockTicksPerS}). */
  readonly utimeTicks: number;
  /** Field 15: system CPU time, in clock ticks. */
  readonly stimeTicks: number;
  /** Field 16: user CPU time of reaped children, in clock ticks. */
  readonly cutimeTicks: number;
  /** Field 17: system CPU time of reaped children, in clock ticks. */
  readonly cstimeTicks: number;
  /** Field 22: start time, clock ticks after boot. */
  readonly startTicks: number;
  /** Field 24: resident set size, in pages ({@link procPageSizeBytes}). */
  readonly rssPages: number;
}

/**
 * Parses a /proc/<pid>/stat line. Fields are counted after the last `)`,
 * since the command name may hold spaces and parentheses.
 *
 * @param text the line
 * @returns the fields, or undefined when malformed
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close === -1) return undefined;
  // After ") ": field 3 is index 0.
  const f = text.slice(close + 2).trim().split(" ");
  if (f.length < 22) return undefined;
  const at = (field: number) => Number(f[field - 3]);
  return {
    state: f[0],
    parentPid: at(4),
    utimeTicks: at(14),
    stimeTicks: at(15),
    cutimeTicks: at(16),
    cstimeTicks: at(17),
    startTicks: at(22),
    rssPages: at(24),
  };
}

/**
 * Reads /proc/<pid>/stat.
 *
 * @param pid the process, or "self"
 * @returns the fields, or undefined when the process is gone
 */
export function readProcStat(pid: number | "self"): ProcStat | undefined {
  const text = readProcFile(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStat(text);
}

// ---------------------------------------------------------------------------
// status and smaps_rollup: "Name:  value" lines

/**
 * Parses `Name:<spaces>value` lines (/proc/<pid>/status, smaps_rollup).
 *
 * @param text the file
 * @returns value by name, trimmed
 */
export function parseProcFields(text: string): ReadonlyMap<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/**
 * A `… kB` field as a number.
 *
 * @param fields from {@link parseProcFields}
 * @param name e.g. `VmRSS`, `Pss`
 * @returns KiB, or undefined when absent (a kernel thread has no Pss)
 */
export function procFieldKiB(fields: ReadonlyMap<string, string>, name: string): number | undefined {
  const m = /^(\d+) kB$/.exec(fields.get(name) ?? "");
  return m === null ? undefined : Number(m[1]);
}

/**
 * Reads /proc/<pid>/status.
 *
 * @param pid the process, or "self"
 * @returns its fields (`SigCgt`, `VmRSS`, …), or undefined when the process is gone
 */
export function readProcStatus(pid: number | "self"): ReadonlyMap<string, string> | undefined {
  const text = readProcFile(`/proc/${pid}/status`);
  return text === undefined ? undefined : parseProcFields(text);
}

/**
 * Reads /proc/<pid>/smaps_rollup (memory summed over all mappings).
 *
 * @param pid the process
 * @returns its fields (`Rss`, `Pss`, …), or undefined when the process is gone
 */
export function readProcSmapsRollup(pid: number | "self"): ReadonlyMap<string, string> | undefined {
  const text = readProcFile(`/proc/${pid}/smaps_rollup`);
  return text === undefined ? undefined : parseProcFields(text);
}

/**
 * Tells whether a process has a handler installed for a signal: its bit in
 * the `SigCgt` mask of /proc/<pid>/status.
 *
 * @param pid the process
 * @param signo the signal number (1-64)
 * @returns true when caught; false when not, or when the process is gone
 */
export function procSignalCaught(pid: number, signo: number): boolean {
  const mask = readProcStatus(pid)?.get("SigCgt");
  if (mask === undefined || !/^[0-9a-f]+$/.test(mask)) return false;
  return ((BigInt(`0x${mask}`) >> BigInt(signo - 1)) & 1n) === 1n;
}

// ---------------------------------------------------------------------------
// maps

/** One file-backed mapping of /proc/<pid>/maps. */
export interface ProcMapping {
  /** The mapped file (` (deleted)` removed). */
  readonly pathname: string;
  /** The file was unlinked after it was mapped. */
  readonly deleted: boolean;
}

/**
 * Parses /proc/<pid>/maps, keeping the mappings that name a file.
 *
 * @param text the file
 * @returns the mappings with a pathname, in address order
 */
export function parseProcMaps(text: string): ProcMapping[] {
  const out: ProcMapping[] = [];
  for (const line of text.split("\n")) {
    // address perms offset dev inode [pathname]
    const m = /^\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\/.*)$/.exec(line);
    if (m === null) continue;
    const deleted = m[1].endsWith(" (deleted)");
    out.push({ pathname: deleted ? m[1].slice(0, -" (deleted)".length) : m[1], deleted });
  }
  return out;
}

/**
 * Reads /proc/<pid>/maps (limit {@link PROC_MAPS_MAX_BYTES}).
 *
 * @param pid the process
 * @returns its file-backed mappings, or undefined when the process is gone or not ours to read
 * @throws {RangeError} when the file is larger than the limit
 */
export function readProcMaps(pid: number | "self"): ProcMapping[] | undefined {
  const text = readProcFile(`/proc/${pid}/maps`, PROC_MAPS_MAX_BYTES);
  return text === undefined ? undefined : parseProcMaps(text);
}

// ---------------------------------------------------------------------------
// Processes: title, children, machine

/**
 * A process's command line as `ps` shows it (its title, for denogres
 * processes: see lib/postmaster/ps_status.ts).
 *
 * @param pid the process
 * @returns the arguments joined by spaces, or undefined when the process is gone
 */
export function readProcCmdline(pid: number): string | undefined {
  const text = readProcFile(`/proc/${pid}/cmdline`);
  return text === undefined ? undefined : text.replace(/\0+$/, "").replaceAll("\0", " ");
}

/** Most threads of one process whose `children` files are read. */
export const PROC_TASKS_MAX = 1024;

/**
 * A process's children, from every thread's `task/<tid>/children` file (a
 * child belongs to the thread that spawned it, and Deno may spawn from any
 * of its threads). No scan of all of /proc.
 *
 * @param pid the parent
 * @returns the children's pids, ascending; empty when the parent is gone
 */
export function procChildPids(pid: number): number[] {
  const pids: number[] = [];
  for (const task of listProcDir(`/proc/${pid}/task`, PROC_TASKS_MAX)) {
    const text = readProcFile(`/proc/${pid}/task/${task}/children`);
    if (text === undefined) continue;
    for (const word of text.split(" ")) if (word.trim() !== "") pids.push(Number(word));
  }
  return pids.sort((a, b) => a - b);
}

/**
 * A process and all its descendants alive now, found through the children
 * files (breadth first).
 *
 * @param rootPid the root
 * @param maxProcesses most processes returned (a guard against a runaway tree)
 * @returns pids, root first; empty when the root is gone
 */
export function procDescendants(rootPid: number, maxProcesses = PROC_DIR_ENTRIES_MAX): number[] {
  if (readProcStat(rootPid) === undefined) return [];
  const tree = [rootPid];
  for (let i = 0; i < tree.length && tree.length < maxProcesses; i++) tree.push(...procChildPids(tree[i]));
  return tree.slice(0, maxProcesses);
}

/**
 * The machine's boot time (`btime` of /proc/stat), to turn /proc start
 * times into wall-clock times.
 *
 * @returns seconds since the epoch
 * @throws {Error} when /proc/stat has no btime line (not Linux)
 */
export function procBootTimeS(): number {
  const m = /^btime (\d+)$/m.exec(readProcFile("/proc/stat") ?? "");
  if (m === null) throw new Error("no btime line in /proc/stat");
  return Number(m[1]);
}

/** @returns clock ticks per second of /proc times (sysconf(_SC_CLK_TCK), USER_HZ: 100 on Linux) */
export function procClockTicksPerS(): number {
  return Number(libc().sysconf(LinuxConst._SC_CLK_TCK));
}

/** @returns bytes per page of /proc sizes in pages (sysconf(_SC_PAGESIZE)) */
export function procPageSizeBytes(): number {
  return Number(libc().sysconf(LinuxConst._SC_PAGESIZE));
}
