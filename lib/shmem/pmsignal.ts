/**
 * pmsignal.ts — requests from children to the postmaster: a flag per reason
 * in shared memory, then SIGUSR1 to the postmaster.
 *
 * PostgreSQL counterpart: src/backend/storage/ipc/pmsignal.c
 * (SendPostmasterSignal, CheckPostmasterSignal, PMSignalReason).
 *
 * NOTES
 * A child sets the reason's word to 1 and sends SIGUSR1 to the postmaster
 * pid recorded in the header; the postmaster's SIGUSR1 listener sets a flag,
 * and its loop calls {@link checkPostmasterSignal} for each reason, which
 * clears the word with an atomic exchange (test-and-clear). Several requests
 * of one reason before the postmaster looks count as one, as in PostgreSQL.
 * The postmaster takes no lock here. Requires `--allow-ffi` (kill through libc).
 *
 * @module
 */

import { errno, libc, LinuxConst, strerror } from "../ffi/libc.ts";
import type { ShmemSegment } from "./segment.ts";

/** Reasons a child signals the postmaster (PostgreSQL's PMSignalReason names). Append only. */
export const PM_SIGNAL_REASONS = [
  "PMSIGNAL_RECOVERY_STARTED",
  "PMSIGNAL_ROTATE_LOGFILE",
  "PMSIGNAL_START_AUTOVAC_LAUNCHER",
  "PMSIGNAL_START_AUTOVAC_WORKER",
  "PMSIGNAL_ADVANCE_STATE_MACHINE",
] as const;
/** A reason. */
export type PmSignalReason = (typeof PM_SIGNAL_REASONS)[number];

/** Flag words in the region (room to append reasons). */
export const PM_SIGNAL_REASONS_MAX = 16;
/** Size of the pmsignal region in bytes. */
export const PM_SIGNAL_REGION_BYTES = PM_SIGNAL_REASONS_MAX * 4;

function _flagWord(seg: ShmemSegment, reason: PmSignalReason): number {
  const i = PM_SIGNAL_REASONS.indexOf(reason);
  if (i < 0) throw new TypeError(`Unknown postmaster signal reason "${reason}"`);
  return (seg.region("pmsignal").offset >> 2) + i;
}

/**
 * Asks the postmaster to act (SendPostmasterSignal).
 *
 * @param seg the segment (read-write)
 * @param reason what to do
 * @throws {Error} when the postmaster cannot be signalled (it is gone)
 */
export function sendPostmasterSignal(seg: ShmemSegment, reason: PmSignalReason): void {
  Atomics.store(seg.i32, _flagWord(seg, reason), 1);
  if (libc().kill(seg.postmasterPid, LinuxConst.SIGUSR1) !== 0) {
    throw new Error(`could not send signal to postmaster (PID ${seg.postmasterPid}): ${strerror(errno())}`);
  }
}

/**
 * Tests and clears a reason's flag (CheckPostmasterSignal), in the postmaster.
 *
 * @param seg the segment (read-write)
 * @param reason the reason
 * @returns true if some child asked since the last check
 */
export function checkPostmasterSignal(seg: ShmemSegment, reason: PmSignalReason): boolean {
  const w = _flagWord(seg, reason);
  if (Atomics.load(seg.i32, w) === 0) return false;
  return Atomics.exchange(seg.i32, w, 0) !== 0;
}

if (PM_SIGNAL_REASONS.length > PM_SIGNAL_REASONS_MAX) throw new Error("PM_SIGNAL_REASONS_MAX is too small");
