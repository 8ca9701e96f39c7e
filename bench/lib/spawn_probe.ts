/**
 * spawn_probe.ts — what one denogres child process costs before it does any
 * work: wall time, CPU and memory of a Deno process at three stages of a
 * backend's start-up. Explains `conn_cpu`, `connect` and `mem_per_backend`
 * (bench/README.md, "Performance").
 *
 * PostgreSQL counterpart: none (PostgreSQL forks a process that already has
 * everything loaded; a fork costs well under a millisecond).
 *
 * NOTES
 * Stages, each a Deno process started with the children's own flags
 * (`deno run --quiet --no-prompt -A --config deno.json`):
 *   empty    — an empty module: the runtime alone;
 *   plumbing — imports lib/postmaster/child_main.ts (config, log, FFI,
 *              shared memory, hand-off): what every child loads;
 *   backend  — also imports lib/tcop/backend.ts and awaits the SQL parser's
 *              WASM initialisation: what a spare backend has done before it
 *              reports ready.
 * Wall and CPU (user + system) come from `/usr/bin/time`; memory is the Pss
 * of N idle copies held alive together, divided by N (so the shared runtime
 * pages are split as they are in a cluster). Last, the SQL parser alone
 * (libpg-query, WASM) is timed on `SELECT 1`. Run:
 * `deno run -A bench/lib/spawn_probe.ts [runs]`. Not part of the benchmark
 * run itself: it measures denogres's building blocks, not a cluster.
 *
 * @module
 */

import { median } from "./stats.ts";
import { processTree, treePssKiB } from "./process_tree.ts";
import { sleep } from "./proc.ts";
import { REPO_ROOT } from "./cluster.ts";

const _STAGES: Record<string, string> = {
  empty: "",
  plumbing: `await import("${REPO_ROOT}/lib/postmaster/child_main.ts");\n`,
  backend: `await import("${REPO_ROOT}/lib/postmaster/child_main.ts");\n` +
    `await import("${REPO_ROOT}/lib/tcop/backend.ts");\n` +
    `await (await import("${REPO_ROOT}/lib/sql/statement.ts")).sqlParserInit();\n`,
};

/** Calls timed by the parser figure. */
const PARSE_LOOPS = 20000;

/** Idle copies held alive together for the memory figure. */
const IDLE_COPIES = 10;

function _denoArgv(script: string): string[] {
  return [
    `${REPO_ROOT}/node_modules/.bin/deno`,
    "run",
    "--quiet",
    "--no-prompt",
    "-A",
    "--config",
    `${REPO_ROOT}/deno.json`,
    script,
  ];
}

async function _timeOnce(script: string): Promise<{ wallMs: number; cpuMs: number }> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %U %S", ..._denoArgv(script)],
    stdout: "null",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).output();
  const [wall, user, sys] = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)!.split(" ").map(Number);
  if (!out.success) throw new Error(`probe failed: ${new TextDecoder().decode(out.stderr)}`);
  return { wallMs: wall * 1000, cpuMs: (user + sys) * 1000 };
}

async function _idlePssMiB(script: string): Promise<number> {
  const holder = new Deno.Command("/bin/sh", {
    args: ["-c", `for i in $(seq ${IDLE_COPIES}); do "$@" & done; wait`, "sh", ..._denoArgv(script)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  try {
    for (let i = 0; i < 600 && processTree(holder.pid).length < IDLE_COPIES + 1; i++) await sleep(50);
    await sleep(3000); // let every copy finish loading
    return treePssKiB(holder.pid).pssKiB / 1024 / IDLE_COPIES;
  } finally {
    Deno.kill(-holder.pid, "SIGKILL");
    await holder.status;
  }
}

async function spawnProbeMain(runs: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "denogres-spawn-probe-" });
  try {
    console.log(
      `stage      wall ms  cpu ms  Pss MiB/process  (median of ${runs} runs; Pss of ${IDLE_COPIES} idle copies)`,
    );
    for (const [stage, body] of Object.entries(_STAGES)) {
      const script = `${dir}/${stage}.ts`;
      const idleScript = `${dir}/${stage}_idle.ts`;
      await Deno.writeTextFile(script, body);
      await Deno.writeTextFile(idleScript, `${body}await new Promise((r) => setTimeout(r, 60_000));\n`);
      await _timeOnce(script); // warm the module cache
      const samples = [];
      for (let i = 0; i < runs; i++) samples.push(await _timeOnce(script));
      const pss = await _idlePssMiB(idleScript);
      console.log(
        `${stage.padEnd(9)} ${median(samples.map((s) => s.wallMs)).toFixed(0).padStart(8)} ` +
          `${median(samples.map((s) => s.cpuMs)).toFixed(0).padStart(7)} ${pss.toFixed(1).padStart(16)}`,
      );
    }
    const parseScript = `${dir}/parse.ts`;
    await Deno.writeTextFile(parseScript, _PARSE_SCRIPT);
    const parsed = await new Deno.Command(_denoArgv(parseScript)[0], { args: _denoArgv(parseScript).slice(1) })
      .output();
    console.log(new TextDecoder().decode(parsed.stdout).trim());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Times the SQL parser alone on `SELECT 1` (what every simple-protocol query pays). */
const _PARSE_SCRIPT = `const { parseQuery, sqlParserInit } = await import("${REPO_ROOT}/lib/sql/statement.ts");
await sqlParserInit();
for (let i = 0; i < 2000; i++) parseQuery("SELECT 1");
const n = ${PARSE_LOOPS};
const t0 = performance.now();
for (let i = 0; i < n; i++) parseQuery("SELECT 1");
console.log("parseQuery('SELECT 1'): " + ((performance.now() - t0) * 1000 / n).toFixed(1) + " µs per call");
`;

if (import.meta.main) await spawnProbeMain(Number(Deno.args[0] ?? 10));
