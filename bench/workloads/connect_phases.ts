/**
 * connect_phases.ts — where a connection's time goes, and one query's round
 * trip, timed from a raw protocol client: `conn_auth` (TCP connect to
 * AuthenticationOk), `conn_ready` (TCP connect to ReadyForQuery),
 * `select1_rtt` (one simple-protocol `SELECT 1` on an open session), and
 * the server CPU each costs: `conn_cpu`, `select1_cpu`.
 *
 * PostgreSQL counterpart: none; libpq's connection sequence, timed.
 *
 * NOTES
 * On PostgreSQL, AuthenticationOk comes after the postmaster accepted and
 * forked, and the backend read the startup packet and checked pg_hba; the
 * rest up to ReadyForQuery is session initialisation (catalog caches,
 * ParameterStatus, BackendKeyData). On denogres the same split separates
 * the hand-off to a backend process plus startup packet plus auth from
 * session setup. Connections are made one after another (no concurrency);
 * each sample is the median of `--connect-samples` connections. CPU is
 * read from /proc for the postmaster and all its descendants (exited
 * backends through their parent's cutime/cstime), so it is the server's
 * work only, not the client's; resolution 10 ms, hence many operations.
 * A few failed connections become a warning beside the sample
 * (lib/sessions.ts); `conn_cpu` then divides by the successful ones.
 *
 * @module
 */

import { median } from "../lib/stats.ts";
import type { RunContext, Workload } from "../lib/workload.ts";
import { type ConnectPhases, WireSession } from "../lib/wire.ts";
import { ConnectTally } from "../lib/sessions.ts";
import type { Cluster } from "../lib/cluster.ts";
import { sleep } from "../lib/proc.ts";
import { processTree, treeCpuMs, waitForTreeSize } from "../lib/process_tree.ts";

async function _phases(t: Cluster, ctx: RunContext): Promise<ConnectPhases[]> {
  const all: ConnectPhases[] = [];
  const tally = new ConnectTally();
  for (let i = 0; i < ctx.connectSamples; i++) {
    const opened = await tally.open(t);
    if (opened === undefined) continue;
    all.push(opened.phases);
    await opened.session.close();
  }
  tally.settle(ctx);
  return all;
}

/** TCP connect to AuthenticationOk. */
export const connAuthWorkload: Workload = {
  name: "conn_auth",
  unit: "ms",
  better: "lower",
  description: "connect to AuthenticationOk: accept, hand-off/fork, startup packet, auth",
  command: (_t, ctx) => `median of ${ctx.connectSamples} sequential raw-protocol connections (bench/lib/wire.ts)`,
  run: async (t, ctx) => median((await _phases(t, ctx)).map((p) => p.authOkMs)),
};

/** TCP connect to ReadyForQuery. */
export const connReadyWorkload: Workload = {
  name: "conn_ready",
  unit: "ms",
  better: "lower",
  description: "connect to ReadyForQuery: the whole connection set-up",
  command: (_t, ctx) => `median of ${ctx.connectSamples} sequential raw-protocol connections (bench/lib/wire.ts)`,
  run: async (t, ctx) => median((await _phases(t, ctx)).map((p) => p.readyMs)),
};

/** One simple-protocol SELECT 1 round trip. */
export const select1RttWorkload: Workload = {
  name: "select1_rtt",
  unit: "µs",
  better: "lower",
  description: "one simple-protocol SELECT 1 round trip on an open session",
  command: (_t, ctx) => `median of ${ctx.roundTrips} sequential Query('SELECT 1') round trips (bench/lib/wire.ts)`,
  run: async (t, ctx) => {
    const { session } = await WireSession.open(t.host, t.port, t.user, t.database);
    try {
      const samples: number[] = [];
      for (let i = 0; i < ctx.roundTrips; i++) {
        const t0 = performance.now();
        await session.simpleQuery("SELECT 1");
        samples.push((performance.now() - t0) * 1000);
      }
      return median(samples);
    } finally {
      await session.close();
    }
  },
};

/** Longest wait for the cluster to return to its idle process count. */
const DRAIN_TIMEOUT_MS = 30_000;

/** Server CPU per connection. */
export const connCpuWorkload: Workload = {
  name: "conn_cpu",
  unit: "ms",
  better: "lower",
  description: "server CPU per connection (all cluster processes, incl. exited backends)",
  command: (_t, ctx) =>
    `${ctx.connectSamples * 4} sequential raw-protocol connect+close; Δ(utime+stime+cutime+cstime) of the process ` +
    `tree / connections`,
  run: async (t, ctx) => {
    const pid = await t.postmasterPid();
    await sleep(ctx.settleMs);
    const idleCount = processTree(pid).length;
    const before = treeCpuMs(pid);
    const tally = new ConnectTally();
    for (let i = 0; i < ctx.connectSamples * 4; i++) await (await tally.open(t))?.session.close();
    await waitForTreeSize(pid, idleCount, DRAIN_TIMEOUT_MS);
    await sleep(ctx.settleMs); // a replacement spare may still be initialising
    tally.settle(ctx);
    return (treeCpuMs(pid) - before) / (tally.attempts - tally.failures);
  },
};

/** Server CPU per simple-protocol SELECT 1. */
export const select1CpuWorkload: Workload = {
  name: "select1_cpu",
  unit: "µs",
  better: "lower",
  description: "server CPU per simple-protocol SELECT 1 (one session, sequential)",
  command: (_t, ctx) =>
    `Query('SELECT 1') back to back on one session for ${ctx.durationS} s; Δ CPU of the process tree / queries`,
  run: async (t, ctx) => {
    const pid = await t.postmasterPid();
    const { session } = await WireSession.open(t.host, t.port, t.user, t.database);
    try {
      await session.simpleQuery("SELECT 1");
      const before = treeCpuMs(pid);
      const end = performance.now() + ctx.durationS * 1000;
      let n = 0;
      while (performance.now() < end) {
        await session.simpleQuery("SELECT 1");
        n++;
      }
      return ((treeCpuMs(pid) - before) * 1000) / n;
    } finally {
      await session.close();
    }
  },
};
