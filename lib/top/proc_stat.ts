/**
 * proc_stat.ts — what `top` reads from /proc about a process: parent, CPU
 * time, resident size, start time, children and process title.
 *
 * PostgreSQL counterpart: none (pg_top and pg_activity read the same files
 * through psutil).
 *
 * NOTES
 * One small read per file, no directory scan of /proc: children are found
 * through /proc/<pid>/task/<tid>/children (one file per thread of the
 * postmaster; Deno may spawn from any of its threads). A process that exits
 * between two reads is simply missing (null); nothing here throws for a
 * vanished process. The stat line is split after the last `)`, since the
 * command name may contain spaces or parentheses. Files are read through
 * libc (open, pread, close; opendir/readdir for a directory) into one buffer
 * allocated once: Deno 2.9 refuses every read under /proc unless the process
 * has `--allow-all`, and `top` needs `--allow-ffi` anyway, so this keeps its
 * permissions minimal. Requires `--allow-ffi`.
 *
 * @module
 */

import { cString, libc, LinuxConst } from "../ffi/libc.ts";

/** Largest /proc file read, in bytes (a stat line is ~300; /proc/stat ~3 KiB on 2 cores; the children file ~8 bytes a child). */
const _PROC_FILE_MAX_BYTES = 64 * 1024;
/** Most threads of the postmaster whose children files are read. */
const _TASKS_MAX = 1024;
/** Offset of d_name in glibc's struct dirent64 (d_ino 8, d_off 8, d_reclen 2, d_type 1). */
const _DIRENT64_NAME_OFFSET = 19;
const _buffer = new Uint8Array(_PROC_FILE_MAX_BYTES);
const _decoder = new TextDecoder();

/** Fields of /proc/<pid>/stat that `top` uses. */
export interface ProcStat {
  /** Field 3: R, S, D, Z, T… */
  readonly state: string;
  /** Field 4. */
  readonly parentPid: number;
  /** Fields 14 + 15: user + system CPU time, in clock ticks. */
  readonly cpuTicks: number;
  /** Field 22: start time, clock ticks after boot. */
  readonly startTicks: number;
  /** Field 24: resident set size, in pages. */
  readonly rssPages: number;
}

/**
 * Reads /proc/<pid>/stat.
 *
 * @param pid the process
 * @returns the fields, or null when the process is gone or unreadable
 */
export function readProcStat(pid: number): ProcStat | null {
  const text = _readOrNull(`/proc/${pid}/stat`);
  return text === null ? null : parseProcStat(text);
}

/**
 * Parses a /proc/<pid>/stat line (see {@link readProcStat}).
 *
 * @param text the line
 * @returns the fields, or null when malformed
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close === -1) return null;
  // After ") ": field 3 is index 0.
  const f = text.slice(close + 2).split(" ");
  if (f.length < 22) return null;
  return {
    state: f[0],
    parentPid: Number(f[1]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTicks: Number(f[19]),
    rssPages: Number(f[21]),
  };
}

/**
 * The pids of a process's children, from every thread's `children` file.
 *
 * @param pid the parent
 * @returns the children's pids, ascending; empty when the parent is gone
 */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  for (const task of _listDir(`/proc/${pid}/task`)) {
    const text = _readOrNull(`/proc/${pid}/task/${task}/children`);
    if (text === null) continue;
    for (const word of text.split(" ")) if (word.trim() !== "") pids.push(Number(word));
  }
  return pids.sort((a, b) => a - b);
}

/**
 * A process's title: its command line as `ps` shows it (denogres children
 * overwrite theirs with `denogres: …`, see lib/postmaster/ps_status.ts).
 *
 * @param pid the process
 * @returns the title with NULs as spaces, or null when the process is gone
 */
export function readProcTitle(pid: number): string | null {
  const text = _readOrNull(`/proc/${pid}/cmdline`);
  return text === null ? null : text.replace(/\0+$/, "").replaceAll("\0", " ");
}

/**
 * The machine's boot time (btime in /proc/stat), to turn /proc start times
 * into wall-clock times.
 *
 * @returns seconds since the epoch
 */
export function bootTimeS(): number {
  const m = /^btime (\d+)$/m.exec(_readOrNull("/proc/stat") ?? "");
  if (m === null) throw new Error("no btime line in /proc/stat");
  return Number(m[1]);
}

/** Reads a whole /proc file; null when it does not exist (the process is gone) or cannot be read. */
function _readOrNull(path: string): string | null {
  const fd = libc().open(cString(path), LinuxConst.O_RDONLY | LinuxConst.O_CLOEXEC, 0);
  if (fd < 0) return null;
  try {
    let length = 0;
    while (length < _buffer.length) {
      const n = Number(libc().pread(fd, _buffer.subarray(length), BigInt(_buffer.length - length), BigInt(length)));
      if (n < 0) return null; // ESRCH: the process exited while its file was open
      if (n === 0) break;
      length += n;
    }
    return _decoder.decode(_buffer.subarray(0, length));
  } finally {
    libc().close(fd);
  }
}

/** Names in a directory, without `.` and `..`; empty when it does not exist. */
function _listDir(path: string): string[] {
  const dir = libc().opendir(cString(path));
  if (dir === null) return [];
  const names: string[] = [];
  try {
    for (let entry = libc().readdir(dir); entry !== null && names.length < _TASKS_MAX; entry = libc().readdir(dir)) {
      const name = Deno.UnsafePointerView.getCString(entry, _DIRENT64_NAME_OFFSET);
      if (name !== "." && name !== "..") names.push(name);
    }
  } finally {
    libc().closedir(dir);
  }
  return names;
}
