/**
 * initdb_bench.ts — how long denogres's `initdb` takes beside PostgreSQL 15's
 * own `initdb` on the same machine, written to bench/results/initdb.md.
 *
 * PostgreSQL counterpart: none (it times src/bin/initdb against ours).
 *
 * NOTES
 * Runs each initdb `rounds` times into a fresh directory, alternating the two
 * so that machine noise falls on both alike, in two variants: as shipped
 * (everything fsynced at the end) and with `-N` (no fsync). PostgreSQL
 * refuses to run as root, so it runs as the `postgres` user through
 * `su postgres -s /bin/sh -c "…"`; the cost of that `su` alone is measured
 * too and shown, so the comparison can be read without it. denogres runs as
 * the invoking user through bin/initdb, exactly as a user types it. Every
 * directory is removed afterwards, also on failure. Timing is wall time from
 * spawn to exit. Requires `-A` (run, read, write, env, sys) and root (for su).
 *
 * Usage: `deno run -A bench/initdb_bench.ts [--rounds N] [--out FILE]`
 *
 * @module
 */

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DENOGRES_INITDB = `${REPO}/bin/initdb`;
const PG_BIN = "/usr/lib/postgresql/15/bin";
const PG_INITDB = `${PG_BIN}/initdb`;
/** Most rounds accepted (each PostgreSQL initdb takes about a second). */
export const INITDB_BENCH_ROUNDS_MAX = 50;
/** Longest a single initdb may take before the benchmark gives up. */
const RUN_TIMEOUT_MS = 120_000;

/** Timings of one variant, in milliseconds. */
export interface InitdbBenchRow {
  readonly variant: string;
  readonly denogresMs: readonly number[];
  readonly postgresqlMs: readonly number[];
}

/** The benchmark's result. */
export interface InitdbBenchResult {
  readonly rounds: number;
  readonly rows: readonly InitdbBenchRow[];
  /** Wall time of `su postgres -s /bin/sh -c true`, included in every PostgreSQL timing. */
  readonly suOverheadMs: readonly number[];
  readonly machine: Readonly<Record<string, string>>;
}

async function _timed(argv: string[]): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command(argv[0], { args: argv.slice(1), stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const out = await child.output();
  const ms = performance.now() - start;
  clearTimeout(timer);
  if (out.code !== 0) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-4).join("\n  ");
    throw new Error(`${argv.join(" ")} exited with status ${out.code}\n  ${text}`);
  }
  return ms;
}

function _sh(s: string): string {
  return /^[A-Za-z0-9_./=-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

function _postgresIds(): { uid: number; gid: number } {
  const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) => l.startsWith("postgres:"));
  if (line === undefined) throw new Error("there is no postgres user: is PostgreSQL 15 installed?");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

async function _text(argv: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "unknown";
  }
}

async function _machine(): Promise<Record<string, string>> {
  const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown";
  return {
    cpu: `${cpu} (${navigator.hardwareConcurrency} cores)`,
    kernel: await _text(["uname", "-r"]),
    deno: Deno.version.deno,
    postgresql: await _text([PG_INITDB, "--version"]),
    filesystem: await _text(["df", "--output=fstype", Deno.env.get("TMPDIR") ?? "/tmp"]).then((s) =>
      s.split("\n").at(-1) ?? "unknown"
    ),
  };
}

/**
 * Runs the benchmark.
 *
 * @param rounds runs of each initdb per variant
 * @returns every timing, and what machine they came from
 */
export async function initdbBench(rounds: number): Promise<InitdbBenchResult> {
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > INITDB_BENCH_ROUNDS_MAX) {
    throw new RangeError(`rounds must be 1 to ${INITDB_BENCH_ROUNDS_MAX}, not ${rounds}`);
  }
  const { uid, gid } = _postgresIds();
  const root = await Deno.makeTempDir({ prefix: "denogres-initdb-bench-" });
  try {
    Deno.chmodSync(root, 0o755);
    const pgRoot = `${root}/postgresql`;
    Deno.mkdirSync(pgRoot);
    Deno.chownSync(pgRoot, uid, gid);
    const su = (cmd: string) => ["su", "postgres", "-s", "/bin/sh", "-c", cmd];
    const suOverheadMs: number[] = [];
    const rows: InitdbBenchRow[] = [];
    let n = 0;
    for (const [variant, extra] of [["fsync at the end (default)", []], ["-N (no fsync)", ["-N"]]] as const) {
      const denogresMs: number[] = [];
      const postgresqlMs: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const ours = `${root}/denogres-${++n}`;
        const theirs = `${pgRoot}/data-${n}`;
        denogresMs.push(await _timed([DENOGRES_INITDB, ...extra, "-A", "trust", "-U", "postgres", ours]));
        postgresqlMs.push(
          await _timed(su([PG_INITDB, ...extra, "-D", theirs, "-A", "trust", "-U", "postgres"].map(_sh).join(" "))),
        );
        suOverheadMs.push(await _timed(su("true")));
        Deno.removeSync(ours, { recursive: true });
        Deno.removeSync(theirs, { recursive: true });
      }
      rows.push({ variant, denogresMs, postgresqlMs });
    }
    return { rounds, rows, suOverheadMs, machine: await _machine() };
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

/**
 * The median of some timings.
 *
 * @param xs timings (at least one)
 * @returns the median
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Formats the result as the Markdown of bench/results/initdb.md.
 *
 * @param r the result
 * @param date when it ran (ISO text)
 * @returns the Markdown
 */
export function initdbBenchMarkdown(r: InitdbBenchResult, date: string): string {
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const span = (xs: readonly number[]) => `${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))})`;
  const su = median(r.suOverheadMs);
  const lines = [
    "# initdb: denogres vs PostgreSQL 15",
    "",
    `Measured ${date} with \`deno run -A bench/initdb_bench.ts --rounds ${r.rounds}\`: each initdb ran ` +
    `${r.rounds} times per variant into a fresh directory, alternating the two; wall time from spawn to exit; ` +
    "median (min–max).",
    "",
    "| variant | denogres `bin/initdb` | PostgreSQL 15 `initdb` | PostgreSQL without `su` | denogres / PostgreSQL |",
    "|---|---|---|---|---|",
    ...r.rows.map((row) => {
      const ours = median(row.denogresMs);
      const theirs = median(row.postgresqlMs);
      return `| ${row.variant} | ${span(row.denogresMs)} | ${span(row.postgresqlMs)} | ${ms(theirs - su)} | ` +
        `${(ours / (theirs - su)).toFixed(2)} |`;
    }),
    "",
    `PostgreSQL refuses to run as root, so it ran as \`postgres\` through \`su postgres -s /bin/sh -c …\`; ` +
    `\`su\` alone took ${span(r.suOverheadMs)}, subtracted in the last two columns. Both ran with ` +
    "`-A trust -U postgres`. denogres's time includes starting Deno (about 50 ms); PostgreSQL's includes its " +
    "bootstrap backend building the full system catalogs, which denogres does not have yet (roles and databases " +
    "only, see lib/catalog/README.md): the comparison is of the commands as they stand, not of equal work.",
    "",
    "Machine:",
    "",
    ...Object.entries(r.machine).map(([k, v]) => `- ${k}: ${v}`),
    "",
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const args = [...Deno.args];
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  const rounds = Number(option("--rounds", "5"));
  const out = option("--out", `${REPO}/bench/results/initdb.md`);
  const result = await initdbBench(rounds);
  const md = initdbBenchMarkdown(result, new Date().toISOString().replace(/\.\d+Z$/, "Z"));
  Deno.writeTextFileSync(out, md);
  console.log(md);
}
