/**
 * storage_bench.ts — WAL insert throughput (1 and 2 processes), commit
 * latency with fsync (1 and 4 committers: group commit), and WAL replay
 * speed; written to bench/results/storage.md.
 *
 * PostgreSQL counterpart: none directly (PostgreSQL measures these through
 * pgbench and pg_test_fsync); `pg_test_fsync`'s fdatasync line is recorded
 * beside the commit latency as the machine's floor when it is installed.
 *
 * NOTES
 * Real processes on a real segment and data directory (the mini cluster of
 * lib/storage/testdata plays the postmaster's storage part; the real
 * startup process replays). Insert throughput: each worker inserts records
 * of 100 bytes of payload (XLOG_NOOP) as fast as it can, timing its own loop
 * (process start-up excluded); with 2 processes the total is all records over
 * the longer of the two loops. Commit latency: each committer runs write
 * transactions (xid, one record, commit with synchronous_commit = on, fsync
 * on) and times each commitTransaction; the fsync count shows how many
 * commits one fsync served. Replay: crash workers change pages under WAL
 * with full-page writes, the tree is killed, and the startup process's own
 * log gives the WAL span replayed and the elapsed time. Median of `--rounds`
 * rounds. Requires `-A`.
 *
 * Usage: `deno run -A bench/storage_bench.ts [--rounds N] [--out FILE]`
 *
 * @module
 */

import { machineInfo } from "./lib/machine.ts";
import { median } from "./lib/stats.ts";
import { attachShmemSegment, pgstatSnapshot } from "../lib/shmem/mod.ts";
import { MiniCluster } from "../lib/storage/testdata/mini_cluster.ts";
import { makeDataDir, testSettings } from "../lib/storage/testdata/storage_fixture.ts";
import { parseLsn } from "../lib/wal/lsn.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const INSERT_WORKER = `${ROOT}/lib/wal/testdata/insert_worker.ts`;
const COMMIT_WORKER = `${ROOT}/lib/xact/testdata/commit_worker.ts`;
const CRASH_WORKER = `${ROOT}/lib/storage/testdata/crash_worker.ts`;
/** Records per insert worker per round. */
const INSERT_RECORDS = 200_000;
/** Payload bytes of each inserted record. */
const INSERT_PAYLOAD = 100;
/** Transactions per committer per round. */
const COMMITS = 500;
/** Seconds of page-changing workload that produce the WAL to replay. */
const REPLAY_WORKLOAD_MS = 6000;
/** Most rounds accepted. */
const ROUNDS_MAX = 10;

interface Args {
  rounds: number;
  out: string;
}

function _args(): Args {
  const a: Args = { rounds: 3, out: `${ROOT}/bench/results/storage.md` };
  for (let i = 0; i < Deno.args.length; i++) {
    if (Deno.args[i] === "--rounds") a.rounds = Math.min(ROUNDS_MAX, Math.max(1, Number(Deno.args[++i])));
    else if (Deno.args[i] === "--out") a.out = Deno.args[++i];
    else throw new Error(`Unknown argument "${Deno.args[i]}"`);
  }
  return a;
}

/** A fresh data directory and a mini cluster past its startup process. */
async function _cluster(extraConf: string, settingsOverrides: Record<string, number>): Promise<MiniCluster> {
  const settings = testSettings({ shared_buffers: 4096, ...settingsOverrides });
  const dir = makeDataDir(settings, "denogres_bench_storage_");
  Deno.writeTextFileSync(`${dir}/postgresql.conf`, `shared_buffers = ${settings.int("shared_buffers")}\n${extraConf}`, {
    append: true,
  });
  const c = new MiniCluster(dir, settings);
  c.createSegment();
  const st = await c.runStartup();
  if (st.code !== 0) throw new Error(`startup failed:\n${st.log.join("\n")}`);
  return c;
}

async function _destroy(c: MiniCluster): Promise<void> {
  await c.killAll();
  c.dropSegment();
  Deno.removeSync(c.dataDir, { recursive: true });
}

