/**
 * ctl_bench.ts — how long `ctl start` takes to reach `ready` and
 * `ctl stop -m fast` takes to finish, beside PostgreSQL 15's pg_ctl on the
 * same machine. Writes bench/results/ctl.md.
 *
 * Run: `deno run -A bench/ctl_bench.ts [rounds]` (default 5). PostgreSQL runs
 * as the `postgres` user (it refuses root), as ../shared/tools/pgref does.
 * Ports 20900 (denogres) and 20901 (PostgreSQL), in the postmaster range.
 * Both sides wait the same way (pg_ctl polls postmaster.pid ten times a
 * second), so the numbers compare like with like. Everything made is
 * removed at the end, also on failure.
 *
 * @module
 */

const REPO_ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const PG_BIN = "/usr/lib/postgresql/15/bin";
const ROUNDS_DEFAULT = 5;
const DENOGRES_PORT = 20900;
const PG_PORT = 20901;

interface Timing {
  startMs: number[];
  stopMs: number[];
}

async function run(cmd: string, args: string[]): Promise<{ ms: number; code: number; out: string }> {
  const t0 = performance.now();
  const r = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  const ms = performance.now() - t0;
  const d = new TextDecoder();
  return { ms, code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

function must(r: { code: number; out: string }, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.out}`);
}

function asPostgres(shell: string): [string, string[]] {
  return Deno.uid() === 0 ? ["su", ["postgres", "-s", "/bin/sh", "-c", shell]] : ["/bin/sh", ["-c", shell]];
}

async function benchDenogres(base: string, rounds: number): Promise<Timing> {
  const data = `${base}/denogres`;
  must(await run(`${REPO_ROOT}/bin/initdb`, ["-D", data]), "initdb");
  const opts = `-p ${DENOGRES_PORT} -k ${data} -c listen_addresses=127.0.0.1`;
  const t: Timing = { startMs: [], stopMs: [] };
  for (let i = 0; i < rounds; i++) {
    const start = await run(`${REPO_ROOT}/bin/ctl`, ["start", "-D", data, "-l", `${base}/denogres.log`, "-o", opts]);
    must(start, "ctl start");
    t.startMs.push(start.ms);
    const stop = await run(`${REPO_ROOT}/bin/ctl`, ["stop", "-D", data, "-m", "fast"]);
    must(stop, "ctl stop");
    t.stopMs.push(stop.ms);
  }
  return t;
}

async function benchPostgres(base: string, rounds: number): Promise<Timing> {
  const data = `${base}/postgresql`;
  await Deno.mkdir(data, { mode: 0o700 });
  if (Deno.uid() === 0) must(await run("chown", ["postgres", base, data]), "chown");
  const [c0, a0] = asPostgres(`${PG_BIN}/initdb -D '${data}' -A trust -U postgres > /dev/null`);
  must(await run(c0, a0), "PostgreSQL initdb");
  const t: Timing = { startMs: [], stopMs: [] };
  const opts = `-p ${PG_PORT} -k ${data} -c listen_addresses=127.0.0.1`;
  for (let i = 0; i < rounds; i++) {
    const [c1, a1] = asPostgres(`${PG_BIN}/pg_ctl -D '${data}' -l '${base}/postgresql.log' -o '${opts}' -w start`);
    // su's own start-up is in the measurement; measure it alone and subtract it.
    const [cs, as] = asPostgres("true");
    const su = await run(cs, as);
    const start = await run(c1, a1);
    must(start, "pg_ctl start");
    t.startMs.push(start.ms - su.ms);
    const [c2, a2] = asPostgres(`${PG_BIN}/pg_ctl -D '${data}' -m fast -w stop`);
    const stop = await run(c2, a2);
    must(stop, "pg_ctl stop");
    t.stopMs.push(stop.ms - su.ms);
  }
  return t;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `${median.toFixed(0)} | ${s[0].toFixed(0)} | ${s.at(-1)!.toFixed(0)}`;
}

async function main(): Promise<void> {
  const rounds = Number(Deno.args[0] ?? ROUNDS_DEFAULT);
  const base = await Deno.makeTempDir({ prefix: "denogres-ctl-bench-" });
  await Deno.chmod(base, 0o755);
  try {
    const pg = await benchPostgres(base, rounds);
    const dg = await benchDenogres(base, rounds);
    const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
    const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
    const report = `# ctl start / stop times\n\n` +
      `\`deno run -A bench/ctl_bench.ts ${rounds}\` on ${new Date().toISOString().slice(0, 10)}, ` +
      `${navigator.hardwareConcurrency} cores (${cpu}), Deno ${Deno.version.deno}. ` +
      `${rounds} rounds each, load average ${load} at the end (the machine is shared); milliseconds, wall clock ` +
      `of the whole command (PostgreSQL's \`su\` start-up subtracted).\n\n` +
      `| operation | system | median | min | max |\n|---|---|---|---|---|\n` +
      `| start (to ready) | denogres \`ctl start\` | ${stats(dg.startMs)} |\n` +
      `| start (to ready) | PostgreSQL 15 \`pg_ctl start\` | ${stats(pg.startMs)} |\n` +
      `| stop -m fast | denogres \`ctl stop\` | ${stats(dg.stopMs)} |\n` +
      `| stop -m fast | PostgreSQL 15 \`pg_ctl stop\` | ${stats(pg.stopMs)} |\n\n` +
      `Where denogres's time goes: \`ctl\` and \`server\` are Deno programs (start-up and module loading of each, ` +
      `where pg_ctl and postgres are native), and the startup process is a third Deno process that must load the ` +
      `WAL code before recovery; both sides then poll postmaster.pid every 100 ms. Stopping right after a start also ` +
      `waits for children still starting to install their signal handlers (lib/postmaster README, invariant 6).\n`;
    await Deno.mkdir(`${REPO_ROOT}/bench/results`, { recursive: true });
    const out = `${REPO_ROOT}/bench/results/ctl.md`;
    await Deno.writeTextFile(out, report);
    // Keep the committed file in the repository's format (`deno fmt --check` covers bench/results).
    await run(Deno.execPath(), ["fmt", "--quiet", "--config", `${REPO_ROOT}/deno.json`, out]);
    console.log(report);
  } finally {
    for (const [dir, port] of [[`${base}/denogres`, DENOGRES_PORT], [`${base}/postgresql`, PG_PORT]] as const) {
      try {
        const pid = Number(Deno.readTextFileSync(`${dir}/postmaster.pid`).split("\n")[0]);
        Deno.kill(pid, "SIGQUIT");
        console.error(`stopped a leftover server on port ${port}`);
      } catch { /* not running */ }
    }
    await new Promise((r) => setTimeout(r, 500));
    await Deno.remove(base, { recursive: true });
  }
}

await main();
