/**
 * memory.ts — workloads `mem_idle`, `mem_sessions`, `mem_per_backend`: the
 * proportional set size of a whole cluster (postmaster and every
 * descendant), idle and with idle client sessions held open.
 *
 * PostgreSQL counterpart: none (what `smem` reports per process group).
 *
 * NOTES
 * Sessions are raw protocol connections from this process (bench/lib/wire.ts),
 * each having run one `SELECT 1`, so the backend has finished its startup
 * and served a query, then sits idle. After closing them the workload
 * waits until the cluster is back to its idle process count, so the next
 * measurement does not count exiting backends. `mem_per_backend` measures
 * idle and with-sessions itself in the same round: (with - idle) / N.
 *
 * @module
 */

import type { Cluster } from "../lib/cluster.ts";
import { sleep } from "../lib/proc.ts";
import { treePssKiB, waitForTreeSize } from "../lib/process_tree.ts";
import type { RunContext, Workload } from "../lib/workload.ts";
import type { WireSession } from "../lib/wire.ts";
import { ConnectTally } from "../lib/sessions.ts";

/** Longest wait for backends to exit after their sessions closed. */
const SESSIONS_DRAIN_TIMEOUT_MS = 30_000;

async function _idlePssMiB(t: Cluster, ctx: RunContext): Promise<{ mib: number; processes: number }> {
  await sleep(ctx.settleMs);
  const { pssKiB, processes } = treePssKiB(await t.postmasterPid());
  return { mib: pssKiB / 1024, processes };
}

async function _withSessionsPssMiB(t: Cluster, ctx: RunContext, idleProcesses: number): Promise<number> {
  const sessions: WireSession[] = [];
  try {
    const tally = new ConnectTally();
    while (sessions.length < ctx.idleSessions && tally.attempts < ctx.idleSessions * 2) {
      const opened = await tally.open(t);
      if (opened === undefined) continue;
      sessions.push(opened.session);
      await opened.session.simpleQuery("SELECT 1");
    }
    if (sessions.length < ctx.idleSessions) {
      throw new Error(`only ${sessions.length} of ${ctx.idleSessions} sessions opened`);
    }
    tally.settle(ctx);
    await sleep(ctx.settleMs);
    return treePssKiB(await t.postmasterPid()).pssKiB / 1024;
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await waitForTreeSize(await t.postmasterPid(), idleProcesses, SESSIONS_DRAIN_TIMEOUT_MS);
  }
}

const _SESSIONS_NOTE = "raw protocol sessions from the harness, each after one SELECT 1; Pss summed over " +
  "/proc/<pid>/smaps_rollup of the postmaster and all its descendants";

/** Whole cluster, idle. */
export const memIdleWorkload: Workload = {
  name: "mem_idle",
  unit: "MiB",
  better: "lower",
  description: "Pss of the whole cluster, idle",
  command: () => "sum of Pss in /proc/<pid>/smaps_rollup over the postmaster and all its descendants",
  run: async (t, ctx) => (await _idlePssMiB(t, ctx)).mib,
};

/** Whole cluster with N idle sessions. */
export const memSessionsWorkload: Workload = {
  name: "mem_sessions",
  unit: "MiB",
  better: "lower",
  description: "Pss of the whole cluster with N idle sessions (N = --sessions, 20)",
  command: (_t, ctx) => `${ctx.idleSessions} ${_SESSIONS_NOTE}`,
  run: async (t, ctx) => {
    const idle = await _idlePssMiB(t, ctx);
    return await _withSessionsPssMiB(t, ctx, idle.processes);
  },
};

/** (with N sessions - idle) / N. */
export const memPerBackendWorkload: Workload = {
  name: "mem_per_backend",
  unit: "MiB",
  better: "lower",
  description: "Pss added per idle session: (with N - idle) / N",
  command: (_t, ctx) => `(with ${ctx.idleSessions} sessions - idle) / ${ctx.idleSessions}; ${_SESSIONS_NOTE}`,
  run: async (t, ctx) => {
    const idle = await _idlePssMiB(t, ctx);
    const withSessions = await _withSessionsPssMiB(t, ctx, idle.processes);
    return (withSessions - idle.mib) / ctx.idleSessions;
  },
};
