/**
 * shmem_bench.ts — cost of the shared-memory primitives: spinlock and LWLock
 * acquire/release pairs uncontended and contended by 2 and 4 processes,
 * and futex wake-up latency between two processes; written to
 * bench/results/shmem.md.
 *
 * PostgreSQL counterpart: none (PostgreSQL has no such benchmark; its
 * s_lock_test and LWLock contention are measured with pgbench).
 *
 * NOTES
 * Every measurement uses real processes (lib/shmem/testdata/lock_worker.ts)
 * on a real segment, which the bench creates and always unlinks. Lock cost
 * is wall time from the common start signal until the last worker finishes,
 * divided by all acquisitions (so with N processes it is the cost per
 * acquisition as the whole machine sees it), median of `--rounds` rounds.
 * Wake-up latency is half a round trip: this process wakes a worker, which
 * wakes this process back; blocking futex waits (as an LWLock waiter) and
 * latches (async futex on a worker thread, as `waitLatch`). Numbers depend
 * on the machine and its neighbours: compare runs on the same machine only.
 * Requires `-A` (run, ffi, read, write, sys).
 *
 * Usage: `deno run -A bench/shmem_bench.ts [--rounds N] [--out FILE]`
 *
 * @module
 */

import { machineInfo } from "./lib/machine.ts";
import { median } from "./lib/stats.ts";
import {
  futexWait,
  futexWake,
  procArrayClaimSlot,
  procArrayReleaseSlot,
  setLatch,
  type ShmemSegment,
  unlinkShmemSegment,
  waitLatch,
} from "../lib/shmem/mod.ts";
import { Scratch } from "../lib/shmem/testdata/scratch.ts";
import {
  createTestSegment,
  killAll,
  spawnWorker,
  startWorkers,
  type WorkerProcess,
} from "../lib/shmem/testdata/worker_process.ts";

/** Acquisitions per process per round. */
const LOCK_ITERATIONS = 2_000_000;
/** Round trips per latency measurement. */
const PING_PONGS = 5_000;
/** Most rounds accepted. */
const ROUNDS_MAX = 20;
/** Longest a round may take. */
const ROUND_TIMEOUT_MS = 300_000;

interface LockRow {
  readonly primitive: "spinlock" | "LWLock (exclusive)";
  readonly processes: number;
  readonly nsPerAcquire: number[];
}

interface LatencyRow {
  readonly how: string;
  readonly medianUs: number;
  readonly p99Us: number;
}

async function _lockRound(mode: string, processes: number): Promise<number> {
  const seg = createTestSegment();
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 0; i < processes; i++) workers.push(spawnWorker([seg.name, mode, LOCK_ITERATIONS]));
    await Promise.all(workers.map((w) => w.line(/^ready$/)));
    const start = performance.now();
    startWorkers(seg);
    await Promise.all(workers.map((w) => w.line(/"done"/, ROUND_TIMEOUT_MS)));
    const elapsedMs = performance.now() - start;
    const counter = seg.i32[(seg.region("test scratch").offset + Scratch.counter) >> 2];
    if (counter !== processes * LOCK_ITERATIONS) throw new Error(`${mode}: lost updates (${counter})`);
    return (elapsedMs * 1e6) / (processes * LOCK_ITERATIONS);
  } finally {
    await killAll(workers);
    unlinkShmemSegment(seg.name);
    seg.detach();
  }
}

function _percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function _futexLatency(seg: ShmemSegment): Promise<number[]> {
  const worker = spawnWorker([seg.name, "pong-futex", PING_PONGS]);
  const base = seg.region("test scratch").offset;
  const ping = base + Scratch.ping;
  const pong = base + Scratch.pong;
  try {
    await worker.line(/^ready$/);
    const samples: number[] = [];
    for (let i = 1; i <= PING_PONGS; i++) {
      const t0 = performance.now();
      Atomics.store(seg.i32, ping >> 2, i);
      futexWake(seg, ping);
      while (Atomics.load(seg.i32, pong >> 2) < i) futexWait(seg, pong, i - 1, 1000);
      samples.push(((performance.now() - t0) * 1000) / 2);
    }
    await worker.line(/"done"/, ROUND_TIMEOUT_MS);
    return samples;
  } finally {
    await killAll([worker]);
  }
}

async function _latchLatency(seg: ShmemSegment): Promise<number[]> {
  const { procNo } = procArrayClaimSlot(seg, "client backend");
  const worker = spawnWorker([seg.name, "pong-latch", PING_PONGS, procNo]);
  try {
    const peer = Number((await worker.line(/^ready/)).split(" ")[1]);
    const samples: number[] = [];
    for (let i = 0; i < PING_PONGS; i++) {
      const t0 = performance.now();
      setLatch(seg, peer);
      await waitLatch(seg, Infinity);
      samples.push(((performance.now() - t0) * 1000) / 2);
    }
    await worker.line(/"done"/, ROUND_TIMEOUT_MS);
    return samples;
  } finally {
    await killAll([worker]);
    procArrayReleaseSlot(seg);
  }
}

