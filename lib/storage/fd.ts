/**
 * fd.ts — file access for the storage layer: positional reads and writes,
 * fsync, and durable (crash-safe) replacement of small files.
 *
 * PostgreSQL counterpart: src/backend/storage/file/fd.c (BasicOpenFile,
 * FileRead/FileWrite, pg_fsync, fsync_fname, durable_rename).
 *
 * NOTES
 * Every call goes straight to libc through lib/ffi (pread/pwrite/fsync), so a
 * read or write is one system call and may target shared memory directly.
 * Errors: a failed open/read/write throws a `SqlError` with PostgreSQL's
 * message (`could not open file "…": …`) and the SQLSTATE that
 * errcode_for_file_access() gives. A failed fsync is a PANIC, as PostgreSQL
 * does with data_sync_retry = off: after a failed fsync the kernel may have
 * dropped the dirty pages, so the only safe continuation is crash recovery.
 * `fsync = off` ({@link setFsyncEnabled}) skips every fsync here, trading
 * crash safety for speed exactly as PostgreSQL's setting does.
 * Requires `--allow-ffi`.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { cString, errno, libc, LinuxConst, strerror } from "../ffi/libc.ts";

let _fsyncEnabled = true;

/**
 * Sets whether fsync calls reach the disk (the `fsync` parameter). Each
 * process calls it after loading or reloading its settings.
 *
 * @param enabled the value of `fsync`
 */
export function setFsyncEnabled(enabled: boolean): void {
  _fsyncEnabled = enabled;
}

function _sqlstateForErrno(code: number): string {
  if (code === LinuxConst.ENOENT) return SqlState.UNDEFINED_FILE;
  if (code === LinuxConst.EEXIST) return SqlState.DUPLICATE_FILE;
  if (code === LinuxConst.ENOSPC) return SqlState.DISK_FULL;
  if (code === 13 /* EACCES */ || code === 1 /* EPERM */) return SqlState.INSUFFICIENT_PRIVILEGE;
  return SqlState.IO_ERROR;
}

/**
 * Builds the error for a failed file operation, as ereport(ERROR,
 * (errcode_for_file_access(), errmsg("could not … file \"%s\": %m"))).
 *
 * @param what the operation and file, e.g. `could not open file "base/1/2"`
 * @param code the errno
 * @param severity ERROR (default) or PANIC
 * @returns the error to throw
 */
export function fileError(what: string, code: number, severity: "ERROR" | "PANIC" = "ERROR"): SqlError {
  return new SqlError(_sqlstateForErrno(code), `${what}: ${strerror(code)}`, { severity });
}

/**
 * Opens a file (BasicOpenFile). The descriptor is close-on-exec, so children
 * spawned later never inherit it.
 *
 * @param path the file's path
 * @param flags `LinuxConst.O_*` flags
 * @param mode permission bits when creating (default 0600, as pg_file_create_mode)
 * @returns the file descriptor
 * @throws {SqlError} `could not open file "…": …`
 */
export function fileOpen(path: string, flags: number, mode = 0o600): number {
  const fd = libc().open(cString(path), flags | LinuxConst.O_CLOEXEC, mode);
  if (fd < 0) throw fileError(`could not open file "${path}"`, errno());
  return fd;
}

/**
 * Opens a file, or returns -1 when it does not exist (any other failure throws).
 *
 * @param path the file's path
 * @param flags `LinuxConst.O_*` flags
 * @returns the descriptor, or -1 for ENOENT
 */
export function fileOpenIfExists(path: string, flags: number): number {
  const fd = libc().open(cString(path), flags | LinuxConst.O_CLOEXEC, 0o600);
  if (fd >= 0) return fd;
  const code = errno();
  if (code === LinuxConst.ENOENT) return -1;
  throw fileError(`could not open file "${path}"`, code);
}

/**
 * Closes a descriptor. A failure to close is logged by PostgreSQL and
 * ignored; here it is ignored too (the data was fsynced or is in WAL).
 *
 * @param fd the descriptor
 */
export function fileClose(fd: number): void {
  libc().close(fd);
}

