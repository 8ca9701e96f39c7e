/**
 * select1.ts — pgbench workloads on `SELECT 1;`: connections per second
 * (`-C`) and transactions per second with the simple and the extended
 * (prepared) protocol, 1 and 8 clients.
 *
 * PostgreSQL counterpart: pgbench with a custom script (`-f`).
 *
 * NOTES
 * `SELECT 1` touches no table, so these measure the connection path and
 * the per-query path of the protocol, parser and executor, nothing of
 * storage. The table workloads (`pgbench -i`, built-in scripts) join when
 * denogres has tables; see bench/README.md.
 *
 * @module
 */

import { pgbenchArgv, type PgbenchSpec, runPgbench } from "../lib/pgbench.ts";
import { shellQuote } from "../lib/proc.ts";
import type { RunContext, Workload } from "../lib/workload.ts";

function _pgbenchWorkload(
  name: string,
  unit: string,
  description: string,
  spec: (ctx: Omit<RunContext, "warn">) => PgbenchSpec,
): Workload {
  return {
    name,
    unit,
    better: "higher",
    description,
    command: (t, ctx) => shellQuote(pgbenchArgv(spec(ctx), t)),
    run: (t, ctx) => runPgbench(spec(ctx), t),
  };
}

function _connectSpec(ctx: Omit<RunContext, "warn">): PgbenchSpec {
  return { scriptFile: ctx.select1Script, protocol: "simple", clients: 4, durationS: ctx.durationS, connectEach: true };
}

/** New connection per `SELECT 1`, 4 clients: connections per second. */
export const connectWorkload: Workload = _pgbenchWorkload(
  "connect",
  "conn/s",
  "pgbench -C, 4 clients: a new connection for every SELECT 1",
  _connectSpec,
);

/**
 * The same with a fresh process for every connection on denogres
 * (`backend_session_limit = 0`: no backend recycling, PostgreSQL's model);
 * PostgreSQL forks one for every connection anyway.
 */
export const connectFreshWorkload: Workload = {
  ..._pgbenchWorkload(
    "connect_fresh",
    "conn/s",
    "pgbench -C as connect, denogres with backend_session_limit = 0 (a new process per connection)",
    _connectSpec,
  ),
  command: (t, ctx) =>
    (t.engine === "denogres" ? "with backend_session_limit = 0 in postgresql.auto.conf, reloaded: " : "") +
    shellQuote(pgbenchArgv(_connectSpec(ctx), t)),
  run: (t, ctx) => {
    const measure = () => runPgbench(_connectSpec(ctx), t);
    return t.engine === "denogres" ? t.withSettings({ backend_session_limit: "0" }, measure) : measure();
  },
};

/** The four SELECT 1 throughput workloads: simple/prepared x 1/8 clients. */
export const select1Workloads: Workload[] = (["simple", "prepared"] as const).flatMap((protocol) =>
  [1, 8].map((clients) =>
    _pgbenchWorkload(
      `select1_${protocol}_c${clients}`,
      "tps",
      `pgbench -M ${protocol}, ${clients} client${clients > 1 ? "s" : ""}, SELECT 1`,
      (ctx) => ({ scriptFile: ctx.select1Script, protocol, clients, durationS: ctx.durationS }),
    )
  )
);
