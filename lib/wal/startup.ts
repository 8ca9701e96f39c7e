/**
 * startup.ts — the startup process: read pg_control, replay WAL after an
 * unclean shutdown, write the end-of-recovery checkpoint, open the cluster
 * for writes.
 *
 * PostgreSQL counterpart: StartupProcessMain (src/backend/postmaster/startup.c),
 * StartupXLOG (xlog.c) and PerformWalRecovery / InitWalRecovery
 * (xlogrecovery.c).
 *
 * NOTES
 * The postmaster runs it alone, after creating (or re-creating) shared
 * memory and before any other child, and starts the others when it exits 0.
 * A clean shutdown left state `shut down` and a shutdown checkpoint with
 * nothing after it: no replay. Any other state means a crash: log
 * `database system was not properly shut down; automatic recovery in
 * progress`, replay from the checkpoint's redo point record by record
 * through the resource managers, stop at the first torn, invalid or
 * CRC-failing record (logging why and `redo done at …`), write an
 * end-of-recovery checkpoint (so the replayed changes are on disk and the
 * torn tail is never replayed again), then set `in production`. Replay is
 * idempotent (page LSNs), so a crash during recovery just restarts it.
 * Errors: a missing or invalid checkpoint record is a FATAL (the cluster
 * cannot start); a redo routine's error stops the startup process, which the
 * postmaster reports as `startup process … exited with exit code 1`.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { WAL_PAGE_SIZE_BYTES } from "../common/limits.ts";
import type { GucSettings } from "../config/mod.ts";
import { LinuxConst } from "../ffi/libc.ts";
import { procClockTicksPerS, readProcStat } from "../ffi/procfs.ts";
import { elog, formatLogTime } from "../log/mod.ts";
import type { ChildContext } from "../postmaster/aux_process.ts";
import { lwlockAcquire, lwlockRelease, mainLWLock, type ShmemSegment } from "../shmem/mod.ts";
import { fileClose, fileOpenIfExists, fileReadAt } from "../storage/fd.ts";
import { smgrSetNblocksCaching } from "../storage/smgr.ts";
import { initStorageAccess, storageProcessCleanup } from "../storage/storage_init.ts";
import { transactionIdIsNormal } from "../xact/transam.ts";
import { advanceNextFullTransactionIdPastXid, varsupStart } from "../xact/varsup.ts";
import { xactRedoInit } from "../xact/xact.ts";
import { decodeXactRecord, formatTimestampTz } from "../xact/xact_record.ts";
import { createCheckPoint } from "./checkpoint.ts";
import { CheckpointFlags } from "./checkpointer_shmem.ts";
import { formatLsn, type XLogRecPtr, xlogSegNoOf } from "./lsn.ts";
import {
  type ControlFileData,
  type DBState,
  decodeCheckPoint,
  readControlFile,
  writeControlFile,
  XLOG_CHECKPOINT_ONLINE,
  XLOG_CHECKPOINT_SHUTDOWN,
} from "./pg_control.ts";
import { RMGR_TABLE } from "./rmgr_list.ts";
import { RM_XACT_ID, RM_XLOG_ID } from "./rmgr_ids.ts";
import {
  walInsertLockAcquireExclusive,
  walInsertLockReleaseAll,
  xlogAllowLocalInsert,
  xlogSetFullPageWrites,
  xlogSetInRecovery,
  xlogSetProduction,
  xlogSetRedoRecPtr,
  xlogShared,
  xlogStartInsertAt,
} from "./xlog.ts";
import { xlogFilePath } from "./xlog_file.ts";
import { xlogBytePosToRecPtr, xlogRecPtrToBytePos } from "./xlog_page.ts";
import { XLogReader } from "./xlog_reader.ts";
import { XLR_INFO_MASK } from "./xlog_record.ts";
import { xlogRedoInit } from "./xlog_rmgr.ts";
import { XLogCtlOffset, xlogSharedStart, xlogStore64 } from "./xlog_shmem.ts";

/** Records replayed between yields to the event loop (so signal listeners run). */
const _REDO_YIELD_EVERY = 5000;

