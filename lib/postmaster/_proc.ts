/**
 * _proc.ts — reading small /proc files through libc (Deno refuses /proc
 * paths to anything short of `--allow-all`), and the one question the
 * postmaster asks there: has a child installed its handler for a signal?
 *
 * PostgreSQL counterpart: none. A forked PostgreSQL child inherits the
 * postmaster's blocked-signal mask and unblocks it once its handlers are
 * set, so a signal sent early waits. A freshly executed Deno child instead
 * starts with default dispositions, under which SIGHUP, SIGTERM, SIGINT,
 * SIGUSR1 and SIGUSR2 would kill it; the postmaster therefore holds such a
 * signal until /proc/<pid>/status shows it caught (SigCgt), which gives the
 * same "delivered once the child can handle it" behaviour.
 *
 * NOTES
 * Requires `--allow-ffi`. Pure reads; a vanished process reads as "not caught".
 *
 * @module
 */

import { cString, libc, LinuxConst } from "../ffi/libc.ts";

/** Largest /proc file read here (stat and status are a few kilobytes at most). */
const _PROC_FILE_MAX_BYTES = 8192;

/**
 * Reads a small /proc file.
 *
 * @param path e.g. `/proc/self/stat`
 * @returns its text, or undefined when it cannot be read
 */
export function readProcFile(path: string): string | undefined {
  const fd = libc().open(cString(path), LinuxConst.O_RDONLY | LinuxConst.O_CLOEXEC, 0);
  if (fd < 0) return undefined;
  try {
    const buf = new Uint8Array(_PROC_FILE_MAX_BYTES);
    const n = Number(libc().pread(fd, buf, BigInt(buf.length), 0n));
    return n > 0 ? new TextDecoder().decode(buf.subarray(0, n)) : undefined;
  } finally {
    libc().close(fd);
  }
}

/**
 * Tells whether a process has a handler installed for a signal (its bit in
 * the SigCgt mask of /proc/<pid>/status).
 *
 * @param pid the process
 * @param signo the signal number (1-64)
 * @returns true when caught
 */
export function signalCaught(pid: number, signo: number): boolean {
  const status = readProcFile(`/proc/${pid}/status`);
  const m = status === undefined ? null : /^SigCgt:\s*([0-9a-f]+)$/m.exec(status);
  if (m === null) return false;
  return ((BigInt(`0x${m[1]}`) >> BigInt(signo - 1)) & 1n) === 1n;
}
