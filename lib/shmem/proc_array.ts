/**
 * proc_array.ts — the process array: one slot per backend and auxiliary
 * process, claimed and released with compare-exchange, written only by its
 * owner, read by anyone as consistent snapshots without locks.
 *
 * PostgreSQL counterpart: InitProcess/ProcKill (src/backend/storage/lmgr/proc.c)
 * for claiming PGPROCs, and src/backend/utils/activity/backend_status.c
 * (pgstat_bestart, pgstat_report_activity, pgstat_read_current_status,
 * st_changecount) for the activity fields.
 *
 * NOTES
 * Claiming: compare-exchange of the slot's claim word from 0 to the pid;
 * releasing: the owner clears its fields, then stores 0. A process that
 * dies without releasing (crash, SIGKILL) leaves its claim word set, so the
 * slot is never reused before the crash reset re-creates the segment; the
 * postmaster may use {@link procArrayFindPid} after a child's exit 0/1 to
 * see whether it cleaned up (PostgreSQL's ReleasePostmasterChildSlot test).
 * Change counter: the owner increments it before and after each update (odd
 * while writing); a reader copies a slot between two reads of the counter
 * and retries if they differ or are odd, at most PROC_SNAPSHOT_RETRIES_MAX
 * times (a writer that died mid-update would otherwise stall it forever).
 * Single-word fields (wait event, xid, xmin) are plain atomic stores.
 * See README.md invariants 5-7.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { AUX_PROCESSES_MAX } from "../common/limits.ts";
import type { GucSettings } from "../config/mod.ts";
import {
  AUX_BACKEND_TYPES,
  type AuxBackendType,
  BACKEND_TYPES,
  type BackendType,
  backendTypeIndex,
} from "./backend_type.ts";
import { lwlockReleaseAll } from "./lwlock.ts";
import {
  PROC_NAME_FIELD_BYTES,
  procArrayGeometry,
  ProcArrayHeaderOffset,
  procArraySlotBytes,
  procArraySlotCount,
  ProcSlotOffset,
  procSlotOffset,
} from "./proc_array_layout.ts";
import type { ShmemSegment } from "./segment.ts";
import { describeWaitEvent, type WaitEventType } from "./wait_event.ts";

/** Session states as `pg_stat_activity.state` shows them (index 0: null, e.g. auxiliary processes). */
export const BACKEND_STATES = [
  null,
  "idle",
  "active",
  "idle in transaction",
  "fastpath function call",
  "idle in transaction (aborted)",
  "disabled",
] as const;
/** A session state; null for processes that have none. */
export type BackendState = (typeof BACKEND_STATES)[number];

/** Times a snapshot re-reads a slot that is being written before skipping it. */
export const PROC_SNAPSHOT_RETRIES_MAX = 1000;

/** What {@link procArrayClaimSlot} gives its caller. */
export interface ProcSlotClaim {
  /** Slot number: the process's id for latches and LWLock queues. */
  readonly procNo: number;
  /** Random key for CancelRequest (sent to the client in BackendKeyData). */
  readonly cancelKey: number;
}

/** Session facts known after authentication (pgstat_bestart). */
export interface BackendSessionInfo {
  databaseOid: number;
  databaseName: string;
  userOid: number;
  userName: string;
  applicationName: string;
  /** Client address as text (`127.0.0.1`, `::1`), "" for a Unix socket. */
  clientAddr: string;
  /** Client port; -1 for a Unix socket. */
  clientPort: number;
}

/** One slot as pg_stat_activity shows it. Times are epoch ms; null where PostgreSQL shows NULL. */
export interface ProcSlotSnapshot {
  readonly procNo: number;
  readonly pid: number;
  readonly backendType: BackendType;
  readonly state: BackendState;
  readonly waitEventType: WaitEventType | null;
  readonly waitEvent: string | null;
  readonly databaseOid: number | null;
  readonly databaseName: string | null;
  readonly userOid: number | null;
  readonly userName: string | null;
  readonly applicationName: string;
  readonly clientAddr: string | null;
  readonly clientPort: number | null;
  readonly backendStartMs: number;
  readonly xactStartMs: number | null;
  readonly queryStartMs: number | null;
  readonly stateChangeMs: number | null;
  readonly query: string;
  readonly backendXid: number | null;
  readonly backendXmin: number | null;
}

