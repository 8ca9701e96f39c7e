/**
 * postmaster.ts — the postmaster: start-up, the server loop, the reaper,
 * the state machine's actions, crash reset and shutdown.
 *
 * PostgreSQL counterpart: PostmasterMain(), ServerLoop(), reaper(),
 * PostmasterStateMachine(), HandleChildCrash(), pmdie(), SIGHUP_handler()
 * and ExitPostmaster() in src/backend/postmaster/postmaster.c.
 *
 * NOTES
 * One JavaScript thread does everything; nothing here blocks it. Signal
 * handlers only record the signal and wake the loop; child exits arrive as
 * promise resolutions queued for the reaper; connections are accepted by
 * the accept loop (server_sockets.ts) and handed to a backend at once. The
 * postmaster never reads client bytes and takes no lock in shared memory,
 * so no child, however broken, can hang it. Children that die unexpectedly
 * trigger PostgreSQL's crash cycle: SIGQUIT everyone, SIGKILL after
 * CHILD_QUIT_GRACE_MS, wait for all to exit, re-create shared memory with a
 * new generation and run the startup process again. Errors at start are
 * `SqlError`s with severity FATAL: logged, then exit 1 after removing what
 * was created. See README.md for the invariants.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { CHILD_QUIT_GRACE_MS, PG_SERVER_VERSION } from "../common/limits.ts";
import {
  ConfigFileError,
  type GucOption,
  type GucSettings,
  loadSettings,
  type ReloadOutcome,
  reloadSettings,
} from "../config/mod.ts";
import { parseHbaFile } from "../auth/mod.ts";
import { storageShmemInit } from "../storage/storage_init.ts";
import { configureLogging, elog, setLogProcessInfo } from "../log/mod.ts";
import {
  checkPostmasterSignal,
  createShmemSegment,
  makeShmemSegmentName,
  pgstatGetCrashedBackendActivity,
  removeStaleShmemSegment,
  resetShmemSegment,
  type ShmemSegment,
  unlinkShmemSegment,
} from "../shmem/mod.ts";
import {
  CHILD_PROC_NAMES,
  type ChildExit,
  childExitOf,
  childGucOptions,
  type ChildType,
  describeChildExit,
  spawnChild,
} from "./child_process.ts";
import { checkDataDir, writeOptsFile } from "./data_dir.ts";
import {
  type BackendStatus,
  type CacState,
  type ClientConnection,
  createBackendChannel,
  sendClientToBackend,
} from "./handoff.ts";
import { type AcceptedClient, listenBacklog, openTcpListeners, openUnixListeners } from "./listeners.ts";
import {
  addToDataDirLockFile,
  createLockFile,
  LOCK_FILE_LINE,
  PID_FILE_NAME,
  PM_STATUS,
  unlinkLockFile,
} from "./pid_file.ts";
import { type PMState, updatePmState } from "./pm_state.ts";
import { procSignalCaught, readProcCmdline } from "../ffi/procfs.ts";
import { initPsDisplay, PS_TITLE_PREFIX } from "./ps_status.ts";
import { ServerSockets } from "./server_sockets.ts";

/** How the postmaster was started. */
export interface PostmasterOptions {
  /** The data directory (made absolute here). */
  dataDir: string;
  /** `-c` options and flags (`-p`, `-k`, `-h`) as parameters, in order. */
  commandLine: readonly GucOption[];
  /** Parameters the environment sets (`PGPORT`), below the files (`gucOptionsFromEnvironment()`). */
  environment?: readonly GucOption[];
  /** The arguments as given, for postmaster.opts and the process title. */
  argv: readonly string[];
  /** The program path recorded in postmaster.opts. */
  program: string;
}

/** Shutdown levels, as PostgreSQL's NoShutdown < SmartShutdown < FastShutdown < ImmediateShutdown. */
type ShutdownLevel = 0 | 1 | 2 | 3;
const NO_SHUTDOWN = 0;
const SMART_SHUTDOWN = 1;
const FAST_SHUTDOWN = 2;
const IMMEDIATE_SHUTDOWN = 3;

/** The startup process's status (PostgreSQL's StartupStatusEnum). */
type StartupStatus = "not running" | "running" | "signaled" | "crashed";

/**
 * What a backend child is doing: `spare`, no client (starting, or idle and
 * waiting on its channel); `normal`, serving a client (or one is queued for
 * it); `dead-end`, refusing one (no channel: it exits after the refusal).
 * A recycled backend goes normal -> spare when it says it is idle again.
 */
type BackendRole = "spare" | "normal" | "dead-end";

interface ChildRecord {
  pid: number;
  type: ChildType;
  proc: Deno.ChildProcess;
  /** Backends only. */
  role?: BackendRole;
  /** Pooled backends: the postmaster's end of the channel, open until the backend has exited. */
  channelFd?: number;
  /** Pooled backends: clients handed over so far (an idle message counts those it has received). */
  clientsSent?: number;
  /** Spares: the backend said it is idle (waiting on its channel), and since when. */
  idleSinceMs?: number;
  /** Spares: SIGTERM was sent; it is never handed a client. */
  stopping?: boolean;
  spawnedAtMs: number;
  /** Signals waiting for the child to install its handlers (see _signalChild). */
  heldSignals: Deno.Signal[];
}

type AuxType = Exclude<ChildType, "backend">;