async function _insertRound(processes: number): Promise<{ recordsPerSec: number; mbPerSec: number }> {
  // 16 MB segments and 16 MB of WAL buffers, as a default PostgreSQL 15 with 128 MB shared_buffers.
  const c = await _cluster("wal_buffers = 2048\nmax_wal_size = 1GB\n", {
    wal_segment_size: 16 << 20,
    wal_buffers: 2048,
  });
  try {
    const ws = Array.from(
      { length: processes },
      (_, i) => c.startScript(`insert${i}`, INSERT_WORKER, [String(i), String(INSERT_RECORDS), String(INSERT_PAYLOAD)]),
    );
    const ms: number[] = [];
    for (const w of ws) {
      if ((await w.status).code !== 0) throw new Error("insert worker failed");
      await w.drained;
      ms.push(Number(/^done \d+ ([\d.]+)$/m.exec(w.lines.join("\n"))![1]));
    }
    const seg = attachShmemSegment(c.segment!.name, { readOnly: true });
    const bytes = pgstatSnapshot(seg).wal["client backend"].bytes;
    seg.detach();
    const sec = Math.max(...ms) / 1000;
    return { recordsPerSec: (processes * INSERT_RECORDS) / sec, mbPerSec: bytes / sec / 1e6 };
  } finally {
    await _destroy(c);
  }
}

async function _commitRound(
  processes: number,
): Promise<{ p50Us: number; p99Us: number; tps: number; commitsPerFsync: number }> {
  const c = await _cluster("", {});
  try {
    const ws = Array.from(
      { length: processes },
      (_, i) => c.startScript(`commit${i}`, COMMIT_WORKER, [String(COMMITS)]),
    );
    const lat: number[] = [];
    let ms = 0;
    for (const w of ws) {
      if ((await w.status).code !== 0) throw new Error("commit worker failed");
      await w.drained;
      const r = JSON.parse(w.lines.find((l) => l.startsWith("{"))!) as { ms: number; latenciesUs: number[] };
      lat.push(...r.latenciesUs);
      ms = Math.max(ms, r.ms);
    }
    const seg = attachShmemSegment(c.segment!.name, { readOnly: true });
    const syncs = pgstatSnapshot(seg).wal["client backend"].syncs;
    seg.detach();
    lat.sort((a, b) => a - b);
    return {
      p50Us: lat[Math.floor(lat.length * 0.5)],
      p99Us: lat[Math.floor(lat.length * 0.99)],
      tps: (processes * COMMITS) / (ms / 1000),
      commitsPerFsync: (processes * COMMITS) / Math.max(1, syncs),
    };
  } finally {
    await _destroy(c);
  }
}

async function _replayRound(): Promise<{ mb: number; sec: number; mbPerSec: number; records: string }> {
  const c = await _cluster("max_wal_size = 1GB\nfsync = off\n", { shared_buffers: 1024 });
  try {
    const ws = [0, 1].map((i) =>
      c.startScript(`crash${i}`, CRASH_WORKER, [String(i), String(9000 + i), "10", "400", "off"])
    );
    await new Promise((r) => setTimeout(r, REPLAY_WORKLOAD_MS));
    if (ws.some((w) => w.lines.length === 0)) throw new Error("workload did not run");
    await c.killAll();
    c.createSegment();
    const st = await c.runStartup();
    if (st.code !== 0) throw new Error(`startup failed:\n${st.log.join("\n")}`);
    const log = st.log.join("\n");
    const start = parseLsn(/redo starts at (\S+)/.exec(log)![1]);
    const done = /redo done at (\S+) system usage: .*elapsed: ([\d.]+) s/.exec(log)!;
    const mb = Number(parseLsn(done[1]) - start) / 1e6;
    const sec = Number(done[2]);
    return { mb, sec, mbPerSec: mb / sec, records: `${ws.reduce((n, w) => n + w.lines.length, 0)} transactions` };
  } finally {
    await _destroy(c);
  }
}

