/**
 * ps_status.ts — process titles: what `ps -ef --forest` shows for each
 * denogres process (`denogres: checkpointer`, `denogres: user db
 * 127.0.0.1(54321) idle`).
 *
 * PostgreSQL counterpart: src/backend/utils/misc/ps_status.c (the
 * PS_USE_CLOBBER_ARGV technique, which is what PostgreSQL uses on Linux).
 *
 * NOTES
 * Deno gives no way to set argv, but Linux builds /proc/<pid>/cmdline (which
 * `ps` reads) from the memory between the process's `arg_start` and
 * `arg_end` (fields 48 and 49 of /proc/self/stat). We overwrite that memory
 * of our own process with the title, padded with NULs to the end so the
 * kernel sees a NUL-terminated area and shows only the title. Deno has read
 * its arguments long before this runs, so nothing in the process reads the
 * old argv again. The area's length is fixed by how the process was started;
 * longer titles are cut (children are started with long argument lists, so
 * the area is several hundred bytes). The kernel's own 15-byte process name
 * (`comm`, shown by `ps -o comm` and `top`) is set with prctl(PR_SET_NAME).
 * Only this process's own memory is written. /proc/self/stat is read
 * through libc, because Deno refuses /proc paths to anything short of
 * `--allow-all`. If it is unreadable the title is simply not shown (never an
 * error: titles are cosmetic, as in PostgreSQL). Requires `--allow-ffi`.
 *
 * @module
 */

import { cString, libc, LinuxConst } from "../ffi/libc.ts";
import { readProcFile } from "../ffi/procfs.ts";

/** Prefix of every title, as PostgreSQL's `postgres: `. */
export const PS_TITLE_PREFIX = "denogres: ";
/** Longest kernel process name (TASK_COMM_LEN - 1). */
const _COMM_MAX_BYTES = 15;

const _ps = {
  area: undefined as Uint8Array | undefined,
  fixed: "",
  last: "",
  /** Bytes of the title in the argv area, the rest being NUL; -1 before the first title. */
  writtenBytes: -1,
};

function _argvArea(): Uint8Array | undefined {
  const stat = readProcFile("/proc/self/stat");
  if (stat === undefined) return undefined;
  // Fields after the parenthesised comm start at field 3.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  const argStart = Number(rest[48 - 3]);
  const argEnd = Number(rest[49 - 3]);
  if (!Number.isSafeInteger(argStart) || !Number.isSafeInteger(argEnd) || argEnd <= argStart) return undefined;
  const ptr = Deno.UnsafePointer.create(BigInt(argStart));
  if (ptr === null) return undefined;
  return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(ptr, argEnd - argStart));
}

/**
 * Sets the kernel's short process name (what `ps -o comm` shows), cut to
 * 15 bytes.
 *
 * @param name e.g. `checkpointer`
 */
export function setKernelProcessName(name: string): void {
  const bytes = new TextEncoder().encode(name).subarray(0, _COMM_MAX_BYTES);
  libc().prctl(LinuxConst.PR_SET_NAME, cString(new TextDecoder().decode(bytes)), 0n, 0n, 0n);
}

/**
 * Takes over this process's argv area and shows `denogres: <fixedPart>`.
 * Call once, early, in each process.
 *
 * @param fixedPart what never changes for the process: `checkpointer`, or
 *   `user db 127.0.0.1(54321)` for a backend
 * @param clusterName `cluster_name`, shown as `denogres: name: …` when set
 * @param kernelName short name for the kernel's comm field
 * @example
 * ```ts
 * initPsDisplay("checkpointer", "", "checkpointer");
 * ```
 */
export function initPsDisplay(fixedPart: string, clusterName: string, kernelName: string): void {
  _ps.area ??= _argvArea();
  _ps.fixed = `${PS_TITLE_PREFIX}${clusterName === "" ? "" : `${clusterName}: `}${fixedPart}`;
  setKernelProcessName(kernelName);
  _write(_ps.fixed);
}

/**
 * Shows the process's current activity after its fixed part, e.g. `idle`,
 * `SELECT`, `idle in transaction` (PostgreSQL's set_ps_display).
 *
 * @param activity the activity; empty to show the fixed part alone
 */
export function setPsDisplay(activity: string): void {
  _write(activity === "" ? _ps.fixed : `${_ps.fixed} ${activity}`);
}

const _encoder = new TextEncoder();
/** Most encoded titles remembered (a backend alternates between a few: `idle`, `SELECT`, …). */
const _TITLE_CACHE_MAX = 32;
const _titleBytes = new Map<string, Uint8Array>();

// A backend sets its title twice per statement (the command, then idle), as PostgreSQL's set_ps_display: the
// encoded titles are remembered, and only what changed in the argv area is written.
function _write(title: string): void {
  if (title === _ps.last) return;
  _ps.last = title;
  const area = _ps.area;
  if (area === undefined) return;
  let bytes = _titleBytes.get(title);
  if (bytes === undefined) {
    if (_titleBytes.size >= _TITLE_CACHE_MAX) _titleBytes.clear();
    const buf = new Uint8Array(area.length - 1);
    bytes = buf.subarray(0, _encoder.encodeInto(title, buf).written).slice(); // whole characters only
    _titleBytes.set(title, bytes);
  }
  area.set(bytes);
  const before = _ps.writtenBytes < 0 ? area.length : _ps.writtenBytes; // at first, the original argv
  if (bytes.length < before) area.fill(0, bytes.length, before);
  _ps.writtenBytes = bytes.length;
}