const _encoder = new TextEncoder();
const _napWord = new Int32Array(new SharedArrayBuffer(4));
const _decoder = new TextDecoder();

/**
 * Writes the region header (postmaster, at segment creation).
 *
 * @param seg the new segment
 * @param settings the postmaster's settings
 */
export function procArrayShmemInit(seg: ShmemSegment, settings: GucSettings): void {
  const base = seg.region("process array").offset;
  const put = (field: number, v: number) => (seg.i32[(base + field) >> 2] = v);
  put(ProcArrayHeaderOffset.slotCount, procArraySlotCount(settings));
  put(ProcArrayHeaderOffset.slotBytes, procArraySlotBytes(settings));
  put(ProcArrayHeaderOffset.querySizeBytes, settings.int("track_activity_query_size"));
  put(ProcArrayHeaderOffset.maxConnections, settings.int("max_connections"));
  put(ProcArrayHeaderOffset.autovacuumWorkers, settings.int("autovacuum_max_workers"));
}

function _header(seg: ShmemSegment, field: number): number {
  return seg.i32[(seg.region("process array").offset + field) >> 2];
}

/**
 * The slot numbers a backend type may claim: client backends
 * `[0, max_connections)`, autovacuum workers the next `autovacuum_max_workers`,
 * each auxiliary process its own fixed slot at the end.
 *
 * @param seg the segment
 * @param type the backend type
 * @returns first slot and the slot after the last
 */
function _slotRange(seg: ShmemSegment, type: BackendType): [number, number] {
  const maxConnections = _header(seg, ProcArrayHeaderOffset.maxConnections);
  if (type === "client backend") return [0, maxConnections];
  if (type === "autovacuum worker") {
    return [maxConnections, maxConnections + _header(seg, ProcArrayHeaderOffset.autovacuumWorkers)];
  }
  const aux = procArrayAuxProcNo(seg, type);
  return [aux, aux + 1];
}

/**
 * The fixed slot of an auxiliary process (e.g. to set the checkpointer's latch).
 *
 * @param seg the segment
 * @param type an auxiliary backend type
 * @returns its slot number
 */
export function procArrayAuxProcNo(seg: ShmemSegment, type: AuxBackendType): number {
  const i = (AUX_BACKEND_TYPES as readonly string[]).indexOf(type);
  if (i < 0) throw new TypeError(`"${type}" is not an auxiliary process type`);
  return procArrayGeometry(seg).slotCount - AUX_PROCESSES_MAX + i;
}

/**
 * Claims a slot for this process (InitProcess + pgstat_bestart's first half)
 * and records it in `seg.local`. One slot per process.
 *
 * @param seg the segment, attached read-write
 * @param type what this process is
 * @returns the slot number and a fresh cancel key
 * @throws {SqlError} FATAL 53300 `sorry, too many clients already` when no slot of its kind is free
 * @example
 * ```ts
 * const { procNo, cancelKey } = procArrayClaimSlot(seg, "client backend");
 * ```
 */
