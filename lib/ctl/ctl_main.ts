/**
 * ctl_main.ts — `ctl`: initialise, start, stop, restart, reload, query and
 * signal a denogres server, with pg_ctl's interface, messages and exit codes.
 *
 * PostgreSQL counterpart: src/bin/pg_ctl/pg_ctl.c (do_init, do_start,
 * do_stop, do_restart, do_reload, do_status, do_kill, get_pgpid,
 * wait_for_postmaster_start, wait_for_postmaster_stop, read_post_opts).
 *
 * NOTES
 * The server is started as pg_ctl starts it: `/bin/sh -c "exec server -D …
 * OPTIONS < /dev/null >> LOGFILE 2>&1"` in a new session (setsid), so it
 * outlives ctl and no terminal signal reaches it; the `exec`s keep the pid
 * ctl sees equal to the postmaster's. Waiting polls postmaster.pid ten
 * times a second and prints a dot a second: start waits for line 1 (pid)
 * and line 3 (start time) to match the process we started and line 8 to
 * say `ready`; stop waits for the file to disappear. Exit codes: 0 success;
 * `status` 3 when no server runs and 4 when the data directory is missing,
 * unreadable or not a database cluster directory; 1 for every other failure
 * and for timeouts. `status --json` prints its one object in every case,
 * errors included (`error`). Restart starts the server exactly as
 * postmaster.opts recorded it (program and arguments, no `-D` of ctl's own:
 * the child gets PGDATA), or with `-o`'s options instead. Requires
 * `--allow-read`, `--allow-env`, `--allow-run` (sh, initdb) and
 * `--allow-ffi` (kill).
 *
 * @module
 */

import { newProgram, runProgram, UsageError } from "../cli/mod.ts";
import { errno, libc, strerror } from "../ffi/libc.ts";
import { OPTS_FILE_NAME } from "../postmaster/data_dir.ts";
import {
  LOCK_FILE_LINE,
  parsePidFile,
  PID_FILE_NAME,
  type PidFileContents,
  PM_STATUS,
  processExists,
} from "../postmaster/pid_file.ts";

const _PROG = "ctl";
/** Default seconds to wait (pg_ctl's DEFAULT_WAIT). */
export const CTL_DEFAULT_WAIT_SECS = 60;
/** Polls of the pid file per second while waiting (pg_ctl's WAITS_PER_SEC). */
const _WAITS_PER_SEC = 10;
const _REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const _MODES = ["init", "initdb", "start", "stop", "restart", "reload", "status", "kill"] as const;
type _Mode = (typeof _MODES)[number];
const _SHUTDOWN_SIGNALS = { smart: 15, fast: 2, immediate: 3 } as const;
/** Signals `ctl kill` accepts (pg_ctl's set), by name. */
const _KILL_SIGNALS: Readonly<Record<string, number>> = {
  ABRT: 6,
  HUP: 1,
  INT: 2,
  KILL: 9,
  QUIT: 3,
  TERM: 15,
  USR1: 10,
  USR2: 12,
};

/** The parsed `ctl` command line. */
interface CtlOptions {
  mode: _Mode;
  dataDir?: string;
  logFile?: string;
  wait: boolean;
  waitSecs: number;
  shutdownMode: keyof typeof _SHUTDOWN_SIGNALS;
  serverOptions?: string;
  silent: boolean;
  json: boolean;
  killArgs: string[];
}

class _Ctl {
  readonly o: CtlOptions;
  readonly pidFile: string;
  readonly optsFile: string;

  constructor(o: CtlOptions) {
    this.o = o;
    this.pidFile = `${o.dataDir}/${PID_FILE_NAME}`;
    this.optsFile = `${o.dataDir}/${OPTS_FILE_NAME}`;
  }

  /** pg_ctl's print_msg: informational output, silenced by -s. */
  msg(text: string): void {
    if (!this.o.silent) Deno.stdout.writeSync(new TextEncoder().encode(text));
  }

  err(text: string): void {
    console.error(text);
  }