/**
 * Reads up to `buf.length` bytes at `offset`, looping over short reads.
 *
 * @param fd the descriptor
 * @param buf where to read to (may view shared memory)
 * @param offset the file offset
 * @param path the file's path, for error messages
 * @returns the number of bytes read; less than `buf.length` only at end of file
 * @throws {SqlError} `could not read file "…": …`
 */
export function fileReadAt(fd: number, buf: Uint8Array, offset: number, path: string): number {
  let done = 0;
  while (done < buf.length) {
    const n = Number(libc().pread(fd, buf.subarray(done), BigInt(buf.length - done), BigInt(offset + done)));
    if (n < 0) {
      const code = errno();
      if (code === LinuxConst.EINTR) continue;
      throw fileError(`could not read file "${path}"`, code);
    }
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Writes all of `buf` at `offset`, looping over short writes. A short write
 * that makes no progress is reported as ENOSPC, as PostgreSQL does.
 *
 * @param fd the descriptor
 * @param buf the bytes (may view shared memory)
 * @param offset the file offset
 * @param path the file's path, for error messages
 * @throws {SqlError} `could not write to file "…": …`
 */
export function fileWriteAt(fd: number, buf: Uint8Array, offset: number, path: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = Number(libc().pwrite(fd, buf.subarray(done), BigInt(buf.length - done), BigInt(offset + done)));
    if (n < 0) {
      const code = errno();
      if (code === LinuxConst.EINTR) continue;
      throw fileError(`could not write to file "${path}"`, code);
    }
    if (n === 0) throw fileError(`could not write to file "${path}"`, LinuxConst.ENOSPC);
    done += n;
  }
}

/**
 * Flushes a file's data to disk (pg_fsync), unless `fsync = off`.
 *
 * @param fd the descriptor
 * @param path the file's path, for the message
 * @param dataOnly use fdatasync (WAL segments of fixed size need no metadata sync)
 * @throws {SqlError} PANIC `could not fsync file "…": …`
 */
export function fileSync(fd: number, path: string, dataOnly = false): void {
  if (!_fsyncEnabled) return;
  const rc = dataOnly ? libc().fdatasync(fd) : libc().fsync(fd);
  if (rc !== 0) throw fileError(`could not fsync file "${path}"`, errno(), "PANIC");
}

/**
 * @param fd the descriptor
 * @param path the file's path, for the message
 * @returns the file's size in bytes
 */
export function fileSize(fd: number, path: string): number {
  const n = Number(libc().lseek(fd, 0n, LinuxConst.SEEK_END));
  if (n < 0) throw fileError(`could not seek to end of file "${path}"`, errno());
  return n;
}

/**
 * Truncates (or extends with zeros) a file to `sizeBytes`.
 *
 * @param fd the descriptor
 * @param sizeBytes the new size
 * @param path the file's path, for the message
 */
export function fileTruncate(fd: number, sizeBytes: number, path: string): void {
  if (libc().ftruncate(fd, BigInt(sizeBytes)) !== 0) throw fileError(`could not truncate file "${path}"`, errno());
}

/**
 * fsyncs a file or directory by name (fsync_fname). A directory's fsync
 * makes a rename or file creation in it durable.
 *
 * @param path the file or directory
 */
export function fsyncFname(path: string): void {
  if (!_fsyncEnabled) return;
  const fd = fileOpen(path, LinuxConst.O_RDONLY);
  try {
    fileSync(fd, path);
  } finally {
    fileClose(fd);
  }
}

function _parentDir(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}

/**
 * Replaces a small file atomically and durably: write a temporary file,
 * fsync it, rename it over the target, fsync the directory.
 *
 * @param path the file to replace or create
 * @param bytes its new contents
 */
export function writeFileDurably(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp`;
  const fd = fileOpen(tmp, LinuxConst.O_RDWR | LinuxConst.O_CREAT | LinuxConst.O_TRUNC);
  try {
    fileWriteAt(fd, bytes, 0, tmp);
    fileSync(fd, tmp);
  } finally {
    fileClose(fd);
  }
  Deno.renameSync(tmp, path);
  fsyncFname(_parentDir(path));
}