export function procArrayClaimSlot(seg: ShmemSegment, type: BackendType): ProcSlotClaim {
  assert(seg.local.procNo < 0, "process claims one process-array slot");
  const [first, end] = _slotRange(seg, type);
  const pid = Deno.pid;
  for (let procNo = first; procNo < end; procNo++) {
    const slot = procSlotOffset(seg, procNo);
    if (Atomics.compareExchange(seg.i32, (slot + ProcSlotOffset.claim) >> 2, 0, pid) !== 0) continue;
    const cancelKey = crypto.getRandomValues(new Int32Array(1))[0];
    for (const f of ["latch", "lwSem", "lwWaiting", "lwNext", "lwPrev", "waitEventInfo", "xid", "xmin"] as const) {
      Atomics.store(seg.i32, (slot + ProcSlotOffset[f]) >> 2, 0);
    }
    _write(seg, slot, () => {
      _clearActivity(seg, slot);
      seg.i32[(slot + ProcSlotOffset.backendType) >> 2] = backendTypeIndex(type) + 1;
      seg.i32[(slot + ProcSlotOffset.pid) >> 2] = pid;
      seg.i32[(slot + ProcSlotOffset.cancelKey) >> 2] = cancelKey;
      seg.f64[(slot + ProcSlotOffset.backendStartMs) >> 3] = Date.now();
    });
    seg.local.procNo = procNo;
    seg.local.backendType = type;
    return { procNo, cancelKey };
  }
  assert(type === "client backend" || type === "autovacuum worker", `only one ${type} process runs at a time`);
  throw new SqlError(SqlState.TOO_MANY_CONNECTIONS, "sorry, too many clients already", { severity: "FATAL" });
}

/**
 * Releases this process's slot (ProcKill), first releasing any LWLocks it
 * still holds. Call on every orderly exit path.
 *
 * Lock contract: may hold LWLocks on entry (they are released); holds none on exit.
 *
 * @param seg the segment
 */
export function procArrayReleaseSlot(seg: ShmemSegment): void {
  const procNo = seg.local.procNo;
  assert(procNo >= 0, "process holds a process-array slot");
  lwlockReleaseAll(seg);
  const slot = procSlotOffset(seg, procNo);
  _write(seg, slot, () => _clearActivity(seg, slot));
  for (const f of ["waitEventInfo", "xid", "xmin"] as const) Atomics.store(seg.i32, (slot + ProcSlotOffset[f]) >> 2, 0);
  Atomics.store(seg.i32, (slot + ProcSlotOffset.claim) >> 2, 0);
  seg.local.procNo = -1;
  seg.local.backendType = undefined;
}

/**
 * Records the session's database, user, application and client (pgstat_bestart).
 *
 * @param seg the segment; this process holds a slot
 * @param info the session facts
 */
export function pgstatBestart(seg: ShmemSegment, info: BackendSessionInfo): void {
  const slot = _mySlot(seg);
  _write(seg, slot, () => {
    seg.dv.setUint32(slot + ProcSlotOffset.databaseOid, info.databaseOid, true);
    seg.dv.setUint32(slot + ProcSlotOffset.userOid, info.userOid, true);
    seg.i32[(slot + ProcSlotOffset.clientPort) >> 2] = info.clientPort;
    _putString(seg, slot + ProcSlotOffset.databaseName, PROC_NAME_FIELD_BYTES, info.databaseName);
    _putString(seg, slot + ProcSlotOffset.userName, PROC_NAME_FIELD_BYTES, info.userName);
    _putString(seg, slot + ProcSlotOffset.applicationName, PROC_NAME_FIELD_BYTES, info.applicationName);
    _putString(seg, slot + ProcSlotOffset.clientAddr, PROC_NAME_FIELD_BYTES, info.clientAddr);
  });
}

/**
 * Publishes the session state and, when given, the query now running
 * (pgstat_report_activity). The query is truncated to
 * `track_activity_query_size - 1` bytes on a character boundary.
 *
 * @param seg the segment; this process holds a slot
 * @param state the new state
 * @param query the statement text, which also sets `query_start`
 */
export function pgstatReportActivity(seg: ShmemSegment, state: BackendState, query?: string): void {
  const slot = _mySlot(seg);
  const now = Date.now();
  _write(seg, slot, () => {
    seg.i32[(slot + ProcSlotOffset.state) >> 2] = BACKEND_STATES.indexOf(state);
    seg.f64[(slot + ProcSlotOffset.stateChangeMs) >> 3] = now;
    if (query === undefined) return;
    const size = _header(seg, ProcArrayHeaderOffset.querySizeBytes);
    seg.i32[(slot + ProcSlotOffset.queryBytes) >> 2] = _putString(seg, slot + ProcSlotOffset.query, size, query);
    seg.f64[(slot + ProcSlotOffset.queryStartMs) >> 3] = now;
  });
}