  /**
   * Reports a failure as pg_ctl does (`ctl: TEXT` on stderr) and exits with
   * `code`; `status --json` still prints its one object, with TEXT in `error`.
   */
  fail(text: string, code: number): never {
    this.err(`${_PROG}: ${text}`);
    if (this.o.mode === "status" && this.o.json) _printStatusJson(this, { error: text });
    Deno.exit(code);
  }

  /**
   * get_pgpid: the pid in postmaster.pid, 0 when there is none; exits when the
   * data directory is missing or is not a database cluster directory (4 for
   * status, 1 otherwise).
   */
  getPgpid(isStatus: boolean): { pid: number; contents?: PidFileContents } {
    const dir = this.o.dataDir!;
    try {
      Deno.statSync(dir);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) this.fail(`directory "${dir}" does not exist`, isStatus ? 4 : 1);
      this.fail(`could not access directory "${dir}": ${_osErrorText(e)}`, isStatus ? 4 : 1);
    }
    try {
      Deno.statSync(`${dir}/PG_VERSION`);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        this.fail(`directory "${dir}" is not a database cluster directory`, isStatus ? 4 : 1);
      }
    }
    let text: string;
    try {
      text = Deno.readTextFileSync(this.pidFile);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return { pid: 0 };
      this.fail(`could not open PID file "${this.pidFile}": ${_osErrorText(e)}`, 1);
    }
    const contents = parsePidFile(text);
    if (contents === undefined) {
      if (text === "") return { pid: 0 };
      this.fail(`invalid data in PID file "${this.pidFile}"`, 1);
    }
    return { pid: contents.pid, contents };
  }

  signal(pid: number, sig: number, what: string): void {
    if (libc().kill(pid, sig) !== 0) {
      this.err(`${_PROG}: could not send ${what} (PID: ${pid}): ${strerror(errno())}`);
      Deno.exit(1);
    }
  }
}

/**
 * The reason of a Deno file-system error as strerror(3) words it. Deno
 * refuses paths under /dev, /proc and /sys without `--allow-all`
 * (NotCapable): that is reported as the permission failure it is.
 */
function _osErrorText(e: unknown): string {
  if (e instanceof Deno.errors.NotCapable) return "Permission denied";
  if (!(e instanceof Error)) return String(e);
  const m = /^(.*?) \(os error \d+\)/.exec(e.message);
  return m === null ? e.message : m[1];
}

/** The lines of postmaster.opts (a final newline ends the last line), undefined when unreadable. */
function _readOptsLines(path: string): string[] | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** postmaster.opts's line, for `status`; undefined unless the file has exactly one line. */
function _readOptsLine(path: string): string | undefined {
  const lines = _readOptsLines(path);
  return lines?.length === 1 ? lines[0] : undefined;
}

/** How to run the server: the program and what follows it on the shell command line. */
interface _ServerCommand {
  /** The program (bin/server, or the one postmaster.opts names). */
  program: string;
  /** The arguments, as shell text: `-D DIR` for start, then -o's options or postmaster.opts's. */
  args: string;
}

/**
 * start_postmaster's command (do_start, read_post_opts): start passes `-D`
 * and -o's options; restart passes -o's options if given, else the program
 * and arguments postmaster.opts recorded, as they are (they hold the `-D`
 * the server was started with). Restart adds no `-D` of its own, so that a
 * restart never grows the command line; the server finds the data directory
 * through PGDATA, which ctl always sets for it.
 */
function _serverCommand(ctl: _Ctl, isRestart: boolean): _ServerCommand {
  const program = `${_REPO_ROOT}/bin/server`;
  if (!isRestart) return { program, args: `-D ${_shellQuote(ctl.o.dataDir!)} ${ctl.o.serverOptions ?? ""}` };
  if (ctl.o.serverOptions !== undefined) return { program, args: ctl.o.serverOptions };
  const lines = _readOptsLines(ctl.optsFile);
  if (lines === undefined) ctl.fail(`could not read file "${ctl.optsFile}"`, 1);
  if (lines.length !== 1) ctl.fail(`option file "${ctl.optsFile}" must have exactly one line`, 1);
  // As read_post_opts: the program ends at the first space followed by a double quote.
  const firstArg = lines[0].indexOf(' "');
  if (firstArg < 0) return { program: lines[0], args: "" };
  return { program: lines[0].slice(0, firstArg), args: lines[0].slice(firstArg + 1) };
}