async function _latencies(): Promise<LatencyRow[]> {
  const seg = createTestSegment();
  try {
    const rows: LatencyRow[] = [];
    for (
      const [how, run] of [
        ["blocking futex (FUTEX_WAIT on the main thread, as an LWLock waiter)", _futexLatency],
        ["latch (async futex on a worker thread, as waitLatch)", _latchLatency],
      ] as const
    ) {
      const sorted = (await run(seg)).sort((a, b) => a - b);
      rows.push({ how, medianUs: median(sorted), p99Us: _percentile(sorted, 0.99) });
    }
    return rows;
  } finally {
    unlinkShmemSegment(seg.name);
    seg.detach();
  }
}

function _render(rounds: number, locks: LockRow[], latencies: LatencyRow[], machine: Record<string, string>): string {
  const fmt = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toString());
  const lockLines = locks.map((r) => {
    const sorted = [...r.nsPerAcquire].sort((a, b) => a - b);
    return `| ${r.primitive} | ${r.processes} | ${fmt(median(sorted))} | ${fmt(sorted[0])}–${fmt(sorted.at(-1)!)} |`;
  });
  const latencyLines = latencies.map((r) => `| ${r.how} | ${fmt(r.medianUs)} | ${fmt(r.p99Us)} |`);
  return `# shmem: lock and wake-up costs

Measured ${
    new Date().toISOString().replace(/\.\d+Z$/, "Z")
  } with \`deno run -A bench/shmem_bench.ts --rounds ${rounds}\`.

## Lock acquire + release

Each of N processes takes the lock ${LOCK_ITERATIONS.toLocaleString("en")} times around an unprotected counter increment
(the total is checked). Cost = wall time from the common start until the last process finishes, divided by all
acquisitions: with N > 1 it is what one acquisition costs the machine under contention (the machine has
${machine.cores} cores, so 4 processes also compete for CPUs). Median of ${rounds} rounds (min–max). This is
throughput, not hand-off latency: a releaser may take the lock again before a woken waiter runs (PostgreSQL's LWLocks
allow that too), and a hand-off to a sleeping waiter costs about one futex wake-up (next table).

| primitive | processes | ns per acquire+release (median) | range |
| --- | --- | --- | --- |
${lockLines.join("\n")}

## Futex wake-up latency

Half the round trip of ${PING_PONGS.toLocaleString("en")} ping-pongs between this process and a worker, both
sleeping between turns (so every turn is a real sleep and wake-up across processes).

| wait | median µs | p99 µs |
| --- | --- | --- |
${latencyLines.join("\n")}

Machine:

${Object.entries(machine).map(([k, v]) => `- ${k}: ${v}`).join("\n")}
`;
}

function _args(): { rounds: number; out: string } {
  let rounds = 3;
  let out = new URL("./results/shmem.md", import.meta.url).pathname;
  for (let i = 0; i < Deno.args.length; i++) {
    if (Deno.args[i] === "--rounds") rounds = Number(Deno.args[++i]);
    else if (Deno.args[i] === "--out") out = Deno.args[++i];
    else throw new TypeError(`Unknown argument "${Deno.args[i]}" (usage: --rounds N --out FILE)`);
  }
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > ROUNDS_MAX) {
    throw new RangeError(`--rounds must be 1..${ROUNDS_MAX}`);
  }
  return { rounds, out };
}

/** Runs the benchmark and writes the report. */
export async function shmemBenchMain(): Promise<void> {
  const { rounds, out } = _args();
  const locks: LockRow[] = [];
  for (const [primitive, mode] of [["spinlock", "spinlock"], ["LWLock (exclusive)", "lwlock-exclusive"]] as const) {
    for (const processes of [1, 2, 4]) {
      const row: LockRow = { primitive, processes, nsPerAcquire: [] };
      for (let r = 0; r < rounds; r++) row.nsPerAcquire.push(await _lockRound(mode, processes));
      console.log(`${primitive} x${processes}: ${row.nsPerAcquire.map((n) => n.toFixed(1)).join(", ")} ns`);
      locks.push(row);
    }
  }
  const latencies = await _latencies();
  for (const l of latencies) console.log(`${l.how}: median ${l.medianUs.toFixed(1)} µs, p99 ${l.p99Us.toFixed(1)} µs`);
  const m = await machineInfo();
  const machine = {
    cpu: `${m.cpuModel} (${m.cores} cores)`,
    cores: String(m.cores),
    memory: `${m.memoryGiB} GiB`,
    kernel: m.kernel,
    os: m.os,
    deno: m.deno,
  };
  await Deno.writeTextFile(out, _render(rounds, locks, latencies, machine));
  console.log(`wrote ${out}`);
}

if (import.meta.main) await shmemBenchMain();