/** Interval of the loop's housekeeping tick while waiting for children to die after SIGQUIT. */
const _TICK_MS = 1000;
/** How soon a held signal is retried (a child installs its handlers within a second of starting). */
const _HELD_SIGNAL_RETRY_MS = 20;
/** Interval when nothing is pending: the loop still wakes, as PostgreSQL's ServerLoop does every minute. */
const _IDLE_TICK_MS = 60_000;

class Postmaster {
  readonly dataDir: string;
  readonly pidFilePath: string;
  settings: GucSettings;
  readonly cmdLine: readonly GucOption[];
  /** Parameters from the environment (`PGPORT`), kept for reloads. */
  readonly environment: readonly GucOption[];
  pmState: PMState = "PM_INIT";
  shutdown: ShutdownLevel = NO_SHUTDOWN;
  fatalError = false;
  connsAllowed = true;
  startupStatus: StartupStatus = "not running";
  abortStartTimeMs = 0;
  readonly children = new Map<number, ChildRecord>();
  readonly aux = new Map<AuxType, number>();
  segment: ShmemSegment | undefined;
  segmentName = "";
  sockets: ServerSockets | undefined;
  exitCode: number | undefined;
  sparesScheduled = false;
  /** When the next surplus spare may be retired (spare_backend_idle_timeout), or 0. */
  spareExpiryAtMs = 0;
  /** How many times pg_hba.conf was loaded (start and reloads): backends compare it with their copy. */
  hbaGeneration = 0;
  /** Pooled backends by the postmaster's end of their channel. */
  readonly channels = new Map<number, ChildRecord>();
  /** A child asked for the autovacuum launcher (PMSIGNAL_START_AUTOVAC_LAUNCHER). */
  startAutovacLauncher = false;
  readonly pendingSignals: Deno.Signal[] = [];
  readonly exited: { pid: number; exit: ChildExit }[] = [];
  #wakeResolve: (() => void) | undefined;
  #wakePending = false;
  #sleepMs = 0;

  constructor(
    dataDir: string,
    settings: GucSettings,
    cmdLine: readonly GucOption[],
    environment: readonly GucOption[],
  ) {
    this.dataDir = dataDir;
    this.pidFilePath = `${dataDir}/${PID_FILE_NAME}`;
    this.settings = settings;
    this.cmdLine = cmdLine;
    this.environment = environment;
  }

  /** Wakes the server loop (signal handlers, child exits). */
  wake(): void {
    this.#wakePending = true;
    this.#wakeResolve?.();
  }

