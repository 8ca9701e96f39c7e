/**
 * proc_array_layout.ts — the process array's region header and slot layout,
 * and its sizing from configuration.
 *
 * PostgreSQL counterpart: the PGPROC array (src/include/storage/proc.h) and
 * PgBackendStatus (src/include/utils/backend_status.h), merged into one slot.
 *
 * NOTES
 * Pure data. A slot's first cache line holds the words other processes write
 * (claim, latch, LWLock wait-queue links and semaphore) plus the owner's
 * single-word fields read without the change counter (wait event, xid,
 * xmin); the rest is written only by the owner under the change-counter
 * protocol (see proc_array.ts and README.md invariant 6). Slot counts:
 * client backends first, then autovacuum workers, then one fixed slot per
 * auxiliary process. Spare backends claim a slot only when they get a
 * connection, so they need none of their own.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { AUX_PROCESSES_MAX, BACKENDS_MAX } from "../common/limits.ts";
import type { GucSettings } from "../config/mod.ts";
import { AUX_BACKEND_TYPES } from "./backend_type.ts";
import type { ShmemSegment } from "./segment.ts";

/** Region header: slot count and geometry (so readers need no settings). */
export const PROC_ARRAY_HEADER_BYTES = 64;
/** Fixed part of a slot, before the query text, in bytes (7 cache lines). */
export const PROC_SLOT_FIXED_BYTES = 448;

/** Offsets of the region header's fields (i32 each). */
export const ProcArrayHeaderOffset = {
  slotCount: 0,
  slotBytes: 4,
  querySizeBytes: 8,
  maxConnections: 12,
  autovacuumWorkers: 16,
} as const;

/**
 * Offsets of a slot's fields, from the slot's start. `i32` unless noted;
 * strings are NUL-padded UTF-8 of {@link PROC_NAME_FIELD_BYTES} bytes.
 */
export const ProcSlotOffset = {
  // Cache line 0: shared words (atomics only).
  claim: 0, // pid of the owner, 0 when free
  latch: 4, // 1 = set (futex word)
  lwSem: 8, // LWLock semaphore count (futex word)
  lwWaiting: 12, // 1 while queued on an LWLock
  lwWaitMode: 16, // LWLockWaitMode index
  lwNext: 20, // wait-queue link: procNo + 1, 0 = none
  lwPrev: 24,
  waitEventInfo: 28, // class << 24 | event id, 0 = not waiting
  xid: 32, // u32 top-level transaction id, 0 = none
  xmin: 36, // u32 snapshot xmin, 0 = none
  delayChkpt: 40, // odd while a commit is between its WAL record and its commit status (DELAY_CHKPT_START)
  // Cache lines 1-6: owner-written under the change counter.
  changeCount: 64,
  backendType: 68, // BACKEND_TYPES index + 1
  state: 72, // BACKEND_STATES index
  pid: 76,
  databaseOid: 80, // u32
  userOid: 84, // u32
  clientPort: 88, // 0 = none, -1 = Unix socket
  cancelKey: 92,
  backendStartMs: 96, // f64 epoch ms, 0 = null
  xactStartMs: 104, // f64
  queryStartMs: 112, // f64
  stateChangeMs: 120, // f64
  queryBytes: 128, // length of the query text in bytes
  databaseName: 136,
  userName: 200,
  applicationName: 264,
  clientAddr: 328,
  query: PROC_SLOT_FIXED_BYTES,
} as const;
/** Size of each string field of a slot (NAMEDATALEN), including room for a NUL. */
export const PROC_NAME_FIELD_BYTES = 64;

/**
 * Number of process-array slots: `max_connections + autovacuum_max_workers + AUX_PROCESSES_MAX`.
 *
 * @param settings the postmaster's settings
 * @returns the slot count
 * @throws {SqlError} `too many backends configured` above BACKENDS_MAX
 */
export function procArraySlotCount(settings: GucSettings): number {
  const n = settings.int("max_connections") + settings.int("autovacuum_max_workers") + AUX_PROCESSES_MAX;
  if (n > BACKENDS_MAX) throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, "too many backends configured");
  return n;
}

/**
 * Bytes per slot: the fixed part plus `track_activity_query_size` rounded up to 64.
 *
 * @param settings the postmaster's settings
 * @returns the slot size in bytes (a multiple of 64)
 */
export function procArraySlotBytes(settings: GucSettings): number {
  return PROC_SLOT_FIXED_BYTES + Math.ceil(settings.int("track_activity_query_size") / 64) * 64;
}

const _geometry = new WeakMap<ShmemSegment, { base: number; slotBytes: number; slotCount: number }>();

/**
 * Where a segment's slots are (read from the region header, cached per mapping).
 *
 * @param seg the segment
 * @returns offset of slot 0, bytes per slot and the slot count
 */
export function procArrayGeometry(seg: ShmemSegment): { base: number; slotBytes: number; slotCount: number } {
  let g = _geometry.get(seg);
  if (g === undefined) {
    const r = seg.region("process array");
    g = {
      base: r.offset + PROC_ARRAY_HEADER_BYTES,
      slotBytes: seg.i32[(r.offset + ProcArrayHeaderOffset.slotBytes) >> 2],
      slotCount: seg.i32[(r.offset + ProcArrayHeaderOffset.slotCount) >> 2],
    };
    _geometry.set(seg, g);
  }
  return g;
}

/**
 * Byte offset of a process-array slot.
 *
 * @param seg the segment
 * @param procNo the slot number, 0 .. slot count - 1
 * @returns the slot's offset in the segment
 */
export function procSlotOffset(seg: ShmemSegment, procNo: number): number {
  const g = procArrayGeometry(seg);
  return g.base + procNo * g.slotBytes;
}

if (AUX_BACKEND_TYPES.length !== AUX_PROCESSES_MAX) {
  throw new Error("AUX_PROCESSES_MAX must equal the number of auxiliary backend types");
}
