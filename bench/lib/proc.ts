/**
 * proc.ts — runs one command for the benchmark, timed, in its own process
 * group, with its output captured in a file, and killed (the whole group)
 * if it outlives its timeout or the harness is interrupted.
 *
 * PostgreSQL counterpart: none (pg_regress's spawn_process plays this role).
 *
 * NOTES
 * Output goes to a file through `/bin/sh -c 'exec "$@" >FILE 2>&1'`, not to
 * a pipe: `ctl start` leaves a server behind, and a server that inherited a
 * pipe would keep it open and stall a reader. The shell `exec`s, so the
 * timed process keeps the pid and group the harness knows. The cost of that
 * extra exec (about a millisecond) is the same for both clusters.
 * The elapsed time runs from just before spawn to the reaped exit status.
 * Requires `--allow-run`, `--allow-read`, `--allow-write`.
 *
 * @module
 */

import { interrupted, InterruptedError, onCleanup } from "./cleanup.ts";

/** Outcome of {@link runCommand}. */
export interface RunResult {
  /** Exit status (128 + signal when killed by one). */
  readonly code: number;
  /** stdout and stderr together, at most {@link OUTPUT_KEEP_BYTES}. */
  readonly output: string;
  /** Wall time from spawn to exit, in milliseconds. */
  readonly elapsedMs: number;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  /** Full environment of the child (the harness's own when omitted). */
  readonly env?: Record<string, string>;
  /** Where the output file goes (a directory the harness owns). */
  readonly scratchDir: string;
  /** Kill the process group after this long. */
  readonly timeoutMs: number;
  /** A cleanup step: allowed to run after an interrupt. */
  readonly forCleanup?: boolean;
}

/** Most output kept from one command (the rest is cut). */
export const OUTPUT_KEEP_BYTES = 64 * 1024;

let _outputSeq = 0;

/**
 * Runs `argv` to completion (or timeout) and reports exit status, output
 * and elapsed time. Never throws for a non-zero exit; see {@link mustRun}.
 *
 * @param argv program and arguments
 * @param options environment, scratch directory, timeout
 * @returns exit code, captured output, elapsed milliseconds
 * @throws {InterruptedError} after SIGINT/SIGTERM, unless `forCleanup`
 */
export async function runCommand(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  if (interrupted() && options.forCleanup !== true) throw new InterruptedError();
  const outFile = `${options.scratchDir}/cmd-${Deno.pid}-${++_outputSeq}.out`;
  const command = new Deno.Command("/bin/sh", {
    args: ["-c", 'out=$1; shift; exec "$@" >"$out" 2>&1 </dev/null', "sh", outFile, ...argv],
    env: options.env,
    clearEnv: options.env !== undefined,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  });
  const startMs = performance.now();
  const child = command.spawn();
  const unregister = onCleanup(`process ${child.pid} (${argv[0]})`, () => {
    killGroup(child.pid, "SIGKILL");
    return child.status.then(() => {});
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, "SIGKILL");
  }, options.timeoutMs);
  const status = await child.status;
  const elapsedMs = performance.now() - startMs;
  clearTimeout(timer);
  unregister();
  const output = await _readAndRemove(outFile);
  if (interrupted() && options.forCleanup !== true) throw new InterruptedError();
  const code = status.signal !== null ? 128 + _signalNumber(status.signal) : status.code;
  if (timedOut) {
    return { code: code === 0 ? 124 : code, output: `${output}\n(timed out after ${options.timeoutMs} ms)`, elapsedMs };
  }
  return { code, output, elapsedMs };
}

/**
 * Runs `argv` and throws with its output when it fails.
 *
 * @param argv program and arguments
 * @param options as {@link runCommand}
 * @returns the result of a successful run
 * @throws {Error} with the command's last output lines when the exit status is not 0
 */
export async function mustRun(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const result = await runCommand(argv, options);
  if (result.code !== 0) {
    const tail = result.output.trim().split("\n").slice(-6).join("\n  ");
    throw new Error(`${shellQuote(argv)} exited with status ${result.code}\n  ${tail}`);
  }
  return result;
}

/**
 * Sends a signal to a whole process group, ignoring a group already gone.
 *
 * @param pgid the group's leader pid
 * @param signal the signal
 */
export function killGroup(pgid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pgid, signal);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/**
 * Quotes an argument vector for display as one shell command line.
 *
 * @param argv program and arguments
 * @returns a line a POSIX shell would split back into `argv`
 */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function _readAndRemove(file: string): Promise<string> {
  try {
    const bytes = await Deno.readFile(file);
    await Deno.remove(file);
    return new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - OUTPUT_KEEP_BYTES)));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

const _SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};

function _signalNumber(signal: Deno.Signal): number {
  return _SIGNAL_NUMBERS[signal] ?? 0;
}
