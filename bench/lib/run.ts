/**
 * run.ts — benchMain: makes the two clusters, runs every workload against
 * both in alternation for the configured rounds, and writes the report.
 *
 * PostgreSQL counterpart: none (pgbench runs one server at a time; this
 * runs two side by side so a noisy shared machine affects both equally).
 *
 * NOTES
 * Order: within a round, each workload runs on both clusters back to back;
 * the first column alternates from round to round (denogres first in odd
 * rounds), so drift over a run (thermal, neighbours) does not favour one.
 * A failing cell is recorded and the run goes on; the cluster is started
 * again if the failure left it down, and a cluster that cannot be brought
 * back is marked unusable for the remaining cells. Everything made is
 * registered in cleanup.ts before it exists, and undone in `finally` or on
 * SIGINT/SIGTERM.
 *
 * @module
 */

import { installSignalCleanup, interrupted, InterruptedError, onCleanup, runCleanup } from "./cleanup.ts";
import { Cluster, type ClusterSettings, type Column, REPO_ROOT, settingsBlock } from "./cluster.ts";
import { machineInfo } from "./machine.ts";
import { runCommand } from "./proc.ts";
import { type BenchReport, renderResultsMarkdown, renderTable, reportJson, type WorkloadResult } from "./report.ts";
import type { RunContext, Workload } from "./workload.ts";

/** Everything `bench/main.ts` parsed from the command line. */
export interface BenchOptions {
  readonly workloads: readonly Workload[];
  readonly mode: "full" | "quick" | "partial";
  readonly rounds: number;
  readonly durationS: number;
  readonly candidateEngine: "denogres" | "postgresql";
  readonly basePort: number;
  readonly outDir: string;
  /** Where to write RESULTS.md, undefined to not write it. */
  readonly resultsFile: string | undefined;
  readonly json: boolean;
  readonly settings: ClusterSettings;
  readonly context: Omit<RunContext, "select1Script" | "warn">;
  readonly harnessCommand: string;
}

/** The context of a run before a cell adds its own `warn` sink. */
type _RoundContext = Omit<RunContext, "warn">;

/** The port range the benchmark may use (team rule). */
export const BENCH_PORT_MIN = 26000;
/** Last port of the range. */
export const BENCH_PORT_MAX = 26999;

/**
 * Runs the benchmark.
 *
 * @param options parsed command line
 * @returns the report (already printed and written)
 */
export async function benchMain(options: BenchOptions): Promise<BenchReport> {
  const log = (line: string) => console.error(line);
  installSignalCleanup(log);
  const startedMs = performance.now();
  try {
    const runRoot = await Deno.makeTempDir({ prefix: "denogres-bench-" });
    onCleanup(`directory ${runRoot}`, () => Deno.remove(runRoot, { recursive: true }).catch(() => {}));
    await Deno.chmod(runRoot, 0o755);
    const scratchDir = `${runRoot}/scratch`;
    await Deno.mkdir(scratchDir);
    const select1Script = `${runRoot}/select1.sql`;
    await Deno.writeTextFile(select1Script, "SELECT 1;\n");
    const [candidatePort, referencePort] = _freePorts(options.basePort, 2);
    const clusters: Record<Column, Cluster> = {
      denogres: new Cluster("denogres", options.candidateEngine, { runRoot, scratchDir, port: candidatePort }),
      postgresql: new Cluster("postgresql", "postgresql", { runRoot, scratchDir, port: referencePort }),
    };
    for (const c of Object.values(clusters)) onCleanup(`${c.column} cluster`, () => c.destroy());
    log(`bench: run directory ${runRoot}; ports ${candidatePort} (denogres column), ${referencePort} (postgresql)`);
    if (options.candidateEngine === "postgresql") log("bench: STAND-IN MODE: PostgreSQL runs in the denogres column");

    const usable: Record<Column, string | undefined> = { denogres: undefined, postgresql: undefined };
    for (const c of Object.values(clusters)) usable[c.column] = await _setUp(c, options.settings, log);
    log("bench: clusters started");

    const ctx: _RoundContext = { ...options.context, select1Script };
    const results = await _runRounds(options, clusters, usable, ctx, log);
    const report: BenchReport = {
      date: new Date().toISOString(),
      mode: options.mode,
      candidateEngine: options.candidateEngine,
      rounds: options.rounds,
      durationS: options.durationS,
      machine: await machineInfo(),
      versions: {
        denogres: `${await clusters.denogres.version()}${await _treeRevision(scratchDir)}`,
        postgresql: await clusters.postgresql.version(),
        pgbench: (await runCommand(["pgbench", "--version"], { scratchDir, timeoutMs: 10_000 })).output.trim(),
      },
      settings: settingsBlock(options.settings),
      setupCommands: { denogres: clusters.denogres.commandLines(), postgresql: clusters.postgresql.commandLines() },
      harnessCommand: options.harnessCommand,
      workloads: results,
      elapsedS: (performance.now() - startedMs) / 1000,
    };
    await _writeOutputs(report, options, log);
    return report;
  } finally {
    await runCleanup(log);
  }
}

/** Initialises and starts a cluster; returns why it is unusable, or undefined. */
async function _setUp(c: Cluster, settings: ClusterSettings, log: (l: string) => void): Promise<string | undefined> {
  try {
    log(`bench: ${c.column}: initdb (${c.engine})`);
    await c.init(settings);
    log(`bench: ${c.column}: start on port ${c.port}`);
    await c.start();
    return undefined;
  } catch (e) {
    const why = `${e instanceof Error ? e.message : e}\n${await c.logTail(5)}`;
    log(`bench: ${c.column} cluster could not be set up: ${why}`);
    return `cluster could not be set up: ${why.split("\n")[0]}`;
  }
}

