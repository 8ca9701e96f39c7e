/**
 * pid_file.ts — `postmaster.pid` and the Unix-socket `.lock` files: creation
 * with O_EXCL, stale-file detection, line updates, reading (for `ctl`).
 *
 * PostgreSQL counterpart: CreateLockFile(), AddToDataDirLockFile() and
 * UnlinkLockFiles() in src/backend/utils/init/miscinit.c, and the line
 * layout of src/include/utils/pidfile.h.
 *
 * NOTES
 * Format (one value a line, as PostgreSQL 15): 1 pid, 2 data directory,
 * 3 start time (epoch seconds), 4 port, 5 first socket directory, 6 first
 * listen address, 7 shared-memory key (denogres: the POSIX segment name),
 * 8 status (`starting`, `stopping`, `ready   `, `standby `: 8 characters).
 * A socket lock file holds lines 1-5. Creation is O_EXCL; an existing file
 * whose pid is dead is stale and removed (after the caller's check, e.g.
 * that no process still maps the segment it names); a live pid is a FATAL
 * `lock file "…" already exists` with PostgreSQL's hint. Errors reach the
 * caller as `SqlError`s with severity FATAL. Requires `--allow-read`,
 * `--allow-write` and `--allow-ffi` (kill(pid, 0)).
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { errno, libc, LinuxConst } from "../ffi/libc.ts";

/** Line numbers of postmaster.pid (pidfile.h's LOCK_FILE_LINE_*). */
export const LOCK_FILE_LINE = {
  PID: 1,
  DATA_DIR: 2,
  START_TIME: 3,
  PORT: 4,
  SOCKET_DIR: 5,
  LISTEN_ADDR: 6,
  SHMEM_KEY: 7,
  PM_STATUS: 8,
} as const;

/** Values of line 8, padded to 8 characters as pidfile.h's PM_STATUS_*. */
export const PM_STATUS = {
  STARTING: "starting",
  STOPPING: "stopping",
  READY: "ready   ",
  STANDBY: "standby ",
} as const;

/** A PM_STATUS value. */
export type PmStatus = (typeof PM_STATUS)[keyof typeof PM_STATUS];

/** Name of the data directory's lock file. */
export const PID_FILE_NAME = "postmaster.pid";
/** Attempts to create a lock file while stale ones keep appearing (PostgreSQL: 100). */
const _CREATE_LOCK_TRIES_MAX = 100;

/** postmaster.pid as read back, for `ctl` and tests. */
export interface PidFileContents {
  /** Every line, without newlines. */
  lines: string[];
  pid: number;
  dataDir?: string;
  startTimeSec?: number;
  port?: number;
  socketDir?: string;
  listenAddr?: string;
  shmemKey?: string;
  /** Line 8 as written (padded), when present. */
  status?: string;
}

/**
 * Tells whether a process exists, as PostgreSQL's kill(pid, 0) test: EPERM
 * means it exists but is not ours.
 *
 * @param pid a process id
 * @returns true when the process exists
 */
export function processExists(pid: number): boolean {
  if (pid <= 0) return false;
  if (libc().kill(pid, 0) === 0) return true;
  return errno() !== LinuxConst.ESRCH;
}

/**
 * Parses lock-file text.
 *
 * @param text the file's contents
 * @returns the fields, or undefined when line 1 is not a pid
 */
export function parsePidFile(text: string): PidFileContents | undefined {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const pid = Number(lines[0]);
  if (lines.length === 0 || !/^-?\d+$/.test(lines[0]) || !Number.isSafeInteger(pid)) return undefined;
  const num = (i: number) => (lines[i - 1] === undefined || lines[i - 1] === "" ? undefined : Number(lines[i - 1]));
  return {
    lines,
    pid,
    dataDir: lines[LOCK_FILE_LINE.DATA_DIR - 1],
    startTimeSec: num(LOCK_FILE_LINE.START_TIME),
    port: num(LOCK_FILE_LINE.PORT),
    socketDir: lines[LOCK_FILE_LINE.SOCKET_DIR - 1],
    listenAddr: lines[LOCK_FILE_LINE.LISTEN_ADDR - 1],
    shmemKey: lines[LOCK_FILE_LINE.SHMEM_KEY - 1]?.trim(),
    status: lines[LOCK_FILE_LINE.PM_STATUS - 1],
  };
}