  /** Ends a sleep longer than the held-signal retry interval (a signal was just held). */
  wakeIfSleepingLong(): void {
    if (this.#sleepMs > _HELD_SIGNAL_RETRY_MS) this.#wakeResolve?.();
  }

  /** Waits until woken or `timeoutMs` passes. */
  async sleep(timeoutMs: number): Promise<void> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.#sleepMs = timeoutMs;
    await new Promise<void>((resolve) => {
      this.#wakeResolve = resolve;
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    this.#sleepMs = 0;
    this.#wakeResolve = undefined;
    this.#wakePending = false;
  }

  setState(next: PMState): void {
    this.pmState = updatePmState(this.pmState, next);
  }
}

/**
 * Runs the postmaster until shutdown. Never returns normally: it exits the
 * process with PostgreSQL's codes (0 clean shutdown, 1 FATAL or crash
 * without restart, 2 unreadable configuration).
 *
 * @param options data directory, command-line settings, argv
 * @returns never (the process exits)
 * @example
 * ```ts
 * await postmasterMain({ dataDir: "/data", commandLine: [{ name: "port", value: "5433" }], argv: Deno.args, program: "server" });
 * ```
 */
export async function postmasterMain(options: PostmasterOptions): Promise<never> {
  setLogProcessInfo({ backendType: "postmaster" });
  const dataDir = _absolute(options.dataDir);
  const environment = options.environment ?? [];
  const settings = await _loadStartSettings(dataDir, options.commandLine, environment);
  configureLogging({
    logLinePrefix: settings.str("log_line_prefix"),
    logMinMessages: settings.str("log_min_messages"),
  });
  const pm = new Postmaster(dataDir, settings, options.commandLine, environment);
  try {
    checkDataDir(dataDir);
    _checkSettingCombinations(settings);
    _createPidFile(pm);
  } catch (e) {
    return _fatalExit(pm, e, false);
  }
  try {
    writeOptsFile(dataDir, options.program, options.argv);
    initPsDisplay(`postmaster ${options.argv.join(" ")}`.trim(), settings.str("cluster_name"), "postmaster");
    elog(
      "LOG",
      `starting PostgreSQL ${PG_SERVER_VERSION} on ${Deno.build.arch}-linux, compiled by Deno ${Deno.version.deno}, 64-bit`,
    );
    _openListeners(pm);
    _createSharedMemory(pm);
  } catch (e) {
    return _fatalExit(pm, e, true);
  }
  if (!_hbaFileValid(dataDir, "LOG")) {
    return _fatalExit(
      pm,
      new SqlError(SqlState.CONFIG_FILE_ERROR, "could not load pg_hba.conf", { severity: "FATAL" }),
      true,
    );
  }
  pm.hbaGeneration = 1;
  _installSignalHandlers(pm);
  addToDataDirLockFile(pm.pidFilePath, LOCK_FILE_LINE.PM_STATUS, PM_STATUS.STARTING);
  _startAux(pm, "startup");
  pm.startupStatus = "running";
  pm.setState("PM_STARTUP");
  pm.sockets!.start();
  return await _serverLoop(pm);
}

/** PostmasterMain's checks of settings that are valid alone but not together: a message on stderr, exit 1. */
function _checkSettingCombinations(settings: GucSettings): void {
  const reserved = settings.int("superuser_reserved_connections");
  const max = settings.int("max_connections");
  if (reserved >= max) {
    console.error(`server: superuser_reserved_connections (${reserved}) must be less than max_connections (${max})`);
    Deno.exit(1);
  }
}

function _absolute(dir: string): string {
  const abs = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  return abs.replace(/\/+$/, "").replace(/\/\.(?=\/|$)/g, "") || "/";
}

async function _loadStartSettings(
  dataDir: string,
  cmdLine: readonly GucOption[],
  environment: readonly GucOption[],
): Promise<GucSettings> {
  try {
    return await loadSettings(dataDir, cmdLine, environment);
  } catch (e) {
    if (e instanceof ConfigFileError) {
      for (const err of e.errors) elog("LOG", err.message, { hint: err.hint });
      elog("FATAL", `configuration file "${e.file}" contains errors`);
      Deno.exit(1);
    }
    if (e instanceof SqlError) {
      // A bad command-line or PGPORT value (server_command.ts checks them first, in order).
      elog("FATAL", e.message, { hint: e.hint });
      Deno.exit(1);
    }
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      console.error(
        `server: could not access the server configuration file "${dataDir}/postgresql.conf": ${
          e instanceof Deno.errors.NotFound ? "No such file or directory" : "Permission denied"
        }`,
      );
      Deno.exit(2);
    }
    throw e;
  }
}

function _createPidFile(pm: Postmaster): void {
  const startTimeSec = Math.floor(Date.now() / 1000);
  createLockFile(pm.pidFilePath, { kind: "datadir", dataDir: pm.dataDir }, [
    String(Deno.pid),
    pm.dataDir,
    String(startTimeSec),
    String(pm.settings.int("port")),
    "",
  ], (old) => {
    // A dead postmaster's segment: gone if nobody maps it, FATAL if someone still does.
    if (old.shmemKey !== undefined && old.shmemKey.startsWith("/")) removeStaleShmemSegment(old.shmemKey, pm.dataDir);
  });
  _pidFileCreated = true;
}

let _pidFileCreated = false;

function _openListeners(pm: Postmaster): void {
  const port = pm.settings.int("port");
  const backlog = listenBacklog(pm.settings.int("max_connections"));
  const tcp = openTcpListeners(pm.settings.str("listen_addresses"), port, backlog);
  pm.sockets = new ServerSockets({
    onClient: (c) => _handleClient(pm, c),
    onBackendStatus: (fd, s) => _backendStatus(pm, fd, s),
  });
  pm.sockets.addListeners(tcp.listeners);
  addToDataDirLockFile(pm.pidFilePath, LOCK_FILE_LINE.LISTEN_ADDR, tcp.firstEntry);
  const lockLines = [String(Deno.pid), pm.dataDir, _readPidFileLine(pm, LOCK_FILE_LINE.START_TIME), String(port)];
  const unix = openUnixListeners(
    pm.settings.str("unix_socket_directories"),
    port,
    lockLines,
    pm.settings.int("unix_socket_permissions"),
    backlog,
  );
  pm.sockets.addListeners(unix.listeners);
  addToDataDirLockFile(pm.pidFilePath, LOCK_FILE_LINE.SOCKET_DIR, unix.firstDir);
}

function _readPidFileLine(pm: Postmaster, line: number): string {
  return Deno.readTextFileSync(pm.pidFilePath).split("\n")[line - 1] ?? "";
}

function _createSharedMemory(pm: Postmaster): void {
  pm.segmentName = makeShmemSegmentName(pm.settings.int("port"));
  pm.segment = createShmemSegment(pm.segmentName, pm.settings, { initialize: storageShmemInit });
  addToDataDirLockFile(pm.pidFilePath, LOCK_FILE_LINE.SHMEM_KEY, pm.segmentName);
}

function _installSignalHandlers(pm: Postmaster): void {
  for (const sig of ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1"] as const) {
    Deno.addSignalListener(sig, () => {
      pm.pendingSignals.push(sig);
      pm.wake();
    });
  }
  // Reserved for children, as PostgreSQL's postmaster: ignore rather than die.
  Deno.addSignalListener("SIGUSR2", () => {});
}

// ---------------------------------------------------------------------------
// The server loop.

async function _serverLoop(pm: Postmaster): Promise<never> {
  for (;;) {
    while (pm.pendingSignals.length > 0) _processSignal(pm, pm.pendingSignals.shift()!);
    _reaper(pm);
    _stateMachine(pm);
    if (pm.exitCode !== undefined) return _exitPostmaster(pm, pm.exitCode);
    _startMissingChildren(pm);
    _maybeKillRecalcitrant(pm);
    const held = _deliverHeldSignals(pm);
    let sleepMs = held ? _HELD_SIGNAL_RETRY_MS : pm.abortStartTimeMs !== 0 ? _TICK_MS : _IDLE_TICK_MS;
    if (pm.spareExpiryAtMs !== 0) sleepMs = Math.max(0, Math.min(sleepMs, pm.spareExpiryAtMs - Date.now()));
    await pm.sleep(sleepMs);
  }
}

function _processSignal(pm: Postmaster, sig: Deno.Signal): void {
  switch (sig) {
    case "SIGHUP":
      return void _reload(pm);
    case "SIGTERM":
      return _requestShutdown(pm, SMART_SHUTDOWN);
    case "SIGINT":
      return _requestShutdown(pm, FAST_SHUTDOWN);
    case "SIGQUIT":
      return _requestShutdown(pm, IMMEDIATE_SHUTDOWN);
    case "SIGUSR1":
      return _processPmSignals(pm);
  }
}

/** sigusr1_handler: test-and-clear each request a child left in shared memory. */
function _processPmSignals(pm: Postmaster): void {
  const seg = pm.segment;
  if (seg === undefined) return;
  // PMSIGNAL_ADVANCE_STATE_MACHINE needs nothing more: the loop runs the state machine next.
  checkPostmasterSignal(seg, "PMSIGNAL_ADVANCE_STATE_MACHINE");
  if (checkPostmasterSignal(seg, "PMSIGNAL_START_AUTOVAC_LAUNCHER")) pm.startAutovacLauncher = true;
}

function _requestShutdown(pm: Postmaster, level: ShutdownLevel): void {
  if (pm.shutdown >= level) return;
  pm.shutdown = level;
  const name = level === SMART_SHUTDOWN ? "smart" : level === FAST_SHUTDOWN ? "fast" : "immediate";
  elog("LOG", `received ${name} shutdown request`);
  addToDataDirLockFile(pm.pidFilePath, LOCK_FILE_LINE.PM_STATUS, PM_STATUS.STOPPING);
  _stopSpares(pm);
  if (level === SMART_SHUTDOWN) {
    if (pm.pmState === "PM_RUN") pm.connsAllowed = false;
    else if (pm.pmState === "PM_STARTUP") pm.setState("PM_STOP_BACKENDS");
  } else if (level === FAST_SHUTDOWN) {
    if (pm.pmState === "PM_STARTUP") pm.setState("PM_STOP_BACKENDS");
    else if (pm.pmState === "PM_RUN") {
      elog("LOG", "aborting any active transactions");
      pm.setState("PM_STOP_BACKENDS");
    }
  } else {
    pm.segment?.setState("discarded");
    _signalChildren(pm, "SIGQUIT", () => true);
    if (pm.pmState !== "PM_WAIT_BACKENDS") pm.setState("PM_WAIT_BACKENDS");
    pm.abortStartTimeMs = Date.now();
  }
}

// ---------------------------------------------------------------------------
// Children.

function _spawn(pm: Postmaster, type: ChildType, extra: Partial<ChildRecord>, spec: {
  channelFd?: number;
  client?: { fd: number; conn: ClientConnection };
} = {}): ChildRecord | undefined {
  let proc: Deno.ChildProcess;
  try {
    proc = spawnChild({
      type,
      dataDir: pm.dataDir,
      shmemName: pm.segmentName,
      gucOptions: childGucOptions(pm.settings),
      ...(type === "backend" ? { hbaGeneration: pm.hbaGeneration } : {}),
      ...spec,
    });
  } catch (e) {
    elog("LOG", `could not fork ${CHILD_PROC_NAMES[type]}: ${(e as Error).message}`);
    return undefined;
  }
  const rec: ChildRecord = { pid: proc.pid, type, proc, spawnedAtMs: Date.now(), heldSignals: [], ...extra };
  pm.children.set(rec.pid, rec);
  proc.status.then((status) => {
    pm.exited.push({ pid: rec.pid, exit: childExitOf(status) });
    pm.wake();
  });
  return rec;
}

function _startAux(pm: Postmaster, type: AuxType): void {
  assert(!pm.aux.has(type), `${type} is not running`);
  const rec = _spawn(pm, type, {});
  if (rec !== undefined) pm.aux.set(type, rec.pid);
}

/** Signals a starting child could die of before it installs its handlers (their default action terminates). */
const _CATCHABLE_SIGNALS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
};

