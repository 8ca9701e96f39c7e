/**
 * top_bench.ts — `top`'s own cost: CPU use of the live dashboard at a 1 s
 * refresh with 100 client sessions (goal: under 5 % of one core), and the
 * cost of one snapshot read. Writes bench/results/top.md.
 *
 * PostgreSQL counterpart: none (pg_activity and pg_top have no such figure;
 * they cost a query per refresh on the server instead).
 *
 * NOTES
 * Run: `deno run -A bench/top_bench.ts [--sessions=100] [--seconds=60]`.
 * It initialises and starts a denogres cluster with the benchmark harness's
 * Cluster (bench/lib/cluster.ts) on port 22950 (top's range), opens the
 * sessions with node-postgres, runs the real `bin/top` in a 200x50 tmux
 * session, and reads top's CPU ticks from /proc before and after the
 * measured window; a warm-up first lets start-up and the first frames pass.
 * Then it times SnapshotReader.read() in this process. Everything it made
 * (sessions, tmux session, cluster, directories) is removed at the end, also
 * on failure. Not part of the test suite (a benchmark, not a check).
 *
 * @module
 */

import pg from "pg";
import { Cluster, REPO_ROOT } from "./lib/cluster.ts";
import { machineInfo } from "./lib/machine.ts";
import {
  procChildPids,
  procClockTicksPerS,
  procFieldKiB,
  readProcCmdline,
  readProcStat,
  readProcStatus,
} from "../lib/ffi/procfs.ts";
import { SnapshotReader } from "../lib/top/mod.ts";

/** Port of the benchmarked cluster (top's range, 22000-22999). */
const BENCH_TOP_PORT = 22950;
/** Warm-up before measuring: Deno start-up and the first frames. */
const WARMUP_MS = 5000;
/** Snapshot reads timed in-process. */
const READS_TIMED = 50;
/** The goal, in % of one core. */
const GOAL_PERCENT = 5;

function _arg(name: string, fallback: number): number {
  const a = Deno.args.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : Number(a.slice(name.length + 3));
}

async function _run(argv: string[]): Promise<string> {
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** Opens session `i`; a refused or reset connection is retried (and reported), a few times. */
async function _connect(cluster: Cluster, i: number): Promise<pg.Client> {
  for (let attempt = 1;; attempt++) {
    const c = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: cluster.database });
    c.on("error", () => {}); // a session dropped later shows in top's figures, not as a crash here
    try {
      await c.connect();
      await c.query("select 1");
      return c;
    } catch (e) {
      await c.end().catch(() => {});
      console.error(`session ${i}: attempt ${attempt}: ${(e as Error).message}`);
      if (attempt === _CONNECT_ATTEMPTS_MAX) {
        console.error(await cluster.logTail(20));
        throw e;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Attempts to open one session before giving up. */
const _CONNECT_ATTEMPTS_MAX = 5;

function _cpuTicks(pid: number): number {
  const stat = readProcStat(pid);
  if (stat === undefined) throw new Error(`process ${pid} is gone`);
  return stat.utimeTicks + stat.stimeTicks;
}

/** The deno process running cmd/top.ts under the tmux pane (the wrappers exec, the pane's shell may not). */
function _topPid(panePid: number): number {
  const queue = [panePid];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (readProcCmdline(pid)?.includes("cmd/top.ts")) return pid;
    queue.push(...procChildPids(pid));
  }
  throw new Error("top's process not found under the tmux pane");
}

async function main(): Promise<void> {
  const sessions = _arg("sessions", 100);
  const seconds = _arg("seconds", 60);
  const runRoot = await Deno.makeTempDir({ prefix: "denogres-topbench-" });
  await Deno.chmod(runRoot, 0o755);
  const scratchDir = `${runRoot}/scratch`;
  await Deno.mkdir(scratchDir);
  const cluster = new Cluster("denogres", "denogres", { runRoot, scratchDir, port: BENCH_TOP_PORT });
  const tmux = `topbench-${Deno.pid}`;
  const clients: pg.Client[] = [];
  try {
    await cluster.init({ sharedBuffers: "128MB", maxConnections: sessions + 10 });
    await cluster.start();
    for (let i = 0; i < sessions; i++) {
      const c = new pg.Client({
        host: cluster.host,
        port: cluster.port,
        user: cluster.user,
        database: cluster.database,
      });
      await c.connect();
      await c.query("select 1");
      clients.push(c);
    }
    await _run([
      "tmux",
      "new-session",
      "-d",
      "-s",
      tmux,
      "-x",
      "200",
      "-y",
      "50",
      `${REPO_ROOT}/bin/top -D ${cluster.dataDir} --interval 1`,
    ]);
    const panePid = Number((await _run(["tmux", "display", "-p", "-t", tmux, "#{pane_pid}"])).trim());
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const topPid = _topPid(panePid);
    const screen = await _run(["tmux", "capture-pane", "-p", "-t", tmux]);
    if (!screen.includes(`connections ${sessions}/`)) {
      throw new Error(`top does not show ${sessions} sessions:\n${screen}`);
    }
    const ticksPerS = procClockTicksPerS();
    const t0 = performance.now();
    const c0 = _cpuTicks(topPid);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpuPercent = ((_cpuTicks(topPid) - c0) / ticksPerS / ((performance.now() - t0) / 1000)) * 100;
    const rssKiB = procFieldKiB(readProcStatus(topPid) ?? new Map(), "VmRSS") ?? 0;

    const reader = new SnapshotReader(cluster.dataDir);
    reader.read();
    const r0 = performance.now();
    let processes = 0;
    for (let i = 0; i < READS_TIMED; i++) processes = reader.read().processes.length;
    const readMs = (performance.now() - r0) / READS_TIMED;
    reader.close();

    const machine = await machineInfo();
    const verdict = cpuPercent < GOAL_PERCENT ? "meets" : "misses";
    const md = `# top's own cost

Date: ${new Date().toISOString()}
Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}, kernel ${machine.kernel}, Deno ${machine.deno}

Command: \`deno run -A bench/top_bench.ts --sessions=${sessions} --seconds=${seconds}\`

A denogres cluster (shared_buffers 128MB, max_connections ${sessions + 10}) with ${sessions} idle client
sessions (node-postgres); the real \`bin/top -D … --interval 1\` in a 200x50 tmux session; top's CPU
time from /proc over ${seconds} s after a ${WARMUP_MS / 1000} s warm-up.

| figure | value |
|---|---|
| processes shown (postmaster + children) | ${processes} |
| top's CPU use at 1 s refresh | ${cpuPercent.toFixed(2)} % of one core (goal < ${GOAL_PERCENT} %: ${verdict}) |
| top's resident memory | ${(rssKiB / 1024).toFixed(1)} MiB |
| one snapshot read (SnapshotReader.read(), in-process, mean of ${READS_TIMED}) | ${readMs.toFixed(2)} ms |
`;
    await Deno.writeTextFile(`${REPO_ROOT}/bench/results/top.md`, md);
    console.log(md);
  } finally {
    await _run(["tmux", "kill-session", "-t", tmux]).catch(() => {});
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await cluster.destroy();
    await Deno.remove(runRoot, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
