/**
 * autovacuum.ts — the autovacuum launcher's main loop.
 *
 * PostgreSQL counterpart: AutoVacLauncherMain() in
 * src/backend/postmaster/autovacuum.c.
 *
 * NOTES
 * The launcher wakes every `autovacuum_naptime`, re-reads its configuration
 * on SIGHUP and exits 0 on SIGTERM or SIGUSR2, or when `autovacuum` is
 * turned off, as PostgreSQL's. denogres has no VACUUM yet, so a round
 * finds no database to hand to a worker and no worker is ever started;
 * the launcher's schedule, slot and signals are real so that workers can be
 * added without touching the postmaster. It holds no locks and touches no
 * shared state besides its own process-array slot.
 *
 * @module
 */

import { elog } from "../log/mod.ts";
import { waitEventInfo } from "../shmem/mod.ts";
import type { ChildContext } from "./aux_process.ts";

const _WAIT_MAIN = waitEventInfo("Activity", "AutoVacuumMain");

/**
 * Runs the autovacuum launcher until asked to stop.
 *
 * @param ctx the child's context (slot claimed, signals installed)
 * @returns never: when asked to stop (or autovacuum is off) it exits 0 through the orderly exit, releasing its slot
 */
export async function autovacuumLauncherMain(ctx: ChildContext): Promise<never> {
  elog("DEBUG1", "autovacuum launcher started");
  while (!ctx.signals.terminatePending && !ctx.signals.shutdownPending) {
    await ctx.reloadConfigIfPending();
    if (!ctx.settings.bool("autovacuum")) break;
    await ctx.waitForWork(ctx.settings.int("autovacuum_naptime") * 1000, _WAIT_MAIN);
  }
  elog("DEBUG1", "autovacuum launcher shutting down");
  return ctx.exit(0); // proc_exit(0): the slot is released
}
