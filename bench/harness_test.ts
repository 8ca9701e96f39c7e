/**
 * harness_test.ts — smoke test of the benchmark harness (part of `npm test`):
 * runs `bench/main.ts --quick` for real, as a user would, and checks that
 * every workload produced a number in both columns, that the ratios are
 * computed, and that nothing the run made is left behind — also when the
 * run is interrupted.
 *
 * NOTES
 * The stand-in test runs PostgreSQL in both columns (`--candidate=postgresql`):
 * it tests the harness itself on any machine with PostgreSQL 15. The
 * denogres test runs when denogres's commands (bin/initdb, bin/ctl,
 * bin/server) exist, and compares the two for real; set
 * DENOGRES_BENCH_CANDIDATE=postgresql to skip it. There the cluster's life
 * and `SELECT 1` must be measured; any other cell may be a reported denogres
 * error (printed as a warning), but never silently missing. No timing is asserted:
 * speed is what the benchmark reports, not what a test checks.
 */

import { describe, expect, test } from "vitest";
import { listProcPids, readProcCmdline } from "../lib/ffi/procfs.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DENO = `${REPO}/node_modules/.bin/deno`;
const DENOGRES_PRESENT = ["initdb", "ctl", "server"].every((c) => {
  try {
    return Deno.statSync(`${REPO}/bin/${c}`).isFile;
  } catch {
    return false;
  }
});
const RUN_DENOGRES = DENOGRES_PRESENT && Deno.env.get("DENOGRES_BENCH_CANDIDATE") !== "postgresql";

/**
 * Workloads denogres must measure in the smoke test: the cluster's life and
 * the basic query path. Others may fail on denogres (the harness reports it
 * as an error cell, which is the harness working); they must not be silent.
 */
const _DENOGRES_MUST_MEASURE = [
  "initdb",
  "initdb_nosync",
  "start",
  "stop",
  "connect",
  "connect_fresh",
  "select1_simple_c1",
  "mem_idle",
];

/** Generous: a quick run is about 30 s with PostgreSQL in both columns on 2 cores. */
const QUICK_RUN_TIMEOUT_MS = 600_000;

interface _JsonReport {
  candidateEngine: string;
  workloads: {
    name: string;
    samples: Record<string, number[]>;
    errors: Record<string, string[]>;
    ratio: number | null;
  }[];
}

function _bench(args: string[]): Deno.ChildProcess {
  return new Deno.Command(DENO, {
    args: ["run", "-A", "--config", `${REPO}/deno.json`, `${REPO}/bench/main.ts`, ...args],
    cwd: REPO,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

function _runDir(stderr: string): string {
  const m = /run directory (\S+);/.exec(stderr);
  expect(m, stderr).not.toBeNull();
  return m![1];
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions `needle` (the run directory). */
function _processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of listProcPids()) {
    const cmd = readProcCmdline(pid); // undefined: exited
    if (cmd?.includes(needle)) found.push(`${pid}: ${cmd}`);
  }
  return found;
}

async function _quickRun(candidate: "denogres" | "postgresql", port: number): Promise<void> {
  const outDir = await Deno.makeTempDir({ prefix: "bench-test-out-" });
  try {
    const child = _bench([
      "--quick",
      "--json",
      "--no-results",
      `--candidate=${candidate}`,
      `--port=${port}`,
      `--out-dir=${outDir}`,
    ]);
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    // Exit 1 means some cell failed; only the stand-in must have none.
    expect(candidate === "postgresql" ? [0] : [0, 1], stderr).toContain(out.code);
    const report = JSON.parse(stdout) as _JsonReport;
    expect(report.candidateEngine).toBe(candidate);
    expect(report.workloads.map((w) => w.name)).toEqual(expect.arrayContaining([
      "initdb",
      "initdb_nosync",
      "start",
      "stop",
      "connect",
      "connect_fresh",
      "select1_simple_c1",
      "select1_simple_c8",
      "select1_prepared_c1",
      "select1_prepared_c8",
      "mem_idle",
      "mem_sessions",
      "mem_per_backend",
    ]));
    for (const w of report.workloads) {
      for (const column of ["denogres", "postgresql"]) {
        const what = `${w.name} ${column}: ${w.errors[column].join("; ")}`;
        if (column === "denogres" && candidate === "denogres" && !_DENOGRES_MUST_MEASURE.includes(w.name)) {
          // A denogres failure here is reported by the harness (and shown below), not a harness defect.
          expect(w.samples[column].length + w.errors[column].length, what).toBeGreaterThan(0);
          if (w.errors[column].length > 0) console.warn(`bench smoke: denogres ${w.name}: ${w.errors[column][0]}`);
          continue;
        }
        expect(w.errors[column], what).toEqual([]);
        expect(w.samples[column].length, what).toBe(1);
        expect(w.samples[column][0], what).toBeGreaterThanOrEqual(0);
      }
      if (w.samples.denogres.length > 0) expect(w.ratio, w.name).toBeGreaterThanOrEqual(0);
    }
    const jsonFiles = [...Deno.readDirSync(outDir)].filter((e) => e.name.endsWith(".json"));
    expect(jsonFiles.length).toBe(1);
    const runDir = _runDir(stderr);
    expect(await _exists(runDir)).toBe(false);
    expect(_processesMentioning(runDir)).toEqual([]);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
}

describe("bench/main.ts --quick", () => {
  test(
    "stand-in (PostgreSQL in both columns) measures every workload on both and leaves nothing behind",
    () => _quickRun("postgresql", 26200),
    QUICK_RUN_TIMEOUT_MS,
  );

  test.runIf(RUN_DENOGRES)(
    "denogres beside PostgreSQL measures every workload on both and leaves nothing behind",
    () => _quickRun("denogres", 26300),
    QUICK_RUN_TIMEOUT_MS,
  );

  test("SIGTERM during a run stops both clusters and removes the run directory", async () => {
    const outDir = await Deno.makeTempDir({ prefix: "bench-test-out-" });
    try {
      const child = _bench([
        "--candidate=postgresql",
        "--only=select1_simple_c1",
        "--duration=60",
        "--rounds=1",
        "--no-results",
        "--port=26400",
        `--out-dir=${outDir}`,
      ]);
      let stderr = "";
      const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      while (!stderr.includes("clusters started")) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += value;
      }
      expect(stderr).toContain("clusters started");
      const runDir = _runDir(stderr);
      child.kill("SIGTERM");
      const status = await child.status;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += value;
      }
      await child.stdout.cancel();
      expect(status.code, stderr).toBe(143);
      expect(await _exists(runDir)).toBe(false);
      expect(_processesMentioning(runDir)).toEqual([]);
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  }, QUICK_RUN_TIMEOUT_MS);
});