/** What the startup process found and did. */
export interface StartupResult {
  /** Whether WAL was replayed (the previous shutdown was not clean). */
  recovered: boolean;
  /** Records replayed. */
  recordsReplayed: number;
  /** Where replay started and where the last valid record started (0 without recovery). */
  redoStart: XLogRecPtr;
  redoDone: XLogRecPtr;
  /** Why replay stopped (PostgreSQL's message), if it stopped at an invalid record. */
  stopReason?: string;
  /** Where new WAL continues. */
  endOfLog: XLogRecPtr;
  /** Bytes of WAL replayed and the time it took. */
  replayedBytes: number;
  replayMs: number;
}

function _stateMessage(cf: ControlFileData): { msg: string; hint?: string } | undefined {
  const at = formatLogTime(cf.time * 1000, false);
  const messages: Partial<Record<DBState, { msg: string; hint?: string }>> = {
    "shut down": { msg: `database system was shut down at ${at}` },
    "shutting down": { msg: `database system shutdown was interrupted; last known up at ${at}` },
    "in crash recovery": {
      msg: `database system was interrupted while in recovery at ${at}`,
      hint: "This probably means that some data is corrupted and you will have to use the last backup for recovery.",
    },
    "in production": { msg: `database system was interrupted; last known up at ${at}` },
  };
  return messages[cf.state];
}

/** This process's CPU times (PostgreSQL's pg_rusage_show), from /proc/self/stat. */
function _cpuTimes(): { userS: number; systemS: number } | undefined {
  const stat = readProcStat("self");
  if (stat === undefined) return undefined;
  const ticksPerS = procClockTicksPerS();
  return { userS: stat.utimeTicks / ticksPerS, systemS: stat.stimeTicks / ticksPerS };
}

function _usage(cpu0: ReturnType<typeof _cpuTimes>, t0: number): string {
  const cpu1 = _cpuTimes();
  const elapsed = `elapsed: ${((performance.now() - t0) / 1000).toFixed(2)} s`;
  if (cpu0 === undefined || cpu1 === undefined) return elapsed;
  return `CPU: user: ${(cpu1.userS - cpu0.userS).toFixed(2)} s, system: ${
    (cpu1.systemS - cpu0.systemS).toFixed(2)
  } s, ${elapsed}`;
}

function _updateState(seg: ShmemSegment, dataDir: string, state: DBState): void {
  const lock = mainLWLock(seg, "ControlFileLock");
  lwlockAcquire(seg, lock, "exclusive");
  try {
    const cf = readControlFile(dataDir);
    cf.state = state;
    writeControlFile(dataDir, cf);
  } finally {
    lwlockRelease(seg, lock);
  }
}

function _readPageAt(dataDir: string, segSize: number, lsn: XLogRecPtr): Uint8Array | undefined {
  const pageStart = lsn - lsn % BigInt(WAL_PAGE_SIZE_BYTES);
  const path = xlogFilePath(dataDir, xlogSegNoOf(pageStart, segSize), segSize);
  const fd = fileOpenIfExists(path, LinuxConst.O_RDONLY);
  if (fd < 0) return undefined;
  try {
    const page = new Uint8Array(WAL_PAGE_SIZE_BYTES);
    fileReadAt(fd, page, Number(pageStart % BigInt(segSize)), path);
    return page;
  } finally {
    fileClose(fd);
  }
}

/**
 * Brings the cluster to a consistent, writable state (StartupXLOG): reads
 * pg_control and the checkpoint record, replays WAL if needed, prepares WAL
 * insertion, writes the end-of-recovery checkpoint, sets `in production`.
 *
 * Lock contract: runs before any other process uses the segment's storage
 * regions; holds no locks on exit.
 *
 * @param seg the attached segment; this process holds the startup slot
 * @param dataDir the data directory
 * @param settings the settings
 * @param shouldStop polled during replay; true ends the process's work early (SIGTERM)
 * @returns what happened
 * @throws {SqlError} FATAL when the checkpoint record cannot be read
 */