/**
 * Reads a lock file.
 *
 * @param path the file
 * @returns its contents, or undefined when it does not exist
 * @throws {SqlError} FATAL when it exists but holds no pid
 */
export function readPidFile(path: string): PidFileContents | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  const parsed = parsePidFile(text);
  if (parsed === undefined) {
    throw new SqlError(SqlState.LOCK_FILE_EXISTS, `bogus data in lock file "${path}": "${text.split("\n")[0]}"`, {
      severity: "FATAL",
    });
  }
  return parsed;
}

/** What a lock file is for: the data directory, or a Unix socket. */
export type LockFileKind = { kind: "datadir"; dataDir: string } | { kind: "socket"; socketPath: string };

/**
 * Creates a lock file with O_EXCL, removing a stale one first, as
 * PostgreSQL's CreateLockFile.
 *
 * @param path the lock file's path
 * @param kind data-directory lock or socket lock (changes the hint)
 * @param contents the lines to write (1-5)
 * @param onStale called with a stale file's contents before it is removed
 *   (the postmaster checks the shared-memory segment it names; it may throw)
 * @throws {SqlError} FATAL `lock file "…" already exists` when a live process owns it
 */
export function createLockFile(
  path: string,
  kind: LockFileKind,
  contents: readonly string[],
  onStale?: (old: PidFileContents) => void,
): void {
  const name = kind.kind === "datadir" ? PID_FILE_NAME : path;
  for (let tries = 0; tries < _CREATE_LOCK_TRIES_MAX; tries++) {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) {
        throw new SqlError(SqlState.IO_ERROR, `could not create lock file "${name}": ${(e as Error).message}`, {
          severity: "FATAL",
        });
      }
      const old = readPidFile(path);
      if (old === undefined) continue; // removed meanwhile: try again
      if (old.pid !== Deno.pid && processExists(Math.abs(old.pid))) {
        throw new SqlError(SqlState.LOCK_FILE_EXISTS, `lock file "${name}" already exists`, {
          severity: "FATAL",
          hint: kind.kind === "datadir"
            ? `Is another postmaster (PID ${Math.abs(old.pid)}) running in data directory "${kind.dataDir}"?`
            : `Is another postmaster (PID ${Math.abs(old.pid)}) using socket file "${kind.socketPath}"?`,
        });
      }
      onStale?.(old);
      try {
        Deno.removeSync(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) continue;
        throw new SqlError(SqlState.IO_ERROR, `could not remove old lock file "${name}": ${(e as Error).message}`, {
          severity: "FATAL",
          hint: "The file seems accidentally left over, but it could not be removed. " +
            "Please remove the file by hand and try again.",
        });
      }
      continue;
    }
    try {
      file.writeSync(new TextEncoder().encode(contents.map((l) => `${l}\n`).join("")));
      file.syncSync();
    } finally {
      file.close();
    }
    return;
  }
  throw new SqlError(SqlState.LOCK_FILE_EXISTS, `could not create lock file "${name}"`, { severity: "FATAL" });
}

/**
 * Replaces (or adds) one line of postmaster.pid, as AddToDataDirLockFile:
 * missing lines before it are added empty.
 *
 * @param path postmaster.pid's path
 * @param lineNo 1-based line ({@link LOCK_FILE_LINE})
 * @param value the new text of that line
 */
export function addToDataDirLockFile(path: string, lineNo: number, value: string): void {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    // PostgreSQL logs and goes on: the file is informational from here on.
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  while (lines.length < lineNo) lines.push("");
  lines[lineNo - 1] = value;
  const bytes = new TextEncoder().encode(lines.map((l) => `${l}\n`).join(""));
  const file = Deno.openSync(path, { write: true });
  try {
    file.writeSync(bytes);
    file.truncateSync(bytes.length);
    file.syncSync();
  } finally {
    file.close();
  }
}

/**
 * Removes a lock file this process created, if it still holds our pid.
 *
 * @param path the lock file
 */
export function unlinkLockFile(path: string): void {
  try {
    const cur = readPidFile(path);
    if (cur !== undefined && Math.abs(cur.pid) === Deno.pid) Deno.removeSync(path);
  } catch {
    // Gone already, or unreadable: nothing left to do at exit.
  }
}
