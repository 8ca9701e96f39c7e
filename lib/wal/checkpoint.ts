/**
 * checkpoint.ts — one checkpoint: fix a redo point, write every dirty
 * buffer and commit-status page, fsync every file written, insert the
 * checkpoint record, update pg_control, recycle old WAL.
 *
 * PostgreSQL counterpart: CreateCheckPoint, CheckPointGuts,
 * LogCheckpointStart, LogCheckpointEnd, RemoveOldXlogFiles and
 * IsCheckpointOnSchedule in src/backend/access/transam/xlog.c and
 * checkpointer.c.
 *
 * NOTES
 * Run by the checkpointer (and by the startup process for its
 * end-of-recovery checkpoint); never two at a time. The redo point is the
 * insert position taken while holding every WAL insertion lock, so every
 * record after it is replayed after a crash, and every change before it is
 * on disk once this checkpoint completes: BufferSync writes (or waits for)
 * every buffer dirty at that moment, then the sync phase fsyncs every file
 * written since the previous checkpoint. Only then is the checkpoint record
 * inserted and flushed, and pg_control updated to point at it (atomic
 * replace). A crash at any earlier moment leaves pg_control pointing at the
 * previous checkpoint, whose redo point is still valid: its WAL is removed
 * only after the new checkpoint is recorded.
 *
 * @module
 */

import { bufferSync } from "../buffer/bufmgr.ts";
import type { GucSettings } from "../config/mod.ts";
import { elog } from "../log/mod.ts";
import {
  lwlockAcquire,
  lwlockRelease,
  mainLWLock,
  pgstatCountCheckpointer,
  pgstatReportCheckpoint,
  procArrayDelayingChkpt,
  procArrayStillDelayingChkpt,
  type ShmemSegment,
} from "../shmem/mod.ts";
import { processSyncRequests, rememberSyncRequest } from "../storage/sync.ts";
import { checkPointClog } from "../xact/clog.ts";
import { readNextFullTransactionId, readNextOidAndOldestXid } from "../xact/varsup.ts";
import { absorbSyncRequests, CheckpointFlags } from "./checkpointer_shmem.ts";
import { type XLogRecPtr, xlogSegNoOf } from "./lsn.ts";
import {
  checkPointRecordData,
  newCheckPoint,
  readControlFile,
  writeControlFile,
  XLOG_CHECKPOINT_ONLINE,
  XLOG_CHECKPOINT_SHUTDOWN,
} from "./pg_control.ts";
import { RM_XLOG_ID } from "./rmgr_ids.ts";
import {
  getRedoRecPtr,
  getXLogInsertRecPtr,
  walInsertLockAcquireExclusive,
  walInsertLockReleaseAll,
  xlogFlush,
  xlogInsert,
  xlogLastRecStart,
  xlogSetRedoRecPtr,
  xlogShared,
} from "./xlog.ts";
import { removeOldXlogFiles, takeSegmentsCreatedCount } from "./xlog_file.ts";
import { xlogBytePosToRecPtr, xlogRecPtrToBytePos } from "./xlog_page.ts";
import { XLogCtlOffset, xlogLoad64, xlogStore64 } from "./xlog_shmem.ts";

/** What a checkpoint did, as LogCheckpointEnd reports it. */
export interface CheckpointResult {
  /** false when skipped because nothing happened since the last checkpoint. */
  performed: boolean;
  buffersWritten: number;
  walAdded: number;
  walRemoved: number;
  walRecycled: number;
  writeMs: number;
  syncMs: number;
  totalMs: number;
  syncFiles: number;
  syncLongestMs: number;
  /** WAL bytes between the previous checkpoint's redo point and this one's. */
  distanceBytes: number;
  /** Location of the checkpoint record and its redo point. */
  lsn: XLogRecPtr;
  redo: XLogRecPtr;
}

/** Who runs the checkpoint and how it paces its writes. */
export interface CheckpointContext {
  seg: ShmemSegment;
  dataDir: string;
  settings: GucSettings;
  /**
   * Called after each buffer with the fraction done, the checkpoint's start
   * time and its redo point; may sleep to spread the writes
   * (CheckpointWriteDelay). Omitted: no pacing.
   */
  pace?: (progress: number, startMs: number, redo: XLogRecPtr) => Promise<void>;
}

function _flagText(flags: number): string {
  const f = CheckpointFlags;
  return [
    [f.IS_SHUTDOWN, " shutdown"],
    [f.END_OF_RECOVERY, " end-of-recovery"],
    [f.IMMEDIATE, " immediate"],
    [f.FORCE, " force"],
    [f.WAIT, " wait"],
    [f.CAUSE_XLOG, " wal"],
    [f.CAUSE_TIME, " time"],
    [f.FLUSH_ALL, " flush-all"],
  ].filter(([bit]) => (flags & (bit as number)) !== 0).map(([, t]) => t).join("");
}