export async function startupXlog(
  seg: ShmemSegment,
  dataDir: string,
  settings: GucSettings,
  shouldStop: () => boolean = () => false,
): Promise<StartupResult> {
  const cf = readControlFile(dataDir);
  xlogSharedStart(seg, cf.xlogSegSize, cf.systemIdentifier, cf.dataChecksumVersion);
  initStorageAccess(seg, dataDir, settings, "startup");
  xlogSetInRecovery(true);
  const said = _stateMessage(cf);
  if (said !== undefined) elog("LOG", said.msg, { hint: said.hint });

  const reader = new XLogReader(dataDir, cf.xlogSegSize, cf.systemIdentifier);
  try {
    const ckRec = reader.readRecord(cf.checkPoint);
    const info = ckRec === undefined ? -1 : ckRec.info & ~XLR_INFO_MASK;
    if (
      ckRec === undefined || ckRec.rmid !== RM_XLOG_ID ||
      (info !== XLOG_CHECKPOINT_SHUTDOWN && info !== XLOG_CHECKPOINT_ONLINE)
    ) {
      if (reader.errorMessage) elog("LOG", reader.errorMessage);
      throw new SqlError(SqlState.DATA_CORRUPTED, "could not locate a valid checkpoint record", { severity: "FATAL" });
    }
    const cp = decodeCheckPoint(
      new DataView(ckRec.mainData.buffer, ckRec.mainData.byteOffset, ckRec.mainData.length),
      0,
    );
    varsupStart(seg, cp.nextXid, cp.nextOid, cp.oldestXid);
    let endOfLog = ckRec.endLsn;
    let lastRec = cf.checkPoint;
    const needRecovery = cp.redo < cf.checkPoint || cf.state !== "shut down";
    const result: StartupResult = {
      recovered: needRecovery,
      recordsReplayed: 0,
      redoStart: 0n,
      redoDone: 0n,
      endOfLog,
      replayedBytes: 0,
      replayMs: 0,
    };
    if (needRecovery) {
      elog("LOG", "database system was not properly shut down; automatic recovery in progress");
      _updateState(seg, dataDir, "in crash recovery");
      xlogRedoInit(seg);
      xactRedoInit(seg);
      smgrSetNblocksCaching(true);
      const replay = await _replay(seg, reader, cp.redo < cf.checkPoint ? cp.redo : undefined, shouldStop);
      smgrSetNblocksCaching(false);
      Object.assign(result, replay);
      if (replay.redoDone !== 0n) {
        endOfLog = replay.endOfLog;
        lastRec = replay.redoDone;
      }
    }
    result.endOfLog = endOfLog;
    _prepareInsert(dataDir, settings, cf, endOfLog, lastRec, cp.redo);
    if (needRecovery) {
      xlogAllowLocalInsert();
      await createCheckPoint(
        { seg, dataDir, settings },
        CheckpointFlags.END_OF_RECOVERY | CheckpointFlags.IMMEDIATE | CheckpointFlags.WAIT,
      );
    }
    xlogSetInRecovery(false);
    xlogSetProduction();
    _updateState(seg, dataDir, "in production");
    return result;
  } finally {
    reader.close();
  }
}

/** Replays from `redoPtr` (or from the record after the checkpoint record), stopping at the end of valid WAL. */
async function _replay(
  seg: ShmemSegment,
  reader: XLogReader,
  redoPtr: XLogRecPtr | undefined,
  shouldStop: () => boolean,
): Promise<
  Pick<
    StartupResult,
    "recordsReplayed" | "redoStart" | "redoDone" | "stopReason" | "endOfLog" | "replayedBytes" | "replayMs"
  >