function _shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

function _startPostmaster(ctl: _Ctl, server: _ServerCommand): Deno.ChildProcess {
  const redirect = ctl.o.logFile !== undefined ? ` >> ${_shellQuote(ctl.o.logFile)} 2>&1` : " 2>&1";
  const cmd = `exec ${_shellQuote(server.program)} ${server.args} < /dev/null${redirect}`;
  try {
    return new Deno.Command("/bin/sh", {
      args: ["-c", cmd],
      // pg_ctl exports PGDATA (its -D) to the server: a restart's command line may carry no -D.
      env: { PGDATA: ctl.o.dataDir! },
      detached: true,
      stdin: "null",
    }).spawn();
  } catch (e) {
    ctl.fail(`could not start server: ${(e as Error).message}`, 1);
  }
}

async function _sleepMs(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** wait_for_postmaster_start: ready, still starting (timeout) or failed. */
async function _waitForStart(
  ctl: _Ctl,
  child: Deno.ChildProcess,
  startSec: number,
): Promise<"ready" | "starting" | "failed"> {
  let exited = false;
  child.status.then(() => (exited = true));
  for (let i = 0; i < ctl.o.waitSecs * _WAITS_PER_SEC; i++) {
    const { contents } = ctl.getPgpid(false);
    if (
      contents !== undefined && contents.lines.length >= LOCK_FILE_LINE.PM_STATUS && contents.pid === child.pid &&
      (contents.startTimeSec ?? 0) >= startSec - 2 && contents.status === PM_STATUS.READY
    ) {
      return "ready";
    }
    if (exited) return "failed";
    if (i % _WAITS_PER_SEC === 0) ctl.msg(".");
    await _sleepMs(1000 / _WAITS_PER_SEC);
  }
  return "starting";
}

/** wait_for_postmaster_stop: true when the pid file is gone. */
async function _waitForStop(ctl: _Ctl): Promise<boolean> {
  for (let i = 0; i < ctl.o.waitSecs * _WAITS_PER_SEC; i++) {
    const { pid } = ctl.getPgpid(false);
    if (pid === 0) return true;
    if (!processExists(pid)) return ctl.getPgpid(false).pid === 0;
    if (i % _WAITS_PER_SEC === 0) ctl.msg(".");
    await _sleepMs(1000 / _WAITS_PER_SEC);
  }
  return false;
}

async function _doStart(ctl: _Ctl, isRestart: boolean): Promise<void> {
  if (!isRestart && ctl.getPgpid(false).pid !== 0) {
    ctl.err(`${_PROG}: another server might be running; trying to start server anyway`);
  }
  const server = _serverCommand(ctl, isRestart);
  const startSec = Math.floor(Date.now() / 1000);
  const child = _startPostmaster(ctl, server);
  if (!ctl.o.wait) {
    ctl.msg("server starting\n");
    return;
  }
  ctl.msg("waiting for server to start...");
  const result = await _waitForStart(ctl, child, startSec);
  if (result === "ready") {
    ctl.msg(" done\n");
    ctl.msg("server started\n");
    return;
  }
  ctl.msg(" stopped waiting\n");
  if (result === "starting") ctl.err(`${_PROG}: server did not start in time`);
  else ctl.err(`${_PROG}: could not start server\nExamine the log output.`);
  Deno.exit(1);
}

async function _stopAndWait(ctl: _Ctl, pid: number, always: boolean): Promise<void> {
  ctl.signal(pid, _SHUTDOWN_SIGNALS[ctl.o.shutdownMode], "stop signal");
  if (!ctl.o.wait && !always) {
    ctl.msg("server shutting down\n");
    return;
  }
  ctl.msg("waiting for server to shut down...");
  if (!(await _waitForStop(ctl))) {
    ctl.msg(" failed\n");
    ctl.err(`${_PROG}: server does not shut down`);
    if (ctl.o.shutdownMode === "smart") {
      ctl.err(
        'HINT: The "-m fast" option immediately disconnects sessions rather than\n' +
          "waiting for session-initiated disconnection.",
      );
    }
    Deno.exit(1);
  }
  ctl.msg(" done\n");
  ctl.msg("server stopped\n");
}

function _noPidFile(ctl: _Ctl): void {
  ctl.err(`${_PROG}: PID file "${ctl.pidFile}" does not exist`);
  ctl.err("Is server running?");
}

async function _doStop(ctl: _Ctl): Promise<void> {
  const { pid } = ctl.getPgpid(false);
  if (pid === 0) {
    _noPidFile(ctl);
    Deno.exit(1);
  }
  await _stopAndWait(ctl, pid, false);
}

async function _doRestart(ctl: _Ctl): Promise<void> {
  const { pid } = ctl.getPgpid(false);
  if (pid === 0) {
    _noPidFile(ctl);
    ctl.err("trying to start server anyway");
    // Still a restart, as pg_ctl's: the options come from postmaster.opts (left by the last server) or -o.
    return await _doStart(ctl, true);
  }
  if (processExists(pid)) await _stopAndWait(ctl, pid, true);
  else {
    ctl.err(`${_PROG}: old server process (PID: ${pid}) seems to be gone`);
    ctl.err("starting server anyway");
  }
  await _doStart(ctl, true);
}

function _doReload(ctl: _Ctl): void {
  const { pid } = ctl.getPgpid(false);
  if (pid === 0) {
    _noPidFile(ctl);
    Deno.exit(1);
  }
  ctl.signal(pid, 1, "reload signal");
  ctl.msg("server signaled\n");
}

/** The fields of `status --json`; see lib/ctl/README.md. */
interface _StatusJson {
  running: boolean;
  pid: number | null;
  dataDir: string;
  port: number | null;
  socketDir: string | null;
  listenAddresses: string | null;
  startTime: string | null;
  status: string | null;
  commandLine: string | null;
  /** Why ctl could not tell (the stderr line without `ctl: `); null when it could. */
  error: string | null;
}

/** Prints `status --json`'s one object: a running server's fields, else nulls (and the error, if any). */
function _printStatusJson(
  ctl: _Ctl,
  s: { running?: { pid: number; contents?: PidFileContents; opts?: string }; error?: string },
): void {
  const r = s.running;
  const json: _StatusJson = {
    running: r !== undefined,
    pid: r?.pid ?? null,
    dataDir: ctl.o.dataDir!,
    port: r?.contents?.port ?? null,
    socketDir: r?.contents?.socketDir || null,
    listenAddresses: r?.contents?.listenAddr || null,
    startTime: r?.contents?.startTimeSec !== undefined ? new Date(r.contents.startTimeSec * 1000).toISOString() : null,
    status: r?.contents?.status?.trim() ?? null,
    commandLine: r?.opts ?? null,
    error: s.error ?? null,
  };
  console.log(JSON.stringify(json));
}

function _doStatus(ctl: _Ctl): void {
  const { pid, contents } = ctl.getPgpid(true);
  const running = pid > 0 && processExists(pid);
  const opts = running ? _readOptsLine(ctl.optsFile) : undefined;
  if (ctl.o.json) _printStatusJson(ctl, running ? { running: { pid, contents, opts } } : {});
  else if (running) {
    console.log(`${_PROG}: server is running (PID: ${pid})`);
    if (opts !== undefined) console.log(opts);
  } else console.log(`${_PROG}: no server running`);
  if (!running) Deno.exit(3);
}

function _doKill(ctl: _Ctl): void {
  const [name, pidText] = ctl.o.killArgs;
  if (name === undefined || pidText === undefined) {
    throw new UsageError("missing arguments for kill mode");
  }
  const sig = _KILL_SIGNALS[name.replace(/^SIG/, "")];
  if (sig === undefined) throw new UsageError(`unrecognized signal name "${name}"`);
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText) || pid <= 0) throw new UsageError(`invalid PID "${pidText}"`);
  if (libc().kill(pid, sig) !== 0) {
    ctl.err(`${_PROG}: could not send signal ${sig} (PID: ${pid}): ${strerror(errno())}`);
    Deno.exit(1);
  }
}