/**
 * Whether a child has installed its listener for a signal. PostgreSQL's
 * children inherit a blocked signal mask; ours start with default
 * dispositions, and Deno's runtime catches SIGHUP, SIGINT, SIGUSR1 and
 * SIGTERM by itself at some point of its start (re-raising them while no
 * listener exists), so a caught signal (SigCgt) alone proves nothing: a child
 * sets its process title (`denogres: …`) only after its listeners are in
 * place (initChildProcess).
 */
function _signalCaught(pid: number, signo: number): boolean {
  return procSignalCaught(pid, signo) && (readProcCmdline(pid)?.startsWith(PS_TITLE_PREFIX) ?? false);
}

/**
 * Sends a signal to a child, or holds it until the child has installed its
 * listener for it ({@link _signalCaught}).
 */
function _signalChild(pm: Postmaster, rec: ChildRecord, sig: Deno.Signal): void {
  const signo = _CATCHABLE_SIGNALS[sig];
  if (signo !== undefined && !_signalCaught(rec.pid, signo)) {
    if (!rec.heldSignals.includes(sig)) rec.heldSignals.push(sig);
    pm.wakeIfSleepingLong(); // the loop retries held signals every _HELD_SIGNAL_RETRY_MS
    return;
  }
  try {
    rec.proc.kill(sig);
  } catch {
    // Already exited: the reaper will hear of it.
  }
}