> {
  const t0 = performance.now();
  const cpu0 = _cpuTimes();
  let rec = redoPtr === undefined ? reader.readRecord() : reader.readRecord(redoPtr);
  if (rec === undefined) {
    if (reader.errorMessage) elog("LOG", reader.errorMessage);
    elog("LOG", "redo is not required");
    return {
      recordsReplayed: 0,
      redoStart: 0n,
      redoDone: 0n,
      stopReason: reader.errorMessage,
      endOfLog: 0n,
      replayedBytes: 0,
      replayMs: 0,
    };
  }
  const redoStart = rec.lsn;
  elog("LOG", `redo starts at ${formatLsn(redoStart)}`);
  let count = 0;
  let last = rec;
  let lastXactTime: bigint | undefined;
  while (rec !== undefined) {
    const rmgr = RMGR_TABLE[rec.rmid];
    if (rmgr === undefined) {
      throw new SqlError(SqlState.DATA_CORRUPTED, `invalid resource manager ID ${rec.rmid} at ${formatLsn(rec.lsn)}`, {
        severity: "FATAL",
      });
    }
    // Every xid that reached WAL is used: never hand it out again.
    if (transactionIdIsNormal(rec.xid)) advanceNextFullTransactionIdPastXid(seg, rec.xid);
    rmgr.redo(rec);
    if (rec.rmid === RM_XACT_ID) lastXactTime = decodeXactRecord(rec.mainData).xactTime;
    last = rec;
    if (++count % _REDO_YIELD_EVERY === 0) {
      await new Promise((r) => setTimeout(r, 0));
      if (shouldStop()) {
        throw new SqlError(SqlState.ADMIN_SHUTDOWN, "terminating startup process due to administrator command", {
          severity: "FATAL",
        });
      }
    }
    rec = reader.readRecord();
  }
  if (reader.errorMessage) elog("LOG", reader.errorMessage);
  elog("LOG", `redo done at ${formatLsn(last.lsn)} system usage: ${_usage(cpu0, t0)}`);
  if (lastXactTime !== undefined) {
    elog("LOG", `last completed transaction was at log time ${formatTimestampTz(lastXactTime)}`);
  }
  return {
    recordsReplayed: count,
    redoStart,
    redoDone: last.lsn,
    stopReason: reader.errorMessage,
    endOfLog: last.endLsn,
    replayedBytes: Number(last.endLsn - redoStart),
    replayMs: performance.now() - t0,
  };
}

/** Sets the insert position after the last valid record and the redo point inserters compare page LSNs to. */
function _prepareInsert(
  dataDir: string,
  settings: GucSettings,
  cf: ControlFileData,
  endOfLog: XLogRecPtr,
  lastRec: XLogRecPtr,
  redo: XLogRecPtr,
): void {
  const x = xlogShared();
  const partial = endOfLog % BigInt(WAL_PAGE_SIZE_BYTES) !== 0n
    ? _readPageAt(dataDir, cf.xlogSegSize, endOfLog)
    : undefined;
  xlogStartInsertAt(endOfLog, lastRec, partial);
  xlogSetFullPageWrites(settings.bool("full_page_writes"));
  walInsertLockAcquireExclusive();
  xlogSetRedoRecPtr(redo);
  walInsertLockReleaseAll();
  xlogStore64(x, XLogCtlOffset.lastCheckPoint, cf.checkPoint);
  xlogStore64(
    x,
    XLogCtlOffset.lastCheckPointEnd,
    xlogBytePosToRecPtr(x.geometry, xlogRecPtrToBytePos(x.geometry, endOfLog)),
  );
}

/**
 * The startup process's main (contract 1, StartupProcessMain): runs
 * {@link startupXlog}, then exits 0 through the orderly exit, which
 * releases its process-array slot (PostgreSQL's proc_exit(0) → ProcKill),
 * so pg_stat_activity stops listing it; the postmaster then proceeds. An
 * error propagates (exit 1: the postmaster's startup-failure path).
 *
 * @param ctx the child context (segment attached, startup slot claimed)
 * @returns never: the process exits
 */
export async function startupProcessMain(ctx: ChildContext): Promise<never> {
  try {
    await startupXlog(ctx.segment, ctx.dataDir, ctx.settings, () => ctx.signals.terminatePending);
  } finally {
    storageProcessCleanup();
  }
  return ctx.exit(0);
}