async function _doInit(ctl: _Ctl): Promise<void> {
  const cmd = `exec ${_shellQuote(`${_REPO_ROOT}/bin/initdb`)} -D ${_shellQuote(ctl.o.dataDir!)} ${
    ctl.o.serverOptions ?? ""
  }${ctl.o.silent ? " > /dev/null" : ""}`;
  const status = await new Deno.Command("/bin/sh", { args: ["-c", cmd], stdin: "null" }).spawn().status;
  if (!status.success) {
    ctl.err(`${_PROG}: database system initialization failed`);
    Deno.exit(1);
  }
}

async function _run(o: CtlOptions): Promise<void> {
  const ctl = new _Ctl(o);
  switch (o.mode) {
    case "init":
    case "initdb":
      return await _doInit(ctl);
    case "start":
      return await _doStart(ctl, false);
    case "stop":
      return await _doStop(ctl);
    case "restart":
      return await _doRestart(ctl);
    case "reload":
      return _doReload(ctl);
    case "status":
      return _doStatus(ctl);
    case "kill":
      return _doKill(ctl);
  }
}

function _waitSecs(text: string | undefined): number {
  const raw = text ?? Deno.env.get("PGCTLTIMEOUT");
  if (raw === undefined || raw === "") return CTL_DEFAULT_WAIT_SECS;
  if (!/^\d+$/.test(raw)) throw new UsageError(`invalid value "${raw}" for option -t`);
  return Number(raw);
}