/**
 * Publishes the start of the current transaction (pgstat_report_xact_timestamp).
 *
 * @param seg the segment; this process holds a slot
 * @param startMs epoch ms, or 0 when no transaction is open
 */
export function pgstatReportXactTimestamp(seg: ShmemSegment, startMs: number): void {
  const slot = _mySlot(seg);
  _write(seg, slot, () => (seg.f64[(slot + ProcSlotOffset.xactStartMs) >> 3] = startMs));
}

/**
 * Publishes a new application_name (pgstat_report_appname).
 *
 * @param seg the segment; this process holds a slot
 * @param name the new name (truncated to 63 bytes)
 */
export function pgstatReportAppname(seg: ShmemSegment, name: string): void {
  const slot = _mySlot(seg);
  _write(seg, slot, () => _putString(seg, slot + ProcSlotOffset.applicationName, PROC_NAME_FIELD_BYTES, name));
}

/**
 * Publishes this process's top-level transaction id (0: none). Snapshot
 * builders read it under ProcArrayLock, as PGPROC.xid.
 *
 * @param seg the segment; this process holds a slot
 * @param xid the xid (u32)
 */
export function procArraySetXid(seg: ShmemSegment, xid: number): void {
  Atomics.store(seg.i32, (_mySlot(seg) + ProcSlotOffset.xid) >> 2, xid | 0);
}

/**
 * Publishes this process's snapshot xmin (0: none), as PGPROC.xmin.
 *
 * @param seg the segment; this process holds a slot
 * @param xmin the xmin (u32)
 */
export function procArraySetXmin(seg: ShmemSegment, xmin: number): void {
  Atomics.store(seg.i32, (_mySlot(seg) + ProcSlotOffset.xmin) >> 2, xmin | 0);
}

/**
 * Marks this process as in the window between inserting a commit record and
 * setting the commit status (PostgreSQL's `MyProc->delayChkptFlags |=
 * DELAY_CHKPT_START`): a checkpoint whose redo point falls after the record
 * must not finish before the status is set, or a crash could lose the
 * commit. Pair with {@link procArrayDelayChkptEnd} in a `finally`.
 *
 * @param seg the segment; this process holds a slot
 */
export function procArrayDelayChkptStart(seg: ShmemSegment): void {
  const before = Atomics.add(seg.i32, (_mySlot(seg) + ProcSlotOffset.delayChkpt) >> 2, 1);
  assert((before & 1) === 0, "a commit does not delay checkpoints twice");
}

/**
 * Ends the window of {@link procArrayDelayChkptStart}.
 *
 * @param seg the segment; this process holds a slot
 */
export function procArrayDelayChkptEnd(seg: ShmemSegment): void {
  const before = Atomics.add(seg.i32, (_mySlot(seg) + ProcSlotOffset.delayChkpt) >> 2, 1);
  assert((before & 1) === 1, "a commit delaying checkpoints ends its delay once");
}

/**
 * The processes delaying a checkpoint now (GetVirtualXIDsDelayingChkpt):
 * each slot's delay counter while it is odd. The counter grows by one at each
 * start and end, so a later commit of the same process is told apart.
 *
 * @param seg the segment
 * @returns counter value by slot number
 */
export function procArrayDelayingChkpt(seg: ShmemSegment): ReadonlyMap<number, number> {
  const delaying = new Map<number, number>();
  const { slotCount } = procArrayGeometry(seg);
  for (let procNo = 0; procNo < slotCount; procNo++) {
    const v = Atomics.load(seg.i32, (procSlotOffset(seg, procNo) + ProcSlotOffset.delayChkpt) >> 2);
    if ((v & 1) === 1) delaying.set(procNo, v);
  }
  return delaying;
}

/**
 * Whether any of the commits seen by {@link procArrayDelayingChkpt} is still
 * in its window (HaveVirtualXIDsDelayingChkpt); commits that started since
 * do not count (their records come after the checkpoint's redo point).
 *
 * @param seg the segment
 * @param delaying what procArrayDelayingChkpt returned
 * @returns true while one of them has not ended
 */
