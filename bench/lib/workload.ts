/**
 * workload.ts — what a benchmark workload is: one small function measured
 * against each cluster, a unit, and which direction is better.
 *
 * PostgreSQL counterpart: none (pgbench's built-in scripts play a similar
 * role for transactions).
 *
 * NOTES
 * A workload is run against a running cluster and leaves it running (the
 * `start`/`stop` workloads stop and start it again themselves). It throws
 * on any failure; the harness records the error for that cell, makes sure
 * the cluster runs again, and goes on. See bench/README.md ("Adding a
 * workload").
 *
 * @module
 */

import type { Cluster } from "./cluster.ts";

/** Parameters every workload may use, set from the command line. */
export interface RunContext {
  /** Seconds per pgbench run (`--duration`). */
  readonly durationS: number;
  /** A file holding `SELECT 1;`. */
  readonly select1Script: string;
  /** Idle sessions held for the memory workloads. */
  readonly idleSessions: number;
  /** Wait before reading memory, so start-up allocations settle. */
  readonly settleMs: number;
  /** Connections timed by the connection-phase workloads. */
  readonly connectSamples: number;
  /** Round trips timed by the round-trip workload. */
  readonly roundTrips: number;
  /** Records a problem that did not void the measurement (shown with the results). */
  readonly warn: (message: string) => void;
}

/** One measured quantity. */
export interface Workload {
  /** Short name for `--only` and the table. */
  readonly name: string;
  /** Unit of the number `run` returns. */
  readonly unit: string;
  /** Which direction is better. */
  readonly better: "higher" | "lower";
  /** One line saying what is measured. */
  readonly description: string;
  /** True when `run` needs no running server (e.g. initdb): it runs even if the cluster could not start. */
  readonly standalone?: boolean;
  /** The exact command or procedure, for bench/RESULTS.md. */
  command(target: Cluster, ctx: Omit<RunContext, "warn">): string;
  /** Measures once against a running cluster and leaves it running. */
  run(target: Cluster, ctx: RunContext): Promise<number>;
}