/** Delivers held signals to children that can now catch them. */
function _deliverHeldSignals(pm: Postmaster): boolean {
  let anyHeld = false;
  for (const rec of pm.children.values()) {
    for (const sig of rec.heldSignals.splice(0)) _signalChild(pm, rec, sig);
    anyHeld ||= rec.heldSignals.length > 0;
  }
  return anyHeld;
}

function _signalChildren(pm: Postmaster, sig: Deno.Signal, which: (rec: ChildRecord) => boolean): void {
  for (const rec of pm.children.values()) if (which(rec)) _signalChild(pm, rec, sig);
}

function _countBackends(pm: Postmaster, roles: readonly BackendRole[]): number {
  let n = 0;
  for (const rec of pm.children.values()) if (rec.type === "backend" && roles.includes(rec.role!)) n++;
  return n;
}

function _auxRunning(pm: Postmaster, type: AuxType): boolean {
  return pm.aux.has(type);
}

// ---------------------------------------------------------------------------
// The reaper: what each child's exit means.

function _reaper(pm: Postmaster): void {
  while (pm.exited.length > 0) {
    const { pid, exit } = pm.exited.shift()!;
    const rec = pm.children.get(pid);
    if (rec === undefined) continue;
    pm.children.delete(pid);
    void rec.proc.stdin.close().catch(() => {});
    _retireChannel(pm, rec);
    const ok0 = exit.code === 0;
    if (rec.type === "backend") {
      if (!(ok0 || exit.code === 1)) _handleChildCrash(pm, rec, exit);
      continue;
    }
    pm.aux.delete(rec.type);
    switch (rec.type) {
      case "startup":
        _startupExited(pm, rec, exit);
        break;
      case "checkpointer":
        if (ok0 && pm.pmState === "PM_SHUTDOWN") pm.setState("PM_SHUTDOWN_2");
        else _handleChildCrash(pm, rec, exit);
        break;
      default:
        if (!ok0) _handleChildCrash(pm, rec, exit);
    }
  }
}

function _startupExited(pm: Postmaster, rec: ChildRecord, exit: ChildExit): void {
  if (pm.shutdown > NO_SHUTDOWN && (exit.code === 0 || exit.code === 1)) {
    pm.startupStatus = "not running";
    if (pm.pmState !== "PM_WAIT_BACKENDS") pm.setState("PM_WAIT_BACKENDS");
    return;
  }
  if (pm.pmState === "PM_STARTUP" && pm.startupStatus !== "signaled" && exit.code !== 0) {
    _logChildExit(pm, CHILD_PROC_NAMES.startup, rec.pid, exit);
    elog("LOG", "aborting startup due to startup process failure");
    pm.exitCode = 1;
    return;
  }
  if (exit.code !== 0) {
    if (pm.startupStatus === "signaled") {
      pm.startupStatus = "not running";
      if (pm.pmState === "PM_STARTUP") pm.setState("PM_WAIT_BACKENDS");
    } else pm.startupStatus = "crashed";
    _handleChildCrash(pm, rec, exit);
    return;
  }
  pm.startupStatus = "not running";
  pm.fatalError = false;
  pm.abortStartTimeMs = 0;
  pm.setState("PM_RUN");
  pm.connsAllowed = true;
  // Ready first: the background processes and spares are started by _startMissingChildren in this same loop
  // iteration. PostgreSQL forks them before saying ready, at a fraction of a millisecond each; spawning six Deno
  // processes costs the postmaster 20-50 ms, which a client waiting for `ready` need not wait for (a connection
  // arriving meanwhile is served by a backend started for it).
  elog("LOG", "database system is ready to accept connections");
  addToDataDirLockFile(pm.pidFilePath, LOCK_FILE_LINE.PM_STATUS, PM_STATUS.READY);
}

function _handleChildCrash(pm: Postmaster, rec: ChildRecord, exit: ChildExit): void {
  const takeAction = !pm.fatalError && pm.shutdown !== IMMEDIATE_SHUTDOWN;
  // Only the first crash, outside an immediate shutdown, is logged and acted on: after the
  // SIGQUITs, other children's abnormal exits are expected.
  if (takeAction) {
    _logChildExit(pm, CHILD_PROC_NAMES[rec.type], rec.pid, exit);
    elog("LOG", "terminating any other active server processes");
    pm.segment?.setState("discarded"); // waiters in the segment give up at once (lib/shmem invariant 3)
    _signalChildren(pm, "SIGQUIT", () => true);
    if (pm.aux.has("startup")) pm.startupStatus = "signaled";
    pm.fatalError = true;
  }
  if (["PM_RUN", "PM_STOP_BACKENDS", "PM_SHUTDOWN"].includes(pm.pmState)) pm.setState("PM_WAIT_BACKENDS");
  if (pm.abortStartTimeMs === 0) pm.abortStartTimeMs = Date.now();
}

/**
 * LogChildExit: how a child ended and, when it was a backend whose slot
 * still holds a query (it died without releasing it), that query as
 * `DETAIL:  Failed process was running: …`. Read here, in the reaper,
 * before the crash reset re-creates the segment.
 */
function _logChildExit(pm: Postmaster, procName: string, pid: number, exit: ChildExit): void {
  const activity = exit.code === 0 || pm.segment === undefined
    ? undefined
    : pgstatGetCrashedBackendActivity(pm.segment, pid);
  elog("LOG", describeChildExit(procName, pid, exit), {
    ...(activity === undefined ? {} : { detail: `Failed process was running: ${activity}` }),
  });
}

