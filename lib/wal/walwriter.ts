/**
 * walwriter.ts — the WAL writer process: flushes WAL in the background so
 * asynchronous commits become durable within wal_writer_delay and backends
 * rarely write WAL themselves.
 *
 * PostgreSQL counterpart: src/backend/postmaster/walwriter.c (WalWriterMain)
 * and XLogBackgroundFlush in xlog.c.
 *
 * NOTES
 * Every wal_writer_delay (or sooner when an asynchronous commit sets its
 * latch) it writes and fsyncs everything inserted so far, counted in the
 * walwriter row of the WAL statistics. After a run of idle rounds it
 * hibernates at 25 × wal_writer_delay, as PostgreSQL's. SIGTERM or SIGUSR2
 * end it (exit 0): the shutdown checkpoint flushes what remains.
 *
 * @module
 */

import type { ChildContext } from "../postmaster/aux_process.ts";
import { waitEventInfo } from "../shmem/mod.ts";
import { initStorageAccess, storageProcessCleanup, storageReloadSettings } from "../storage/storage_init.ts";
import { xlogBackgroundFlush } from "./xlog.ts";

const _WAIT_MAIN = waitEventInfo("Activity", "WalWriterMain");
/** Idle rounds before hibernating (LOOPS_UNTIL_HIBERNATE). */
const _LOOPS_UNTIL_HIBERNATE = 50;
/** Sleep multiplier while hibernating (HIBERNATE_FACTOR). */
const _HIBERNATE_FACTOR = 25;

/**
 * The walwriter's main loop (WalWriterMain).
 *
 * @param ctx the child context (segment attached, walwriter slot claimed)
 * @returns never: on SIGTERM or SIGUSR2 the process exits 0 through the orderly exit
 */
export async function walWriterMain(ctx: ChildContext): Promise<never> {
  initStorageAccess(ctx.segment, ctx.dataDir, ctx.settings, "walwriter");
  let leftTillHibernate = _LOOPS_UNTIL_HIBERNATE;
  try {
    while (!ctx.signals.terminatePending && !ctx.signals.shutdownPending) {
      if (await ctx.reloadConfigIfPending()) storageReloadSettings(ctx.segment, ctx.settings, "walwriter");
      if (xlogBackgroundFlush()) leftTillHibernate = _LOOPS_UNTIL_HIBERNATE;
      else if (leftTillHibernate > 0) leftTillHibernate--;
      const delayMs = ctx.settings.int("wal_writer_delay");
      await ctx.waitForWork(leftTillHibernate > 0 ? delayMs : delayMs * _HIBERNATE_FACTOR, _WAIT_MAIN);
    }
  } finally {
    storageProcessCleanup();
  }
  return ctx.exit(0); // proc_exit(0): the slot is released
}