function _pgTestFsync(): string {
  try {
    const r = new Deno.Command("/usr/lib/postgresql/15/bin/pg_test_fsync", {
      args: ["-s", "2", "-f", "/tmp/denogres_bench_fsync"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const line = /fdatasync\s+([\d,.]+) ops\/sec\s+([\d,.]+) usecs\/op/.exec(new TextDecoder().decode(r.stdout));
    return line ? `${line[2]} µs per fdatasync (pg_test_fsync, 8 kB writes)` : "not measured";
  } catch {
    return "pg_test_fsync not installed";
  }
}

async function main(): Promise<void> {
  const args = _args();
  const when = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const m = await machineInfo();
  const fmt = (n: number, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  const rows: string[] = [];
  const insert: Record<number, { recordsPerSec: number; mbPerSec: number }[]> = { 1: [], 2: [] };
  const commit: Record<number, { p50Us: number; p99Us: number; tps: number; commitsPerFsync: number }[]> = {
    1: [],
    4: [],
  };
  const replay: { mb: number; sec: number; mbPerSec: number; records: string }[] = [];
  for (let r = 0; r < args.rounds; r++) {
    for (const p of [1, 2]) insert[p].push(await _insertRound(p));
    for (const p of [1, 4]) commit[p].push(await _commitRound(p));
    replay.push(await _replayRound());
    console.error(`round ${r + 1}/${args.rounds} done`);
  }
  const fsyncFloor = _pgTestFsync();
  rows.push(
    "# storage: WAL insertion, commit latency, replay",
    "",
    `Measured ${when} with \`deno run -A bench/storage_bench.ts --rounds ${args.rounds}\` on ${m.cores} cores ` +
      `(${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}, Deno ${m.deno}. Medians of ${args.rounds} rounds. ` +
      "Real processes on a real shared-memory segment and data directory; compare runs on the same machine only.",
    "",
    "## WAL insert throughput",
    "",
    `Each process inserts ${fmt(INSERT_RECORDS)} records of ${INSERT_PAYLOAD} bytes of payload (XLOG_NOOP; ` +
      `${INSERT_PAYLOAD + 26} bytes with headers, 128 with alignment) into 16 MB of WAL buffers and 16 MB segments, ` +
      "flushing once at the end; time is the insert loop (process start excluded). Bytes are WAL bytes counted in " +
      "pg_stat_wal terms (records, page headers excluded).",
    "",
    "| processes | records/s | MB/s of WAL |",
    "| --------- | --------- | ----------- |",
    ...[1, 2].map((p) =>
      `| ${p} | ${fmt(median(insert[p].map((x) => x.recordsPerSec)))} | ${
        fmt(median(insert[p].map((x) => x.mbPerSec)), 1)
      } |`
    ),
    "",
    "## Commit latency with fsync",
    "",
    `Each committer runs ${COMMITS} write transactions (new xid, one 64-byte record, commit with ` +
      "`synchronous_commit = on`, `fsync = on`); latency is commitTransaction's (commit record, WAL flush, pg_xact). " +
      "Commits per fsync above 1 is group commit at work. For reference, this machine's fdatasync: " + `${fsyncFloor}.`,
    "",
    "| committers | p50 µs | p99 µs | commits/s | commits per fsync |",
    "| ---------- | ------ | ------ | --------- | ----------------- |",
    ...[1, 4].map((p) =>
      `| ${p} | ${fmt(median(commit[p].map((x) => x.p50Us)))} | ${fmt(median(commit[p].map((x) => x.p99Us)))} | ` +
      `${fmt(median(commit[p].map((x) => x.tps)))} | ${fmt(median(commit[p].map((x) => x.commitsPerFsync)), 1)} |`
    ),
    "",
    "## Replay speed",
    "",
    `Two crash workers change pages for ${REPLAY_WORKLOAD_MS / 1000} s (generic WAL page deltas, full-page images ` +
      "after each checkpoint's redo point, commits and aborts; `fsync = off` to make WAL fast), the process tree is " +
      "killed with SIGKILL, and the real startup process replays: WAL span from `redo starts at` to `redo done at` " +
      "over the elapsed time it logs.",
    "",
    "| WAL replayed (MB) | seconds | MB/s |",
    "| ----------------- | ------- | ---- |",
    `| ${fmt(median(replay.map((x) => x.mb)), 1)} | ${fmt(median(replay.map((x) => x.sec)), 2)} | ` +
      `${fmt(median(replay.map((x) => x.mbPerSec)), 1)} |`,
    "",
  );
  Deno.writeTextFileSync(args.out, rows.join("\n"));
  console.log(rows.join("\n"));
}

if (import.meta.main) await main();