function _secs(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/**
 * Whether a spread checkpoint is ahead of schedule (IsCheckpointOnSchedule):
 * its progress, scaled by checkpoint_completion_target, is ahead of both the
 * elapsed fraction of checkpoint_timeout and of the WAL budget.
 *
 * @param progress fraction of buffers done
 * @param startMs when the checkpoint started
 * @param redo its redo point
 * @param settings checkpoint_completion_target, checkpoint_timeout, max_wal_size
 * @returns true when it may sleep
 */
export function isCheckpointOnSchedule(
  progress: number,
  startMs: number,
  redo: XLogRecPtr,
  settings: GucSettings,
): boolean {
  const target = progress * settings.real("checkpoint_completion_target");
  const segBytes = xlogShared().segSizeBytes;
  const checkpointSegments = Math.max(
    1,
    settings.int("max_wal_size") * 1024 * 1024 / segBytes / (1 + settings.real("checkpoint_completion_target")),
  );
  const elapsedXlogs = Number(getXLogInsertRecPtr() - redo) / segBytes / checkpointSegments;
  if (target < elapsedXlogs) return false;
  const elapsedTime = (Date.now() - startMs) / (settings.int("checkpoint_timeout") * 1000);
  return target >= elapsedTime;
}

/**
 * Performs a checkpoint (CreateCheckPoint). A non-forced checkpoint is
 * skipped when no WAL was written since the previous one.
 *
 * Lock contract: no locks on entry or exit; takes every insertion lock
 * briefly, then (holding none) waits for commits caught in their commit
 * window, then ControlFileLock to update pg_control.
 *
 * @param ctx segment, data directory, settings, pacing
 * @param flags CheckpointFlags
 * @returns what it did
 */
export async function createCheckPoint(ctx: CheckpointContext, flags: number): Promise<CheckpointResult> {
  const x = xlogShared();
  const shutdown = (flags & (CheckpointFlags.IS_SHUTDOWN | CheckpointFlags.END_OF_RECOVERY)) !== 0;
  const startMs = Date.now();
  const controlLock = mainLWLock(ctx.seg, "ControlFileLock");
  if (shutdown) _setState(ctx, controlLock, "shutting down");
  takeSegmentsCreatedCount();

  walInsertLockAcquireExclusive();
  const curInsert = getXLogInsertRecPtr();
  // Nothing inserted since the last checkpoint record: an unforced checkpoint has nothing to do.
  const afterLast = xlogLoad64(x, XLogCtlOffset.lastCheckPointEnd);
  if (
    !(flags & (CheckpointFlags.IS_SHUTDOWN | CheckpointFlags.END_OF_RECOVERY | CheckpointFlags.FORCE)) &&
    afterLast !== 0n && curInsert === afterLast
  ) {
    walInsertLockReleaseAll();
    return _skipped(startMs);
  }
  const prevRedo = getRedoRecPtr();
  const redo = curInsert;
  xlogSetRedoRecPtr(redo);
  walInsertLockReleaseAll();
  if (ctx.settings.bool("log_checkpoints")) elog("LOG", `checkpoint starting:${_flagText(flags)}`);
  await _waitForDelayingCommits(ctx.seg);

  const { nextOid, oldestXid } = readNextOidAndOldestXid(ctx.seg);
  const cp = newCheckPoint({
    redo,
    fullPageWrites: ctx.settings.bool("full_page_writes"),
    nextXid: readNextFullTransactionId(ctx.seg),
    nextOid,
    oldestXid,
  });

  // CheckPointGuts: commit status, then buffers (spread), then fsync everything written.
  checkPointClog();
  const immediate =
    (flags & (CheckpointFlags.IMMEDIATE | CheckpointFlags.IS_SHUTDOWN | CheckpointFlags.END_OF_RECOVERY)) !== 0;
  const ctxPace = ctx.pace;
  const pace = immediate || ctxPace === undefined ? () => Promise.resolve() : (p: number) => ctxPace(p, startMs, redo);
  const { written } = await bufferSync(pace);
  const writeEndMs = Date.now();
  for (const tag of absorbSyncRequests(ctx.seg)) rememberSyncRequest(tag);
  const sync = processSyncRequests();
  const syncEndMs = Date.now();

  const recEnd = xlogInsert(RM_XLOG_ID, shutdown ? XLOG_CHECKPOINT_SHUTDOWN : XLOG_CHECKPOINT_ONLINE, {
    mainData: checkPointRecordData(cp),
  });
  const recStart = xlogLastRecStart();
  xlogFlush(recEnd);

  lwlockAcquire(ctx.seg, controlLock, "exclusive");
  try {
    const cf = readControlFile(ctx.dataDir);
    if (shutdown) cf.state = "shut down";
    cf.checkPoint = recStart;
    cf.checkPointCopy = cp;
    cf.minRecoveryPoint = 0n;
    cf.minRecoveryPointTli = 0;
    writeControlFile(ctx.dataDir, cf);
  } finally {
    lwlockRelease(ctx.seg, controlLock);
  }
  xlogStore64(x, XLogCtlOffset.lastCheckPoint, recStart);
  xlogStore64(
    x,
    XLogCtlOffset.lastCheckPointEnd,
    xlogBytePosToRecPtr(x.geometry, xlogRecPtrToBytePos(x.geometry, recEnd)),
  );

  const segSize = x.segSizeBytes;
  const recycleMax = Math.max(0, Math.floor(ctx.settings.int("min_wal_size") * 1024 * 1024 / segSize) - 1);
  const { removed, recycled } = removeOldXlogFiles(
    ctx.dataDir,
    segSize,
    xlogSegNoOf(redo, segSize),
    xlogSegNoOf(getXLogInsertRecPtr(), segSize),
    recycleMax,
  );
  const endMs = Date.now();
  pgstatCountCheckpointer(ctx.seg, "checkpointWriteTimeUs", (writeEndMs - startMs) * 1000);
  pgstatCountCheckpointer(ctx.seg, "checkpointSyncTimeUs", (syncEndMs - writeEndMs) * 1000);
  pgstatReportCheckpoint(ctx.seg, startMs, endMs);
  const result: CheckpointResult = {
    performed: true,
    buffersWritten: written,
    walAdded: takeSegmentsCreatedCount(),
    walRemoved: removed,
    walRecycled: recycled,
    writeMs: writeEndMs - startMs,
    syncMs: syncEndMs - writeEndMs,
    totalMs: endMs - startMs,
    syncFiles: sync.synced,
    syncLongestMs: sync.longestMs,
    distanceBytes: prevRedo === 0n ? 0 : Number(redo - prevRedo),
    lsn: recStart,
    redo,
  };
  if (ctx.settings.bool("log_checkpoints")) _logEnd(result, x.seg.region("buffer blocks").sizeBytes / 8192);
  return result;
}

/** How often a checkpoint re-checks commits that delay it (CreateCheckPoint's pg_usleep(10000L)). */
const _DELAY_CHKPT_POLL_MS = 10;

/**
 * Waits until every commit that was between its commit record and its
 * commit status when the redo point was set has set the status
 * (PostgreSQL's HaveVirtualXIDsDelayingChkpt loop), so the clog pages this
 * checkpoint writes hold every commit whose record precedes the redo point.
 * Commits starting later do not count: their records follow the redo point.
 * No wait event, as in PostgreSQL 15 (16 added CheckpointDelayStart).
 */
async function _waitForDelayingCommits(seg: ShmemSegment): Promise<void> {
  const delaying = procArrayDelayingChkpt(seg);
  while (procArrayStillDelayingChkpt(seg, delaying)) {
    await new Promise((r) => setTimeout(r, _DELAY_CHKPT_POLL_MS));
  }
}

function _skipped(startMs: number): CheckpointResult {
  return {
    performed: false,
    buffersWritten: 0,
    walAdded: 0,
    walRemoved: 0,
    walRecycled: 0,
    writeMs: 0,
    syncMs: 0,
    totalMs: Date.now() - startMs,
    syncFiles: 0,
    syncLongestMs: 0,
    distanceBytes: 0,
    lsn: 0n,
    redo: 0n,
  };
}

function _setState(ctx: CheckpointContext, controlLock: number, state: "shutting down"): void {
  lwlockAcquire(ctx.seg, controlLock, "exclusive");
  try {
    const cf = readControlFile(ctx.dataDir);
    cf.state = state;
    writeControlFile(ctx.dataDir, cf);
  } finally {
    lwlockRelease(ctx.seg, controlLock);
  }
}

/** Smoothed checkpoint distance of this process, in bytes (CheckPointDistanceEstimate). */
let _distanceEstimate = 0;

function _logEnd(r: CheckpointResult, nbuffers: number): void {
  const avgMs = r.syncFiles > 0 ? r.syncMs / r.syncFiles : 0;
  const distanceKb = Math.floor(r.distanceBytes / 1024);
  // As UpdateCheckPointDistanceEstimate: jump up at once, decay slowly.
  _distanceEstimate = r.distanceBytes > _distanceEstimate
    ? r.distanceBytes
    : 0.9 * _distanceEstimate + 0.1 * r.distanceBytes;
  elog(
    "LOG",
    `checkpoint complete: wrote ${r.buffersWritten} buffers (${(100 * r.buffersWritten / nbuffers).toFixed(1)}%); ` +
      `${r.walAdded} WAL file(s) added, ${r.walRemoved} removed, ${r.walRecycled} recycled; ` +
      `write=${_secs(r.writeMs)} s, sync=${_secs(r.syncMs)} s, total=${_secs(r.totalMs)} s; ` +
      `sync files=${r.syncFiles}, longest=${_secs(r.syncLongestMs)} s, average=${_secs(avgMs)} s; ` +
      `distance=${distanceKb} kB, estimate=${Math.floor(_distanceEstimate / 1024)} kB`,
  );
}
