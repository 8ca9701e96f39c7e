/**
 * lifecycle.ts — workloads `initdb`, `initdb_nosync`, `start`, `stop`: the
 * cost of creating a data directory (with and without its final fsync) and
 * of `ctl start -w` / `ctl stop -m fast`, beside PostgreSQL's `initdb` and
 * `pg_ctl`.
 *
 * PostgreSQL counterpart: src/bin/initdb, src/bin/pg_ctl.
 *
 * NOTES
 * Each is the wall time of the real command, spawn to exit. `pg_ctl -w`
 * (and denogres's `ctl -w`, which copies it) polls the pid file ten times a
 * second, so start and stop times are quantised to about 100 ms; that is
 * what a user waits, and it is measured as such. initdb runs into a fresh
 * directory each time, which is removed afterwards; both initdbs fsync the
 * new directory (their default), except in `initdb_nosync` (`-N`), which
 * shows what that fsync costs each of them. `stop` runs right after `start`,
 * so it includes waiting for children still starting to install their
 * signal handlers (lib/postmaster README, invariant 6).
 *
 * @module
 */

import type { Workload } from "../lib/workload.ts";

/** `initdb -D DIR -A trust -U postgres` into a fresh directory. */
export const initdbWorkload: Workload = {
  name: "initdb",
  unit: "ms",
  better: "lower",
  description: "initdb of a fresh data directory (wall time)",
  standalone: true,
  command: (t) => t.commandLines().initdb.replace(t.dataDir, `${t.rootDir}/initdb-N`),
  run: (t) => t.timeInitdb(),
};

/** `initdb -N -D DIR -A trust -U postgres`: the same without the final fsync. */
export const initdbNoSyncWorkload: Workload = {
  name: "initdb_nosync",
  unit: "ms",
  better: "lower",
  description: "initdb -N (no fsync) of a fresh data directory (wall time)",
  standalone: true,
  command: (t) => `${t.commandLines().initdb.replace(t.dataDir, `${t.rootDir}/initdb-N`)} -N`,
  run: (t) => t.timeInitdb({ noSync: true }),
};

/** `ctl start -w` from a cleanly stopped cluster until it accepts connections. */
export const startWorkload: Workload = {
  name: "start",
  unit: "ms",
  better: "lower",
  description: "ctl start -w until ready (from a clean shutdown)",
  command: (t) => t.commandLines().start,
  run: async (t) => {
    await t.stop("fast");
    return await t.start();
  },
};

/** `ctl stop -m fast` of an idle running cluster until the postmaster is gone. */
export const stopWorkload: Workload = {
  name: "stop",
  unit: "ms",
  better: "lower",
  description: "ctl stop -m fast until the postmaster has exited",
  command: (t) => t.commandLines().stop,
  run: async (t) => {
    const ms = await t.stop("fast");
    await t.start();
    return ms;
  },
};