function _maybeKillRecalcitrant(pm: Postmaster): void {
  if (
    (pm.shutdown >= IMMEDIATE_SHUTDOWN || pm.fatalError) && pm.abortStartTimeMs !== 0 &&
    Date.now() - pm.abortStartTimeMs >= CHILD_QUIT_GRACE_MS
  ) {
    if (pm.children.size > 0) {
      elog("LOG", "issuing SIGKILL to recalcitrant children");
      _signalChildren(pm, "SIGKILL", () => true);
    }
    pm.abortStartTimeMs = 0;
  }
}

// ---------------------------------------------------------------------------
// The state machine's actions (PostmasterStateMachine).

function _stateMachine(pm: Postmaster): void {
  if (pm.pmState === "PM_RUN" && !pm.connsAllowed && _countBackends(pm, ["normal"]) === 0) {
    pm.setState("PM_STOP_BACKENDS");
  }
  if (pm.pmState === "PM_STOP_BACKENDS") {
    _signalChildren(pm, "SIGTERM", (r) => r.type === "backend" && r.role !== "dead-end");
    for (const t of ["autovacuum-launcher", "bgwriter", "walwriter", "startup"] as const) {
      const pid = pm.aux.get(t);
      if (pid !== undefined) _signalChild(pm, pm.children.get(pid)!, "SIGTERM");
    }
    pm.setState("PM_WAIT_BACKENDS");
  }
  if (pm.pmState === "PM_WAIT_BACKENDS") _waitBackendsDone(pm);
  if (pm.pmState === "PM_SHUTDOWN_2" && _countBackends(pm, ["normal", "spare"]) === 0) {
    pm.setState("PM_WAIT_DEAD_END");
  }
  if (pm.pmState === "PM_WAIT_DEAD_END") {
    pm.sockets!.setAccepting(false);
    if (pm.children.size === 0) pm.setState("PM_NO_CHILDREN");
  }
  if (pm.pmState === "PM_NO_CHILDREN") _noChildren(pm);
}

function _waitBackendsDone(pm: Postmaster): void {
  const quitCheckpointer = pm.fatalError || pm.shutdown >= IMMEDIATE_SHUTDOWN;
  const busy = _countBackends(pm, ["normal", "spare"]) > 0 ||
    (["startup", "bgwriter", "walwriter", "autovacuum-launcher"] as const).some((t) => _auxRunning(pm, t)) ||
    (quitCheckpointer && _auxRunning(pm, "checkpointer"));
  if (busy) return;
  if (quitCheckpointer) {
    pm.setState("PM_WAIT_DEAD_END");
    return;
  }
  assert(pm.shutdown > NO_SHUTDOWN, "a normal shutdown is in progress");
  if (!_auxRunning(pm, "checkpointer")) _startAux(pm, "checkpointer");
  const pid = pm.aux.get("checkpointer");
  if (pid !== undefined) {
    _signalChild(pm, pm.children.get(pid)!, "SIGUSR2");
    pm.setState("PM_SHUTDOWN");
  } else {
    pm.fatalError = true;
    pm.setState("PM_WAIT_DEAD_END");
    _signalChildren(pm, "SIGQUIT", () => true);
  }
}

function _noChildren(pm: Postmaster): void {
  if (pm.shutdown > NO_SHUTDOWN) {
    if (pm.fatalError) elog("LOG", "abnormal database system shutdown");
    pm.exitCode = pm.fatalError ? 1 : 0;
    return;
  }
  if (pm.startupStatus === "crashed") {
    elog("LOG", "shutting down due to startup process failure");
    pm.exitCode = 1;
    return;
  }
  if (!pm.settings.bool("restart_after_crash")) {
    elog("LOG", "shutting down because restart_after_crash is off");
    pm.exitCode = 1;
    return;
  }
  assert(pm.fatalError, "only a crash leads to PM_NO_CHILDREN without shutdown");
  elog("LOG", "all server processes terminated; reinitializing");
  pm.segment = resetShmemSegment(pm.segment!, pm.settings, { initialize: storageShmemInit });
  _startAux(pm, "startup");
  pm.startupStatus = "running";
  pm.setState("PM_STARTUP");
  pm.abortStartTimeMs = 0;
  pm.sockets!.setAccepting(true);
}

/** ServerLoop's restarts of lost background processes, and the spare pool. */
function _startMissingChildren(pm: Postmaster): void {
  if (pm.pmState !== "PM_RUN") return;
  for (const t of ["checkpointer", "bgwriter", "walwriter"] as const) if (!_auxRunning(pm, t)) _startAux(pm, t);
  if ((pm.settings.bool("autovacuum") || pm.startAutovacLauncher) && !_auxRunning(pm, "autovacuum-launcher")) {
    _startAux(pm, "autovacuum-launcher");
    pm.startAutovacLauncher = false;
  }
  _maintainSpares(pm);
}

// ---------------------------------------------------------------------------
// Connections: admission, spares, hand-off.

/** MaxLivePostmasterChildren: twice the backends that may exist, counting ones still authenticating. */
function _maxLiveChildren(pm: Postmaster): number {
  return 2 * (pm.settings.int("max_connections") + pm.settings.int("autovacuum_max_workers") + 1);
}