/**
 * Parses the `ctl` command line and runs the requested mode; exits with
 * pg_ctl's codes.
 *
 * @param argv the arguments (without the program name)
 * @example
 * ```ts
 * await ctlMain(["start", "-D", "/data", "-l", "/data/server.log"]);
 * ```
 */
export async function ctlMain(argv: readonly string[]): Promise<void> {
  const program = newProgram(_PROG, "initializes, starts, stops, or controls a denogres server (pg_ctl)")
    .argument("[mode]", `one of ${_MODES.join(", ")}`)
    .argument("[args...]", "for kill: SIGNALNAME PID")
    .option("-D, --pgdata <datadir>", "location of the database storage area")
    .option("-l, --log <filename>", "write (or append) server log to FILENAME")
    .option("-m, --mode <mode>", "shutdown mode: smart, fast (default) or immediate")
    .option("-o, --options <options>", "command line options to pass to the server or initdb")
    .option("-s, --silent", "only print errors, no informational messages")
    .option("-t, --timeout <secs>", "seconds to wait when using -w option")
    .option("-w, --wait", "wait until operation completes (default)")
    .option("-W, --no-wait", "do not wait until operation completes")
    .option("--json", "status: print one JSON object")
    .action(async (mode, args, opts) => {
      if (mode === undefined) throw new UsageError("no operation specified");
      if (!(_MODES as readonly string[]).includes(mode)) throw new UsageError(`unrecognized operation mode "${mode}"`);
      if (mode !== "kill" && args.length > 0) {
        throw new UsageError(`too many command-line arguments (first is "${args[0]}")`);
      }
      const shutdownMode = opts.mode ?? "fast";
      if (!(shutdownMode in _SHUTDOWN_SIGNALS)) throw new UsageError(`unrecognized shutdown mode "${shutdownMode}"`);
      const dataDir = opts.pgdata ?? (Deno.env.get("PGDATA") || undefined);
      if (dataDir === undefined && mode !== "kill") {
        throw new UsageError("no database directory specified and environment variable PGDATA unset");
      }
      await _run({
        mode: mode as _Mode,
        dataDir: dataDir?.replace(/\/+$/, "") || dataDir,
        logFile: opts.log,
        wait: opts.wait !== false,
        waitSecs: _waitSecs(opts.timeout),
        shutdownMode: shutdownMode as CtlOptions["shutdownMode"],
        serverOptions: opts.options,
        silent: opts.silent === true,
        json: opts.json === true,
        killArgs: args,
      });
      Deno.exit(0);
    });
  await runProgram(program, argv);
}
