/**
 * checkpointer.ts — the checkpointer process: timed, requested and
 * WAL-volume checkpoints, spread over checkpoint_completion_target, and the
 * shutdown checkpoint.
 *
 * PostgreSQL counterpart: src/backend/postmaster/checkpointer.c
 * (CheckpointerMain, CheckpointWriteDelay) and ShutdownXLOG in xlog.c.
 *
 * NOTES
 * Started by the postmaster after the startup process; exactly one runs. It
 * sleeps on its latch until checkpoint_timeout since the last checkpoint
 * elapses or someone requests a checkpoint (requestCheckpoint sets flags in
 * shared memory and its latch). Between checkpoints and during spread writes
 * it absorbs the fsync requests other processes forward. A spread checkpoint
 * sleeps 100 ms after a buffer whenever it is ahead of schedule, unless an
 * immediate checkpoint or shutdown was requested meanwhile. SIGUSR2 (from
 * the postmaster at shutdown) makes it write the shutdown checkpoint, which
 * sets pg_control to `shut down`, and exit 0. SIGTERM and SIGINT are
 * ignored, as PostgreSQL's checkpointer does. A failed checkpoint is logged
 * (ERROR) and counted as failed, so waiting requesters get an error; the
 * checkpointer goes on.
 *
 * @module
 */

import { SqlError } from "../common/errors.ts";
import { elog } from "../log/mod.ts";
import type { ChildContext } from "../postmaster/aux_process.ts";
import { pgstatCountCheckpointer, waitEventInfo } from "../shmem/mod.ts";
import { initStorageAccess, storageProcessCleanup, storageReloadSettings } from "../storage/storage_init.ts";
import { rememberSyncRequest } from "../storage/sync.ts";
import { createCheckPoint, isCheckpointOnSchedule } from "./checkpoint.ts";
import {
  absorbSyncRequests,
  checkpointDone,
  CheckpointFlags,
  checkpointStarted,
  immediateCheckpointRequested,
  setCheckpointerPid,
  takeCheckpointRequestFlags,
} from "./checkpointer_shmem.ts";
import { xlogSetFullPageWrites } from "./xlog.ts";

const _WAIT_MAIN = waitEventInfo("Activity", "CheckpointerMain");
const _WAIT_WRITE_DELAY = waitEventInfo("Timeout", "CheckpointWriteDelay");
/** Sleep of a spread checkpoint that is ahead of schedule (CheckpointWriteDelay's 100 ms). */
const _WRITE_DELAY_MS = 100;

/**
 * The checkpointer's main loop (CheckpointerMain).
 *
 * @param ctx the child context (segment attached, checkpointer slot claimed)
 * @returns never: after the shutdown checkpoint the process exits 0 through the orderly exit
 */
export async function checkpointerMain(ctx: ChildContext): Promise<never> {
  const seg = ctx.segment;
  initStorageAccess(seg, ctx.dataDir, ctx.settings, "checkpointer");
  setCheckpointerPid(seg, Deno.pid);
  ctx.onExit(() => setCheckpointerPid(seg, 0));
  xlogSetFullPageWrites(ctx.settings.bool("full_page_writes"));
  const absorb = () => {
    for (const tag of absorbSyncRequests(seg)) rememberSyncRequest(tag);
  };
  const pace = async (progress: number, startMs: number, redo: bigint) => {
    if (ctx.signals.shutdownPending || immediateCheckpointRequested(seg)) return;
    if (!isCheckpointOnSchedule(progress, startMs, redo, ctx.settings)) return;
    absorb();
    await ctx.waitForWork(_WRITE_DELAY_MS, _WAIT_WRITE_DELAY);
  };
  let lastCheckpointMs = Date.now();
  try {
    while (!ctx.signals.shutdownPending) {
      if (await ctx.reloadConfigIfPending()) {
        storageReloadSettings(seg, ctx.settings, "checkpointer");
        xlogSetFullPageWrites(ctx.settings.bool("full_page_writes"));
      }
      absorb();
      const nowMs = Date.now();
      let flags = takeCheckpointRequestFlags(seg);
      const timeoutMs = ctx.settings.int("checkpoint_timeout") * 1000;
      if (flags !== 0) pgstatCountCheckpointer(seg, "checkpointsReq");
      else if (nowMs - lastCheckpointMs >= timeoutMs) {
        flags = CheckpointFlags.CAUSE_TIME;
        pgstatCountCheckpointer(seg, "checkpointsTimed");
      }
      if (flags !== 0) {
        const elapsedS = Math.floor((nowMs - lastCheckpointMs) / 1000);
        if ((flags & CheckpointFlags.CAUSE_XLOG) && elapsedS < ctx.settings.int("checkpoint_warning")) {
          elog(
            "LOG",
            `checkpoints are occurring too frequently (${elapsedS} second${elapsedS === 1 ? "" : "s"} apart)`,
            {
              hint: 'Consider increasing the configuration parameter "max_wal_size".',
            },
          );
        }
        await _runCheckpoint(ctx, flags, pace);
        lastCheckpointMs = nowMs;
        continue;
      }
      await ctx.waitForWork(Math.max(1, timeoutMs - (Date.now() - lastCheckpointMs)), _WAIT_MAIN);
    }
    elog("LOG", "shutting down");
    await _runCheckpoint(ctx, CheckpointFlags.IS_SHUTDOWN | CheckpointFlags.IMMEDIATE, pace);
  } finally {
    storageProcessCleanup();
  }
  return ctx.exit(0); // proc_exit(0): exit callbacks, then the slot is released
}

async function _runCheckpoint(
  ctx: ChildContext,
  flags: number,
  pace: (progress: number, startMs: number, redo: bigint) => Promise<void>,
): Promise<void> {
  const seg = ctx.segment;
  const started = checkpointStarted(seg);
  try {
    await createCheckPoint({ seg, dataDir: ctx.dataDir, settings: ctx.settings, pace }, flags);
    checkpointDone(seg, started, true);
  } catch (e) {
    checkpointDone(seg, started, false);
    // A shutdown checkpoint that fails must not let the postmaster believe the shutdown was clean.
    if (flags & CheckpointFlags.IS_SHUTDOWN || !(e instanceof SqlError) || e.severity !== "ERROR") throw e;
    elog("ERROR", e.message, { detail: e.detail, hint: e.hint, sqlstate: e.sqlstate });
  }
}