/** canAcceptConnections() for a client backend. */
function _canAcceptConnections(pm: Postmaster): CacState {
  if (pm.pmState !== "PM_RUN") {
    if (pm.shutdown > NO_SHUTDOWN) return "shutdown";
    if (!pm.fatalError && pm.pmState === "PM_STARTUP") return "startup";
    return "recovery";
  }
  if (!pm.connsAllowed) return "shutdown";
  if (_countBackends(pm, ["normal", "dead-end"]) >= _maxLiveChildren(pm)) return "toomany";
  return "ok";
}

function _handleClient(pm: Postmaster, client: AcceptedClient): void {
  const cac = _canAcceptConnections(pm);
  const conn: ClientConnection = {
    remoteHost: client.peer.host,
    ...(client.peer.port === undefined ? {} : { remotePort: client.peer.port }),
    local: client.local,
    acceptTimeMs: Date.now(),
    cac,
    hbaGeneration: pm.hbaGeneration,
  };
  const spare = cac === "ok" ? _takeSpare(pm) : undefined;
  if (spare !== undefined && sendClientToBackend(spare.channelFd!, client.fd, conn)) {
    spare.role = "normal";
    spare.clientsSent! += 1;
    spare.idleSinceMs = undefined;
  } else {
    if (spare !== undefined) _stopSpare(pm, spare); // it stopped waiting: it is on its way out
    if (cac === "ok") _spawnBackend(pm, "normal", { fd: client.fd, conn });
    else _spawn(pm, "backend", { role: "dead-end" }, { client: { fd: client.fd, conn } });
  }
  pm.sockets!.closeFd(client.fd);
  _scheduleMaintainSpares(pm);
}

/**
 * Starts a pooled backend with its channel: a spare, or one for a client
 * that found no spare (it serves that client first, then joins the pool).
 */
function _spawnBackend(
  pm: Postmaster,
  role: "spare" | "normal",
  client?: { fd: number; conn: ClientConnection },
): ChildRecord | undefined {
  let pmEnd: number, childEnd: number;
  try {
    [pmEnd, childEnd] = createBackendChannel();
  } catch (e) {
    // Out of descriptors, say: like a failed fork, the connection is lost and the postmaster goes on.
    elog("LOG", `could not fork new process for connection: ${(e as Error).message}`);
    return undefined;
  }
  const rec = _spawn(pm, "backend", { role, channelFd: pmEnd, clientsSent: client === undefined ? 0 : 1 }, {
    channelFd: childEnd,
    ...(client === undefined ? {} : { client }),
  });
  pm.sockets!.closeFd(childEnd);
  if (rec === undefined) {
    pm.sockets!.closeFd(pmEnd);
    return undefined;
  }
  pm.channels.set(pmEnd, rec);
  pm.sockets!.addChannel(pmEnd);
  return rec;
}

/**
 * Starts replacement spares once the accept loop is back to polling: a burst
 * of connections is handed over first, and a spawn (a millisecond or more of
 * the postmaster's time) never delays the hand-off in progress.
 */
function _scheduleMaintainSpares(pm: Postmaster): void {
  if (pm.sparesScheduled) return;
  pm.sparesScheduled = true;
  setTimeout(() => {
    pm.sparesScheduled = false;
    _maintainSpares(pm);
  }, 0);
}

/**
 * The backend to hand a client to: an idle one, the most recently idle first
 * (its code and caches are the warmest, and the longest-idle surplus can
 * time out); else one still starting, the oldest first.
 */
function _takeSpare(pm: Postmaster): ChildRecord | undefined {
  let best: ChildRecord | undefined;
  for (const rec of pm.children.values()) {
    if (rec.role !== "spare" || rec.stopping || rec.channelFd === undefined) continue;
    if (best === undefined) best = rec;
    else if (rec.idleSinceMs !== undefined) {
      if (best.idleSinceMs === undefined || rec.idleSinceMs > best.idleSinceMs) best = rec;
    } else if (best.idleSinceMs === undefined && rec.spawnedAtMs < best.spawnedAtMs) best = rec;
  }
  return best;
}

/** A backend's message: idle again (a spare, possibly recycled), or its channel closed. */
function _backendStatus(pm: Postmaster, channelFd: number, status: Exclude<BackendStatus, { kind: "none" }>): void {
  const rec = pm.channels.get(channelFd);
  if (rec === undefined) return;
  if (status.kind === "closed") {
    _retireChannel(pm, rec);
    return;
  }
  // A count behind what was sent is an idle message the backend sent before it received its latest client.
  if (status.clientsReceived !== rec.clientsSent) return;
  rec.role = "spare";
  rec.idleSinceMs = Date.now();
  if (!_acceptingSpares(pm)) _stopSpare(pm, rec);
  else _maintainSpares(pm);
  pm.wake(); // a smart shutdown may have been waiting for this session to end
}

function _retireChannel(pm: Postmaster, rec: ChildRecord): void {
  if (rec.channelFd === undefined) return;
  pm.channels.delete(rec.channelFd);
  pm.sockets!.retireChannel(rec.channelFd);
  rec.channelFd = undefined;
}

function _stopSpare(pm: Postmaster, rec: ChildRecord): void {
  if (rec.stopping) return;
  rec.stopping = true;
  _signalChild(pm, rec, "SIGTERM");
}

/** Whether the pool should hold spares: running, accepting, not shutting down. */
function _acceptingSpares(pm: Postmaster): boolean {
  return pm.pmState === "PM_RUN" && pm.connsAllowed && pm.shutdown === NO_SHUTDOWN;
}