export function procArrayStillDelayingChkpt(seg: ShmemSegment, delaying: ReadonlyMap<number, number>): boolean {
  for (const [procNo, v] of delaying) {
    if (Atomics.load(seg.i32, (procSlotOffset(seg, procNo) + ProcSlotOffset.delayChkpt) >> 2) === v) return true;
  }
  return false;
}

/**
 * Reads a slot's xid and xmin (for snapshots; take ProcArrayLock around a scan).
 *
 * @param seg the segment
 * @param procNo a slot
 * @returns the xid and xmin (u32; 0 = none)
 */
export function procArrayXids(seg: ShmemSegment, procNo: number): { xid: number; xmin: number } {
  const slot = procSlotOffset(seg, procNo);
  return {
    xid: Atomics.load(seg.i32, (slot + ProcSlotOffset.xid) >> 2) >>> 0,
    xmin: Atomics.load(seg.i32, (slot + ProcSlotOffset.xmin) >> 2) >>> 0,
  };
}

/**
 * Consistent copies of every slot in use (pgstat_read_current_status):
 * what pg_stat_activity and top show. Works on a read-only attachment.
 *
 * @param seg the segment
 * @returns the slots in use, by slot number
 */
export function procArraySnapshot(seg: ShmemSegment): ProcSlotSnapshot[] {
  const out: ProcSlotSnapshot[] = [];
  const { slotCount } = procArrayGeometry(seg);
  for (let procNo = 0; procNo < slotCount; procNo++) {
    const slot = procSlotOffset(seg, procNo);
    if (Atomics.load(seg.i32, (slot + ProcSlotOffset.claim) >> 2) === 0) continue;
    const s = _readConsistent(seg, slot, () => _readSlot(seg, procNo, slot));
    if (s !== null) out.push(s);
  }
  return out;
}

/**
 * Finds the slot claimed by a pid (from the claim word, so it also finds the
 * slot of a process that died without releasing it).
 *
 * @param seg the segment
 * @param pid a process id
 * @returns its slot number, or -1
 */
export function procArrayFindPid(seg: ShmemSegment, pid: number): number {
  const { slotCount } = procArrayGeometry(seg);
  for (let procNo = 0; procNo < slotCount; procNo++) {
    if (Atomics.load(seg.i32, (procSlotOffset(seg, procNo) + ProcSlotOffset.claim) >> 2) === pid) return procNo;
  }
  return -1;
}

/**
 * Checks a CancelRequest: is there a backend with this pid, and does its cancel key match?
 *
 * @param seg the segment
 * @param pid the pid from the request
 * @param cancelKey the key from the request
 * @returns `match` (the caller then sends SIGINT), `wrong key` (a live slot has the pid), or `no process`
 */
export function procArrayCheckCancelKey(
  seg: ShmemSegment,
  pid: number,
  cancelKey: number,
): "match" | "wrong key" | "no process" {
  const procNo = procArrayFindPid(seg, pid);
  if (procNo < 0) return "no process";
  const slot = procSlotOffset(seg, procNo);
  const key = _readConsistent(seg, slot, () => ({
    pid: seg.i32[(slot + ProcSlotOffset.pid) >> 2],
    key: seg.i32[(slot + ProcSlotOffset.cancelKey) >> 2],
  }));
  if (key === null || key.pid !== pid) return "no process";
  return key.key === (cancelKey | 0) ? "match" : "wrong key";
}

/**
 * Size of the buffer the postmaster reads a crashed backend's query into:
 * LogChildExit's `activity_buffer[1024]` (the text is cut to 1023 bytes even
 * with a larger `track_activity_query_size`).
 */
export const CRASHED_ACTIVITY_BUFFER_BYTES = 1024;

