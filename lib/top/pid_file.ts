/**
 * pid_file.ts — finds a cluster's running postmaster from `postmaster.pid`,
 * as `top` needs it: contents read without ever failing, plus a liveness
 * check that also catches a reused pid.
 *
 * PostgreSQL counterpart: pg_ctl's get_pgpid() and postmaster_is_alive();
 * the format is PostgreSQL's (parsed by lib/postmaster/pid_file.ts).
 *
 * NOTES
 * The postmaster fills the file in as it starts (lines 1-7, then the status
 * on line 8), so a short file is normal and read as far as it goes; a file
 * whose first line is not a pid is treated as absent (a server being set up
 * or torn down), never as an error. A pid whose process is gone, or whose
 * process started after the file was written (the pid was reused), is stale.
 * Never writes. Requires `--allow-read` on the data directory and
 * `--allow-ffi` (/proc through lib/ffi/procfs.ts).
 *
 * @module
 */

import { parsePidFile, PID_FILE_NAME, type PidFileContents } from "../postmaster/pid_file.ts";
import { readProcStat } from "../ffi/procfs.ts";

/**
 * Reads `<dataDir>/postmaster.pid`.
 *
 * @param dataDir the data directory
 * @returns the contents, or null when there is no such file or it holds no pid yet
 */
export function readClusterPidFile(dataDir: string): PidFileContents | null {
  try {
    return parsePidFile(Deno.readTextFileSync(`${dataDir}/${PID_FILE_NAME}`)) ?? null;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * Whether the pid file's postmaster is alive: its process exists, is not a
 * zombie, and started no later than the file says (a later start means the
 * pid was reused by another process).
 *
 * @param info the pid file's contents
 * @param bootTimeS the machine's boot time (see procBootTimeS() of lib/ffi/procfs.ts)
 * @param ticksPerS clock ticks per second of /proc times
 * @returns true when the postmaster runs
 */
export function postmasterAlive(info: PidFileContents, bootTimeS: number, ticksPerS: number): boolean {
  const stat = readProcStat(info.pid);
  if (stat === undefined || stat.state === "Z") return false;
  if (info.startTimeSec === undefined) return true;
  return bootTimeS + stat.startTicks / ticksPerS <= info.startTimeSec + _START_SLACK_S;
}

/** Rounding slack between /proc's start time (ticks) and the pid file's whole seconds. */
const _START_SLACK_S = 2;