/**
 * Keeps `spare_backends` spares: starts missing ones, and retires surplus
 * spares (recycled backends beyond the target) that have waited
 * `spare_backend_idle_timeout`, or at once when `retireSurplusNow`.
 */
function _maintainSpares(pm: Postmaster, retireSurplusNow = false): void {
  pm.spareExpiryAtMs = 0;
  if (!_acceptingSpares(pm)) return;
  const wanted = pm.settings.int("spare_backends");
  const spares = [...pm.children.values()].filter((r) => r.role === "spare" && !r.stopping);
  _retireSurplusSpares(pm, spares, wanted, retireSurplusNow);
  const live = spares.filter((r) => !r.stopping).length;
  const room = _maxLiveChildren(pm) - _countBackends(pm, ["normal", "dead-end", "spare"]);
  for (let n = live; n < wanted && n - live < room; n++) {
    if (_spawnBackend(pm, "spare") === undefined) return;
  }
}

function _retireSurplusSpares(pm: Postmaster, spares: ChildRecord[], wanted: number, now: boolean): void {
  let surplus = spares.length - wanted;
  const timeoutMs = pm.settings.int("spare_backend_idle_timeout");
  const nowMs = Date.now();
  // Starting spares first (they have served nobody yet; only a reload retires them), then the longest idle.
  const order = [...spares].sort((a, b) => (a.idleSinceMs ?? -1) - (b.idleSinceMs ?? -1));
  for (const rec of order) {
    if (surplus <= 0) return;
    if (rec.idleSinceMs === undefined && !now) continue;
    if (!now && nowMs - rec.idleSinceMs! < timeoutMs) {
      pm.spareExpiryAtMs = rec.idleSinceMs! + timeoutMs; // the earliest: the rest are idle for less
      return;
    }
    _stopSpare(pm, rec);
    surplus--;
  }
}

function _stopSpares(pm: Postmaster): void {
  for (const rec of pm.children.values()) if (rec.role === "spare") _stopSpare(pm, rec);
}

// ---------------------------------------------------------------------------
// Reload (SIGHUP).

async function _reload(pm: Postmaster): Promise<void> {
  elog("LOG", "received SIGHUP, reloading configuration files");
  // pg_hba.conf first, synchronously: a connection accepted after this line carries the new generation.
  if (_hbaFileValid(pm.dataDir, "LOG")) pm.hbaGeneration++;
  else elog("WARNING", "pg_hba.conf was not reloaded");
  let reloaded: ReloadOutcome;
  try {
    reloaded = await reloadSettings(pm.settings, pm.dataDir, pm.environment);
  } catch (e) {
    if (e instanceof ConfigFileError) {
      for (const err of e.errors) elog("LOG", err.message, { hint: err.hint });
      elog("LOG", `configuration file "${e.file}" contains errors; no changes were applied`);
      return;
    }
    elog("LOG", `could not open configuration file "${pm.dataDir}/postgresql.conf": ${(e as Error).message}`);
    return;
  }
  for (const m of reloaded.messages) elog("LOG", m.message, { hint: m.hint });
  if (reloaded.errorFile !== undefined) {
    elog("LOG", `configuration file "${reloaded.errorFile}" contains errors; unaffected changes were applied`);
  }
  pm.settings = reloaded.settings;
  configureLogging({
    logLinePrefix: pm.settings.str("log_line_prefix"),
    logMinMessages: pm.settings.str("log_min_messages"),
  });
  _signalChildren(pm, "SIGHUP", (r) => r.role !== "dead-end");
  if (!pm.settings.bool("autovacuum")) {
    const pid = pm.aux.get("autovacuum-launcher");
    if (pid !== undefined) _signalChild(pm, pm.children.get(pid)!, "SIGTERM");
  }
  _maintainSpares(pm, true);
  pm.wake();
}

/**
 * Checks pg_hba.conf as PostgreSQL's load_hba does at start and on reload,
 * logging each error. Backends parse the file themselves, once and again
 * when this check passed since they last did (the generation in the
 * hand-off header; lib/tcop/auth_cache.ts), so an edit takes effect at
 * reload as in PostgreSQL.
 */
function _hbaFileValid(dataDir: string, level: "LOG"): boolean {
  const path = `${dataDir}/pg_hba.conf`;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    elog(level, `could not open configuration file "${path}": ${(e as Error).message}`);
    return false;
  }
  const { errors } = parseHbaFile(text);
  for (const err of errors) {
    elog(level, err.message, { context: `line ${err.lineNumber} of configuration file "${path}"` });
  }
  return errors.length === 0;
}

// ---------------------------------------------------------------------------
// Exit.

function _fatalExit(pm: Postmaster, e: unknown, cleanup: boolean): never {
  if (!(e instanceof SqlError)) throw e;
  elog("FATAL", e.message, { detail: e.detail, hint: e.hint });
  if (cleanup || _pidFileCreated) return _exitPostmaster(pm, 1);
  Deno.exit(1);
}

function _exitPostmaster(pm: Postmaster, code: number): never {
  pm.sockets?.stop();
  if (pm.segment !== undefined) {
    pm.segment.detach();
    unlinkShmemSegment(pm.segmentName);
  }
  if (_pidFileCreated) {
    unlinkLockFile(pm.pidFilePath);
    elog("LOG", "database system is shut down");
  }
  Deno.exit(code);
}