/**
 * The query a backend that died without releasing its slot was running, or
 * last ran (pgstat_get_crashed_backend_activity), for the postmaster's
 * `DETAIL:  Failed process was running: …`. Only the slots of client
 * backends and autovacuum workers are searched (PostgreSQL's loop ends at
 * MaxBackends, before the auxiliary processes), by the slot's pid field.
 * The slot is read as it is, without the change-counter protocol, since its
 * writer is dead (at worst a half-written text is reported), and nothing in
 * it is trusted: at most `min(bufferBytes, track_activity_query_size) - 1`
 * bytes up to the first NUL, every byte that is neither printable ASCII nor
 * `\n`, `\r` or `\t` replaced by `?` (ascii_safe_strlcpy; a two-byte UTF-8
 * character gives `??`). Works on a read-only attachment.
 *
 * @param seg the segment, before it is reset
 * @param pid the dead process's pid
 * @param bufferBytes the reader's buffer, NUL included
 * @returns the text, or undefined when the pid has no slot, its text is empty, or it cannot be read
 */
export function pgstatGetCrashedBackendActivity(
  seg: ShmemSegment,
  pid: number,
  bufferBytes: number = CRASHED_ACTIVITY_BUFFER_BYTES,
): string | undefined {
  try {
    const backendsMax = _header(seg, ProcArrayHeaderOffset.maxConnections) +
      _header(seg, ProcArrayHeaderOffset.autovacuumWorkers);
    const { slotBytes, slotCount } = procArrayGeometry(seg);
    const textMax = Math.min(
      bufferBytes,
      _header(seg, ProcArrayHeaderOffset.querySizeBytes),
      slotBytes - ProcSlotOffset.query,
    ) - 1;
    for (let procNo = 0; procNo < Math.min(backendsMax, slotCount); procNo++) {
      const slot = procSlotOffset(seg, procNo);
      if (seg.i32[(slot + ProcSlotOffset.pid) >> 2] !== pid) continue;
      const at = slot + ProcSlotOffset.query;
      if (!(textMax > 0 && at + textMax <= seg.sizeBytes) || seg.u8[at] === 0) return undefined;
      let text = "";
      for (let i = 0; i < textMax; i++) {
        const ch = seg.u8[at + i];
        if (ch === 0) break;
        text += (ch >= 32 && ch <= 127) || ch === 0x0a || ch === 0x0d || ch === 0x09 ? String.fromCharCode(ch) : "?";
      }
      return text;
    }
  } catch {
    // A corrupt region header: as PostgreSQL, report nothing rather than fail.
  }
  return undefined;
}

/**
 * Whether at least `n` client-backend slots are free (HaveNFreeProcs), for
 * superuser_reserved_connections.
 *
 * @param seg the segment
 * @param n how many
 * @returns true if at least n are free
 */
export function procArrayHaveFreeSlots(seg: ShmemSegment, n: number): boolean {
  const [first, end] = _slotRange(seg, "client backend");
  let free = 0;
  for (let procNo = first; procNo < end && free < n; procNo++) {
    if (Atomics.load(seg.i32, (procSlotOffset(seg, procNo) + ProcSlotOffset.claim) >> 2) === 0) free++;
  }
  return free >= n;
}

/**
 * `max_connections` of the postmaster that created the segment, from the
 * process array's region header (what `top` shows as the connection limit;
 * a reader with other settings gets the server's). Works read-only.
 *
 * @param seg the segment
 * @returns max_connections
 */
export function procArrayMaxConnections(seg: ShmemSegment): number {
  return seg.i32[(seg.region("process array").offset + ProcArrayHeaderOffset.maxConnections) >> 2];
}

function _mySlot(seg: ShmemSegment): number {
  assert(seg.local.procNo >= 0, "process holds a process-array slot");
  return procSlotOffset(seg, seg.local.procNo);
}

/** Runs an owner's update between two increments of the slot's change counter. */
function _write(seg: ShmemSegment, slot: number, update: () => void): void {
  const cc = (slot + ProcSlotOffset.changeCount) >> 2;
  Atomics.add(seg.i32, cc, 1);
  try {
    update();
  } finally {
    Atomics.add(seg.i32, cc, 1);
  }
}

