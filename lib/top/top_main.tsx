/**
 * top_main.tsx — `top`: parses the command line and runs the live dashboard,
 * or prints one plain-text frame (`--once`) or one JSON snapshot (`--json`).
 *
 * PostgreSQL counterpart: none; pg_activity and pg_top (`-b` batch mode).
 *
 * NOTES
 * `--once` and `--json` take two snapshots `--interval` apart and print the
 * second, so its rates cover a real interval; they need no terminal and exit
 * 0 when a server runs, 3 when none does (as `pg_ctl status`). The live
 * dashboard needs a terminal on stdin and stdout; it never exits on a server
 * stop or crash (it shows it and re-attaches). Usage errors follow lib/cli:
 * one line, a hint, exit 1. Requires `--allow-read` (the data directory),
 * `--allow-ffi` (read-only mmap, /proc through libc, kill) and `--allow-env`.
 *
 * @module
 */

import { render } from "ink";
import {
  dataDirectoryFrom,
  DENOGRES_VERSION,
  fatal,
  newProgram,
  runProgram,
  UsageError,
  usePgStyleHelp,
} from "../cli/mod.ts";
import { TOP_INTERVAL_MAX_MS, TOP_INTERVAL_MIN_MS } from "./keys.ts";
import { SnapshotReader } from "./snapshot_reader.ts";
import { formatTextFrame } from "./text_frame.tsx";
import { TopApp } from "./top_app.tsx";

/** Exit status of `--once`/`--json` when no server runs (pg_ctl status's "not running"). */
export const TOP_EXIT_NO_SERVER = 3;
/** Width of `--once` output when stdout is not a terminal. */
const _ONCE_WIDTH_DEFAULT = 160;

/**
 * Runs `top` with its command-line arguments.
 *
 * @param args the arguments, without the program name
 * @example
 * ```ts
 * await topMain(["-D", "./data", "--json"]);
 * ```
 */
export async function topMain(args: readonly string[]): Promise<void> {
  const program = newProgram("top", "shows a live dashboard of a denogres cluster")
    .option("-D, --pgdata <datadir>", "location of the database cluster")
    .option("--interval <seconds>", "refresh interval in seconds (default: 1)")
    .option("--once", "print one plain-text frame, then exit")
    .option("--json", "print one JSON snapshot, then exit")
    .action(async (opts) => {
      const dataDir = dataDirectoryFrom(opts.pgdata, "Use the -D option or set the environment variable PGDATA.");
      const intervalMs = parseIntervalMs(opts.interval ?? "1");
      if (opts.once && opts.json) throw new UsageError("options --once and --json cannot be used together");
      if (!_isDirectory(dataDir)) fatal("top", `directory "${dataDir}" does not exist`);
      if (opts.once || opts.json) return await _printOnce(dataDir, intervalMs, opts.json === true);
      await _runLive(dataDir, intervalMs);
    });
  usePgStyleHelp(program, {
    summary: "top shows what a denogres cluster is doing: processes, sessions, buffer cache, WAL and checkpoints.",
    usage: ["top [OPTION]..."],
    footer: "Keys: q quit, space pause, +/- interval, arrows or j/k select, s sort, / filter,\n" +
      "i hide idle, c cancel, K terminate, ? help.\n\n" +
      "If the data directory is not specified, the environment variable PGDATA\nis used.\n" +
      "--once and --json exit with status 3 when no server is running.",
  });
  await runProgram(program, args);
}

/**
 * Parses `--interval` (seconds, decimals allowed) into milliseconds.
 *
 * @param text the option's value
 * @returns the interval in ms
 * @throws {UsageError} when not a number of seconds within the limits
 */
export function parseIntervalMs(text: string): number {
  const seconds = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : NaN;
  const ms = Math.round(seconds * 1000);
  if (!(ms >= TOP_INTERVAL_MIN_MS && ms <= TOP_INTERVAL_MAX_MS)) {
    throw new UsageError(
      `invalid interval "${text}": must be between ${TOP_INTERVAL_MIN_MS / 1000} and ${
        TOP_INTERVAL_MAX_MS / 1000
      } seconds`,
    );
  }
  return ms;
}

async function _printOnce(dataDir: string, intervalMs: number, json: boolean): Promise<void> {
  const reader = new SnapshotReader(dataDir);
  let snapshot = reader.read();
  if (snapshot.status !== "no server") {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    snapshot = reader.read();
  }
  reader.close();
  const width = Deno.stdout.isTerminal() ? Deno.consoleSize().columns : _ONCE_WIDTH_DEFAULT;
  const text = json ? JSON.stringify(snapshot) : formatTextFrame(snapshot, intervalMs, width);
  await Deno.stdout.write(new TextEncoder().encode(`${text}\n`));
  Deno.exit(snapshot.status === "no server" ? TOP_EXIT_NO_SERVER : 0);
}

async function _runLive(dataDir: string, intervalMs: number): Promise<void> {
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
    fatal("top", "standard input and output must be a terminal", "Use --once or --json to print a single frame.");
  }
  const reader = new SnapshotReader(dataDir);
  const banner = `denogres top ${DENOGRES_VERSION} — ${dataDir}   (? help, q quit)`;
  const app = render(
    <TopApp
      source={reader}
      intervalMs={intervalMs}
      signalBackend={(pid, action) => reader.signalBackend(pid, action)}
      banner={banner}
    />,
    // interactive: both ends are terminals (checked above). Ink's own guess says no whenever the environment names a
    // CI service (is-in-ci), and would then draw nothing but the banner until exit.
    { exitOnCtrlC: true, alternateScreen: true, patchConsole: false, interactive: true },
  );
  await app.waitUntilExit();
  reader.close();
}

function _isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