async function _runRounds(
  options: BenchOptions,
  clusters: Record<Column, Cluster>,
  usable: Record<Column, string | undefined>,
  ctx: _RoundContext,
  log: (l: string) => void,
): Promise<WorkloadResult[]> {
  const results = options.workloads.map((w): WorkloadResult => ({
    name: w.name,
    unit: w.unit,
    better: w.better,
    description: w.description,
    commands: { denogres: w.command(clusters.denogres, ctx), postgresql: w.command(clusters.postgresql, ctx) },
    samples: { denogres: [], postgresql: [] },
    errors: { denogres: [], postgresql: [] },
    warnings: { denogres: [], postgresql: [] },
  }));
  for (let round = 1; round <= options.rounds; round++) {
    const order: Column[] = round % 2 === 1 ? ["denogres", "postgresql"] : ["postgresql", "denogres"];
    for (const [i, w] of options.workloads.entries()) {
      for (const column of order) {
        if (interrupted()) throw new InterruptedError();
        const unusable = usable[column];
        if (unusable !== undefined && w.standalone !== true) {
          results[i].errors[column].push(unusable);
          continue;
        }
        const after = await _runCell(
          w,
          clusters[column],
          ctx,
          results[i],
          round,
          options.rounds,
          log,
          unusable === undefined,
        );
        usable[column] ??= after;
      }
    }
  }
  return results;
}

/**
 * Runs one workload once on one cluster; returns why the cluster became
 * unusable, if it did. `serverUp` is false for a standalone workload on a
 * cluster whose server never started (nothing to bring back then).
 */
async function _runCell(
  w: Workload,
  c: Cluster,
  ctx: _RoundContext,
  result: WorkloadResult,
  round: number,
  rounds: number,
  log: (l: string) => void,
  serverUp: boolean,
): Promise<string | undefined> {
  try {
    const value = await w.run(c, { ...ctx, warn: (message) => result.warnings[c.column].push(message) });
    result.samples[c.column].push(value);
    log(`bench: round ${round}/${rounds} ${w.name.padEnd(20)} ${c.column.padEnd(10)} ${value.toFixed(2)} ${w.unit}`);
    return undefined;
  } catch (e) {
    if (e instanceof InterruptedError || interrupted()) throw new InterruptedError();
    const why = e instanceof Error ? e.message : String(e);
    result.errors[c.column].push(why);
    log(`bench: round ${round}/${rounds} ${w.name} ${c.column} failed: ${why}\n  server log:\n${await c.logTail(8)}`);
    if (!serverUp) return undefined; // a standalone workload on a cluster that never started
    try {
      await c.ensureRunning();
      return undefined;
    } catch (e2) {
      const down = `cluster down after an earlier failure: ${e2 instanceof Error ? e2.message.split("\n")[0] : e2}`;
      log(`bench: ${c.column}: ${down}\n${await c.logTail(5)}`);
      return down;
    }
  }
}

async function _writeOutputs(report: BenchReport, options: BenchOptions, log: (l: string) => void): Promise<void> {
  console.log(options.json ? JSON.stringify(reportJson(report), null, 2) : renderTable(report));
  await Deno.mkdir(options.outDir, { recursive: true });
  const stamp = report.date.replaceAll(":", "-").replace(/\..*/, "");
  const jsonFile = `${options.outDir}/bench-${report.mode}-${stamp}.json`;
  await Deno.writeTextFile(jsonFile, JSON.stringify(reportJson(report), null, 2) + "\n");
  log(`bench: wrote ${jsonFile}`);
  if (options.resultsFile !== undefined) {
    await Deno.writeTextFile(options.resultsFile, renderResultsMarkdown(report));
    // Laid out by the project's formatter, so `deno fmt --check` (deno task check) stays clean.
    const fmt = await runCommand([Deno.execPath(), "fmt", "--config", `${REPO_ROOT}/deno.json`, options.resultsFile], {
      scratchDir: options.outDir,
      timeoutMs: 60_000,
    });
    if (fmt.code !== 0) log(`bench: warning: deno fmt ${options.resultsFile} failed: ${fmt.output.trim()}`);
    log(`bench: wrote ${options.resultsFile}`);
  }
}

/** Finds `count` free TCP ports on 127.0.0.1 from `base` within the bench range. */
function _freePorts(base: number, count: number): number[] {
  const ports: number[] = [];
  for (let port = base; port <= BENCH_PORT_MAX && ports.length < count; port++) {
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      ports.push(port);
    } catch {
      // in use: try the next one
    }
  }
  if (ports.length < count) throw new Error(`no ${count} free ports between ${base} and ${BENCH_PORT_MAX}`);
  return ports;
}

/** ", tree at commit abc1234 (+ uncommitted changes)" for the report, or "" outside git. */
async function _treeRevision(scratchDir: string): Promise<string> {
  const head = await runCommand(["git", "-C", REPO_ROOT, "rev-parse", "--short", "HEAD"], {
    scratchDir,
    timeoutMs: 10_000,
  });
  if (head.code !== 0) return "";
  const dirty = await runCommand(["git", "-C", REPO_ROOT, "status", "--porcelain"], { scratchDir, timeoutMs: 10_000 });
  return `, tree at commit ${head.output.trim()}${dirty.output.trim() !== "" ? " + uncommitted changes" : ""}`;
}