function _readConsistent<T>(seg: ShmemSegment, slot: number, read: () => T | null): T | null {
  const cc = (slot + ProcSlotOffset.changeCount) >> 2;
  for (let attempt = 0; attempt < PROC_SNAPSHOT_RETRIES_MAX; attempt++) {
    // A writer preempted mid-update: give it the CPU now and then.
    if (attempt % 100 === 99) Atomics.wait(_napWord, 0, 0, 1);
    const before = Atomics.load(seg.i32, cc);
    if ((before & 1) !== 0) continue;
    const value = read();
    if (Atomics.load(seg.i32, cc) === before) return value;
  }
  return null;
}

function _clearActivity(seg: ShmemSegment, slot: number): void {
  seg.u8.fill(0, slot + ProcSlotOffset.backendType, slot + ProcSlotOffset.query + 1);
}

function _putString(seg: ShmemSegment, at: number, fieldBytes: number, s: string): number {
  // encodeInto writes whole characters only (never splits one), straight into the segment: no allocation
  // on this per-statement path (pgstat_report_activity).
  const { written } = _encoder.encodeInto(s, seg.u8.subarray(at, at + fieldBytes - 1));
  seg.u8[at + written] = 0;
  return written;
}

function _getString(seg: ShmemSegment, at: number, fieldBytes: number): string {
  const end = seg.u8.subarray(at, at + fieldBytes).indexOf(0);
  return _decoder.decode(seg.u8.slice(at, at + (end < 0 ? fieldBytes : end)));
}

function _readSlot(seg: ShmemSegment, procNo: number, slot: number): ProcSlotSnapshot | null {
  const i = (field: number) => seg.i32[(slot + field) >> 2];
  const time = (field: number) => seg.f64[(slot + field) >> 3] || null;
  const pid = i(ProcSlotOffset.pid);
  const backendType = BACKEND_TYPES[i(ProcSlotOffset.backendType) - 1];
  if (pid === 0 || backendType === undefined) return null;
  const isClient = backendType === "client backend";
  const databaseOid = seg.dv.getUint32(slot + ProcSlotOffset.databaseOid, true);
  const userOid = seg.dv.getUint32(slot + ProcSlotOffset.userOid, true);
  const clientPort = i(ProcSlotOffset.clientPort);
  const wait = describeWaitEvent(Atomics.load(seg.i32, (slot + ProcSlotOffset.waitEventInfo) >> 2));
  const xids = procArrayXids(seg, procNo);
  const queryBytes = Math.max(0, i(ProcSlotOffset.queryBytes));
  return {
    procNo,
    pid,
    backendType,
    state: BACKEND_STATES[i(ProcSlotOffset.state)] ?? null,
    waitEventType: wait?.type ?? null,
    waitEvent: wait?.name ?? null,
    databaseOid: databaseOid === 0 ? null : databaseOid,
    databaseName: databaseOid === 0 ? null : _getString(seg, slot + ProcSlotOffset.databaseName, PROC_NAME_FIELD_BYTES),
    userOid: userOid === 0 ? null : userOid,
    userName: userOid === 0 ? null : _getString(seg, slot + ProcSlotOffset.userName, PROC_NAME_FIELD_BYTES),
    applicationName: _getString(seg, slot + ProcSlotOffset.applicationName, PROC_NAME_FIELD_BYTES),
    clientAddr: clientPort === 0
      ? null
      : _getString(seg, slot + ProcSlotOffset.clientAddr, PROC_NAME_FIELD_BYTES) || null,
    clientPort: clientPort === 0 ? null : clientPort,
    backendStartMs: seg.f64[(slot + ProcSlotOffset.backendStartMs) >> 3],
    xactStartMs: time(ProcSlotOffset.xactStartMs),
    queryStartMs: time(ProcSlotOffset.queryStartMs),
    stateChangeMs: time(ProcSlotOffset.stateChangeMs),
    query: isClient || queryBytes > 0
      ? _decoder.decode(seg.u8.slice(slot + ProcSlotOffset.query, slot + ProcSlotOffset.query + queryBytes))
      : "",
    backendXid: xids.xid === 0 ? null : xids.xid,
    backendXmin: xids.xmin === 0 ? null : xids.xmin,
  };
}
