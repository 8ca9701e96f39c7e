/**
 * pgbench.ts — runs PostgreSQL's pgbench against a cluster and reads its
 * throughput.
 *
 * PostgreSQL counterpart: src/bin/pgbench (the real program is run; this
 * file only builds its command line and parses its report).
 *
 * NOTES
 * pgbench is the machine's own (`/usr/bin/pgbench`, PostgreSQL 15), the
 * same binary for both clusters, connecting over TCP to 127.0.0.1. A run
 * with failed transactions is an error, not a lower number: a server that
 * drops queries must not look merely slow. The reported tps is pgbench's
 * own line: "without initial connection time" for normal runs, "including
 * reconnection times" with `-C`, which then equals connections per second.
 *
 * @module
 */

import type { Cluster } from "./cluster.ts";
import { mustRun, shellQuote } from "./proc.ts";

/** What to run. */
export interface PgbenchSpec {
  /** Script file (e.g. `SELECT 1;`). */
  readonly scriptFile: string;
  /** `-M simple | prepared`. */
  readonly protocol: "simple" | "prepared";
  /** `-c` clients. */
  readonly clients: number;
  /** `-T` seconds. */
  readonly durationS: number;
  /** `-C`: a new connection per transaction. */
  readonly connectEach?: boolean;
}

/** Extra seconds a pgbench run may take beyond `-T` before it is killed. */
const PGBENCH_GRACE_S = 60;

/**
 * The pgbench command line for a spec and cluster.
 *
 * @param spec what to run
 * @param cluster where
 * @returns argv
 */
export function pgbenchArgv(
  spec: PgbenchSpec,
  cluster: Pick<Cluster, "host" | "port" | "user" | "database">,
): string[] {
  const threads = Math.max(1, Math.min(spec.clients, navigator.hardwareConcurrency));
  return [
    "pgbench",
    "-n",
    ...(spec.connectEach === true ? ["-C"] : []),
    "-M",
    spec.protocol,
    "-f",
    spec.scriptFile,
    "-c",
    String(spec.clients),
    "-j",
    String(threads),
    "-T",
    String(spec.durationS),
    "-h",
    cluster.host,
    "-p",
    String(cluster.port),
    "-U",
    cluster.user,
    cluster.database,
  ];
}

/**
 * Runs pgbench and returns its tps.
 *
 * @param spec what to run
 * @param cluster where
 * @returns transactions per second as pgbench reports them
 * @throws {Error} when pgbench fails, reports failed transactions, or prints no tps
 */
export async function runPgbench(spec: PgbenchSpec, cluster: Cluster): Promise<number> {
  const argv = pgbenchArgv(spec, cluster);
  const r = await mustRun(argv, {
    env: cluster.clientEnv,
    scratchDir: cluster.scratchDir,
    timeoutMs: (spec.durationS + PGBENCH_GRACE_S) * 1000,
  });
  return parsePgbenchTps(r.output, shellQuote(argv));
}

/**
 * Reads tps from pgbench's report and checks there were no failures.
 *
 * @param output pgbench's stdout and stderr
 * @param what the command, for the error message
 * @returns transactions per second
 * @throws {Error} on failed transactions or a missing tps line
 */
export function parsePgbenchTps(output: string, what = "pgbench"): number {
  const failed = /number of failed transactions: (\d+)/.exec(output);
  if (failed !== null && Number(failed[1]) > 0) throw new Error(`${what}: ${failed[1]} failed transactions`);
  const tps = /^tps = ([0-9.]+) /m.exec(output);
  if (tps === null) throw new Error(`${what}: no tps in output:\n${output.trim().split("\n").slice(-6).join("\n")}`);
  const processed = /number of transactions actually processed: (\d+)/.exec(output);
  if (processed !== null && Number(processed[1]) === 0) throw new Error(`${what}: no transaction completed`);
  return Number(tps[1]);
}
