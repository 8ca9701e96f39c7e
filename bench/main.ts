/**
 * main.ts — `deno task bench`: denogres beside PostgreSQL 15 on the same
 * machine, in one run; medians and ratios. See bench/README.md.
 *
 * PostgreSQL counterpart: none (pgbench measures one server; this drives
 * two and compares them).
 *
 * NOTES
 * Thin: parses the command line, then calls benchMain (bench/lib/run.ts).
 * Runs as root (PostgreSQL then runs as `postgres`) or as any user that may
 * run both servers. Requires `-A` (run, read, write, net, env, sys).
 *
 * @module
 */

import { Option } from "@commander-js/extra-typings";
import { newProgram, runProgram, UsageError } from "../lib/cli/mod.ts";
import { BENCH_PORT_MAX, BENCH_PORT_MIN, benchMain } from "./lib/run.ts";
import { WORKLOADS } from "./workloads/mod.ts";

const BENCH_DIR = new URL(".", import.meta.url).pathname.replace(/\/$/, "");

function _int(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`invalid value "${value}" for option ${name}`);
    return n;
  };
}

const program = newProgram("bench", "runs denogres beside PostgreSQL 15 and reports medians and ratios")
  .option("--quick", "one short round (smoke test): pgbench -T 2, few samples, RESULTS.md untouched")
  .option("--only <names>", "comma-separated workloads to run (see --list)")
  .option("--rounds <n>", "rounds per workload (at least 3 for a full run)", _int("--rounds", 1, 1000), 3)
  .option("--duration <seconds>", "seconds per pgbench run", _int("--duration", 1, 3600), 10)
  .option("--sessions <n>", "idle sessions held by the memory workloads", _int("--sessions", 1, 90), 20)
  .addOption(
    new Option("--candidate <engine>", "what runs in the denogres column (postgresql = stand-in, tests the harness)")
      .choices(["denogres", "postgresql"] as const)
      .default("denogres" as const),
  )
  .option(
    "--port <n>",
    "first port to try (two free ports are taken)",
    _int("--port", BENCH_PORT_MIN, BENCH_PORT_MAX - 1),
    26000,
  )
  .option("--shared-buffers <size>", "shared_buffers of both clusters", "128MB")
  .option("--max-connections <n>", "max_connections of both clusters", _int("--max-connections", 25, 1000), 100)
  .option("--out-dir <dir>", "directory for the JSON result", `${BENCH_DIR}/out`)
  .option("--results <file>", "Markdown report written by full runs", `${BENCH_DIR}/RESULTS.md`)
  .option("--no-results", "do not write the Markdown report")
  .option("--json", "print the report as JSON instead of a table")
  .option("--list", "list the workloads and exit")
  .action(async (opts) => {
    if (opts.list === true) {
      for (const w of WORKLOADS) {
        console.log(`${w.name.padEnd(20)} ${w.unit.padEnd(7)} ${w.better.padEnd(7)} ${w.description}`);
      }
      return;
    }
    const only = opts.only?.split(",").map((s) => s.trim()).filter((s) => s !== "");
    for (const name of only ?? []) {
      if (!WORKLOADS.some((w) => w.name === name)) {
        throw new UsageError(`unknown workload "${name}"`, `Try "bench --list" for the workloads.`);
      }
    }
    const quick = opts.quick === true;
    const mode = quick ? "quick" : only !== undefined ? "partial" : "full";
    const realFullRun = mode === "full" && opts.candidate === "denogres";
    const resultsFile = realFullRun && opts.results !== false ? opts.results : undefined;
    const report = await benchMain({
      workloads: WORKLOADS.filter((w) => only === undefined || only.includes(w.name)),
      mode,
      rounds: quick ? 1 : opts.rounds,
      durationS: quick ? 2 : opts.duration,
      candidateEngine: opts.candidate,
      basePort: opts.port,
      outDir: opts.outDir,
      resultsFile,
      json: opts.json === true,
      settings: { sharedBuffers: opts.sharedBuffers, maxConnections: opts.maxConnections },
      context: {
        durationS: quick ? 2 : opts.duration,
        idleSessions: opts.sessions,
        settleMs: quick ? 200 : 1000,
        connectSamples: quick ? 5 : 50,
        roundTrips: quick ? 200 : 2000,
      },
      harnessCommand: ["deno task bench", ...Deno.args].join(" "),
    });
    const failed = report.workloads.some((w) => w.errors.denogres.length + w.errors.postgresql.length > 0);
    if (failed) Deno.exitCode = 1;
  });

if (import.meta.main) await runProgram(program, Deno.args);
