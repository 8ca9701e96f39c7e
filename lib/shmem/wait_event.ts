/**
 * wait_event.ts — wait events: what a process is waiting for, published in
 * its process-array slot as one word and shown by pg_stat_activity's
 * `wait_event_type` and `wait_event`.
 *
 * PostgreSQL counterpart: src/include/utils/wait_event.h and
 * src/backend/utils/activity/wait_event.c (pgstat_report_wait_start/end,
 * pgstat_get_wait_event_type, pgstat_get_wait_event).
 *
 * NOTES
 * A wait event is `class << 24 | id`, 0 meaning "not waiting", exactly as
 * PostgreSQL's wait_event_info. The owner writes it with one atomic store
 * (no change counter: it is a single word); readers may see it a moment
 * late. LWLock events use the lock's tranche id; the other classes index
 * the name lists below (PostgreSQL 15's names; append only).
 *
 * @module
 */

import { LWLOCK_TRANCHE_NAMES } from "./lwlock_names.ts";
import { ProcSlotOffset, procSlotOffset } from "./proc_array_layout.ts";
import type { ShmemSegment } from "./segment.ts";

/** Wait event classes, as `pg_stat_activity.wait_event_type` shows them. */
export type WaitEventType = "LWLock" | "Lock" | "BufferPin" | "Activity" | "Client" | "IPC" | "Timeout" | "IO";

const _CLASS_ID: Record<WaitEventType, number> = {
  LWLock: 0x01,
  Lock: 0x03,
  BufferPin: 0x04,
  Activity: 0x05,
  Client: 0x06,
  IPC: 0x08,
  Timeout: 0x09,
  IO: 0x0a,
};

/** Event names per class (LWLock names are the tranche names). */
export const WAIT_EVENT_NAMES: Readonly<Record<Exclude<WaitEventType, "LWLock">, readonly string[]>> = {
  Lock: [
    "relation",
    "extend",
    "frozenid",
    "page",
    "tuple",
    "transactionid",
    "virtualxid",
    "spectoken",
    "object",
    "userlock",
    "advisory",
  ],
  BufferPin: ["BufferPin"],
  Activity: [
    "ArchiverMain",
    "AutoVacuumMain",
    "BgWriterHibernate",
    "BgWriterMain",
    "CheckpointerMain",
    "LogicalApplyMain",
    "LogicalLauncherMain",
    "RecoveryWalStream",
    "SysLoggerMain",
    "WalReceiverMain",
    "WalSenderMain",
    "WalWriterMain",
  ],
  Client: ["ClientRead", "ClientWrite", "GSSOpenServer", "SSLOpenServer", "WalSenderWaitForWAL", "WalSenderWriteData"],
  IPC: [
    "BufferIO",
    "CheckpointDone",
    "CheckpointStart",
    "ProcArrayGroupUpdate",
    "ProcSignalBarrier",
    "Promote",
    "RecoveryPause",
    "XactGroupUpdate",
  ],
  Timeout: [
    "BaseBackupThrottle",
    "CheckpointWriteDelay",
    "PgSleep",
    "RecoveryApplyDelay",
    "RegisterSyncRequest",
    "VacuumDelay",
    "VacuumTruncate",
  ],
  IO: [
    "ControlFileRead",
    "ControlFileSync",
    "ControlFileSyncUpdate",
    "ControlFileWrite",
    "ControlFileWriteUpdate",
    "DataFileExtend",
    "DataFileFlush",
    "DataFileImmediateSync",
    "DataFileRead",
    "DataFileSync",
    "DataFileTruncate",
    "DataFileWrite",
    "LockFileCreateRead",
    "LockFileCreateSync",
    "LockFileCreateWrite",
    "RelationMapRead",
    "RelationMapSync",
    "RelationMapWrite",
    "SLRUFlushSync",
    "SLRURead",
    "SLRUSync",
    "SLRUWrite",
    "WALBootstrapSync",
    "WALBootstrapWrite",
    "WALInitSync",
    "WALInitWrite",
    "WALRead",
    "WALSync",
    "WALWrite",
  ],
};

/**
 * Encodes a wait event. Compute it once (a constant) where it is used often.
 *
 * @param type the class
 * @param name the event, e.g. `("Timeout", "PgSleep")`, `("LWLock", "BufferContent")`
 * @returns the wait_event_info word
 * @throws {TypeError} for an unknown event
 */
export function waitEventInfo(type: WaitEventType, name: string): number {
  const names = type === "LWLock" ? LWLOCK_TRANCHE_NAMES : WAIT_EVENT_NAMES[type];
  const id = names.indexOf(name);
  if (id < 0) throw new TypeError(`Unknown wait event "${name}" of type "${type}"`);
  return (_CLASS_ID[type] << 24) | id;
}

/**
 * Decodes a wait event word.
 *
 * @param info the word (0: not waiting)
 * @returns type and name, or null when not waiting (or an unknown word)
 */
export function describeWaitEvent(info: number): { type: WaitEventType; name: string } | null {
  if (info === 0) return null;
  const classId = info >>> 24;
  const id = info & 0xffffff;
  const type = (Object.keys(_CLASS_ID) as WaitEventType[]).find((t) => _CLASS_ID[t] === classId);
  if (type === undefined) return null;
  const name = (type === "LWLock" ? LWLOCK_TRANCHE_NAMES : WAIT_EVENT_NAMES[type])[id];
  return name === undefined ? null : { type, name };
}

/**
 * Publishes that this process starts waiting (pgstat_report_wait_start).
 * Does nothing for a process without a slot.
 *
 * @param seg the segment
 * @param info from {@link waitEventInfo}
 */
export function pgstatReportWaitStart(seg: ShmemSegment, info: number): void {
  const procNo = seg.local.procNo;
  if (procNo < 0) return;
  Atomics.store(seg.i32, (procSlotOffset(seg, procNo) + ProcSlotOffset.waitEventInfo) >> 2, info);
}

/**
 * Publishes that this process stopped waiting (pgstat_report_wait_end).
 *
 * @param seg the segment
 */
export function pgstatReportWaitEnd(seg: ShmemSegment): void {
  pgstatReportWaitStart(seg, 0);
}
