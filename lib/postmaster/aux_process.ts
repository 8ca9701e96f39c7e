/**
 * aux_process.ts — the plumbing every postmaster child shares: signal flags,
 * the postmaster-death watch, the process title, configuration (re)loading,
 * shared-memory attachment and, for auxiliary processes, their process-array
 * slot. Each subsystem's `…Main()` receives a {@link ChildContext} and is
 * only its loop.
 *
 * PostgreSQL counterpart: AuxiliaryProcessMain() and the signal set-up of
 * each process (src/backend/postmaster/auxprocess.c,
 * src/backend/postmaster/interrupt.c: SignalHandlerForConfigReload,
 * SignalHandlerForShutdownRequest, SignalHandlerForCrashExit;
 * src/backend/storage/ipc/pmsignal.c: PostmasterIsAlive).
 *
 * NOTES
 * Signal handlers only set flags, call the process's registered listeners
 * (e.g. a backend cancelling its running query) and set the process's own
 * latch, so waitForWork() returns (PostgreSQL's handlers do SetLatch(MyLatch)). SIGQUIT is the exception, as in PostgreSQL: the
 * process exits with code 2 at once, without cleanup (listeners run first,
 * so a backend can tell its client; they must not touch shared state).
 * Postmaster death: the child's stdin is a pipe whose write end only the
 * postmaster holds; end of file means the postmaster is gone and the child
 * exits 1 immediately, so no orphan survives it. Configuration is loaded at
 * start from the data directory plus the postmaster's `-c` options, and
 * re-read when `reloadPending` is acted on; a file with errors keeps the
 * settings in force, as PostgreSQL's children do. Requires the server
 * permission set (see child_process.ts).
 *
 * @module
 */

import { assert, AssertionError } from "../common/assert.ts";
import { SqlError } from "../common/errors.ts";
import {
  ConfigFileError,
  findGuc,
  type GucName,
  GucSettings,
  loadSettings,
  parseGucValue,
  type ReloadOutcome,
  reloadSettings,
} from "../config/mod.ts";
import { configureLogging, elog, setLogProcessInfo } from "../log/mod.ts";
import {
  attachShmemSegment,
  type BackendType,
  procArrayClaimSlot,
  procArrayReleaseSlot,
  setLatch,
  type ShmemSegment,
  waitLatch,
  type WaitLatchResult,
} from "../shmem/mod.ts";
import { CHILD_BACKEND_TYPES, type ChildType } from "./child_process.ts";
import { initPsDisplay } from "./ps_status.ts";

/** Signals a child reacts to (SIGQUIT ends it at once and is not a flag). */
export type ChildSignal = "SIGHUP" | "SIGTERM" | "SIGINT" | "SIGUSR1" | "SIGUSR2" | "SIGQUIT";

/**
 * Flags set by signal handlers; the process's loop clears them as it acts.
 * Meanings follow contract 2 of the team brief and PostgreSQL.
 */
export interface ChildSignalFlags {
  /** SIGHUP: re-read the configuration (call {@link ChildContext.reloadConfigIfPending}). */
  reloadPending: boolean;
  /** SIGTERM: terminate (backend: FATAL 57P01 `terminating connection due to administrator command`; bgwriter, walwriter, autovacuum launcher: exit 0). */
  terminatePending: boolean;
  /** SIGINT: cancel the running query (backend: 57014). */
  interruptPending: boolean;
  /** SIGUSR2: checkpointer: write the shutdown checkpoint, then exit 0; other auxiliary processes: exit 0. */
  shutdownPending: boolean;
  /** SIGUSR1: a request waiting in shared memory (procsignal). */
  procSignalPending: boolean;
}

/** Options given to a child on its command line by the postmaster. */
export interface ChildArgs {
  type: ChildType;
  dataDir: string;
  shmemName: string;
  commandLine: { name: string; value: string }[];
}

/** Everything a child's main loop needs; see the module notes. */
export interface ChildContext {
  readonly type: ChildType;
  readonly dataDir: string;
  /** Settings in force; replaced by {@link reloadConfigIfPending}. */
  settings: GucSettings;
  /** The shared-memory segment, attached read-write. */
  readonly segment: ShmemSegment;
  /** Signal flags. */
  readonly signals: ChildSignalFlags;
  /**
   * Registers a function called right after a signal's flag is set (for
   * SIGQUIT: right before exit 2; it must not touch shared state).
   *
   * @returns a function that removes the listener (a session's listeners
   *   go with the session in a recycled backend)
   */
  onSignal(listener: (sig: ChildSignal) => void): () => void;
  /**
   * Sleeps until this process's latch is set (by a signal of its own, by
   * {@link wake}, or by another process's `setLatch`) or `timeoutMs` passes
   * (PostgreSQL's WaitLatch). Callers loop: wait, then check their flags.
   * Before the process holds a process-array slot (a spare backend) only
   * signals and {@link wake} end the wait.
   *
   * Lock contract: call with no spinlock or LWLock held.
   *
   * @param timeoutMs longest wait
   * @param waitEvent wait event to publish meanwhile (`waitEventInfo(...)`), 0 for none
   * @returns "set" or "timeout"
   */
  waitForWork(timeoutMs: number, waitEvent?: number): Promise<WaitLatchResult>;
  /** Sets this process's own latch (SetLatch(MyLatch)). */
  wake(): void;
  /**
   * Re-reads the configuration if SIGHUP asked for it, clearing the flag.
   * Errors are logged and the settings in force stay.
   *
   * @returns true when settings changed
   */
  reloadConfigIfPending(): Promise<boolean>;
  /**
   * Registers cleanup for an orderly exit ({@link exit}); run last-registered
   * first. Registered while a session is open ({@link beginSession}), it is
   * session state: run at {@link endSession} too.
   */
  onExit(fn: () => void): void;
  /** Orderly exit: runs exit callbacks, releases the process-array slot, exits with `code`. */
  exit(code: number): never;
  /**
   * Backends: marks the start of a client session. Everything registered
   * with {@link onExit} from now on belongs to the session.
   */
  beginSession(): void;
  /**
   * Backends: releases what the session holds exactly as an orderly exit
   * would (its exit callbacks, last first; then its process-array slot with
   * any LWLocks), and clears the signal flags that concern only the session
   * (a late cancel), so the process can serve another client.
   */
  endSession(): void;
}

class _Child implements ChildContext {
  readonly type: ChildType;
  readonly dataDir: string;
  settings: GucSettings;
  readonly segment: ShmemSegment;
  readonly signals: ChildSignalFlags = {
    reloadPending: false,
    terminatePending: false,
    interruptPending: false,
    shutdownPending: false,
    procSignalPending: false,
  };
  readonly #listeners: ((sig: ChildSignal) => void)[] = [];
  readonly #exitFns: (() => void)[] = [];
  #localResolve: (() => void) | undefined;
  #localSet = false;
  /** Index in #exitFns where the open session's callbacks start; -1: no session. */
  #sessionExitFnsFrom = -1;

  constructor(args: ChildArgs, settings: GucSettings, segment: ShmemSegment) {
    this.type = args.type;
    this.dataDir = args.dataDir;
    this.settings = settings;
    this.segment = segment;
  }

  onSignal(listener: (sig: ChildSignal) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  signal(sig: ChildSignal): void {
    if (sig === "SIGQUIT") {
      for (const l of this.#listeners) _quietly(() => l(sig));
      Deno.exit(2);
    }
    const flag = ({
      SIGHUP: "reloadPending",
      SIGTERM: "terminatePending",
      SIGINT: "interruptPending",
      SIGUSR2: "shutdownPending",
      SIGUSR1: "procSignalPending",
    } as const)[sig];
    this.signals[flag] = true;
    for (const l of this.#listeners) l(sig);
    this.wake();
  }

  wake(): void {
    if (this.segment.local.procNo >= 0) setLatch(this.segment, this.segment.local.procNo);
    else this.#localSet = true;
    this.#localResolve?.();
  }

  async waitForWork(timeoutMs: number, waitEvent = 0): Promise<WaitLatchResult> {
    if (this.segment.local.procNo >= 0) return await waitLatch(this.segment, timeoutMs, waitEvent);
    if (this.#localSet) {
      this.#localSet = false;
      return "set";
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const why = await new Promise<WaitLatchResult>((resolve) => {
      this.#localResolve = () => resolve("set");
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    clearTimeout(timer);
    this.#localResolve = undefined;
    this.#localSet = false;
    return why;
  }

  async reloadConfigIfPending(): Promise<boolean> {
    if (!this.signals.reloadPending) return false;
    this.signals.reloadPending = false;
    let reloaded: ReloadOutcome;
    try {
      // The command line holds what the postmaster passed (its PGPORT among it): a reload never replaces those.
      reloaded = await reloadSettings(this.settings, this.dataDir);
    } catch (e) {
      _logConfigLoadError(e, "DEBUG2");
      return false;
    }
    for (const m of reloaded.messages) elog("DEBUG2", m.message, { hint: m.hint });
    if (reloaded.errorFile !== undefined) {
      elog("DEBUG2", `configuration file "${reloaded.errorFile}" contains errors; unaffected changes were applied`);
    }
    this.settings = reloaded.settings;
    _configureChildLogging(this.settings);
    return reloaded.changed;
  }

  onExit(fn: () => void): void {
    this.#exitFns.push(fn);
  }

  exit(code: number): never {
    for (const fn of this.#exitFns.splice(0).reverse()) _quietly(fn);
    if (this.segment.local.procNo >= 0) _quietly(() => procArrayReleaseSlot(this.segment));
    Deno.exit(code);
  }

  beginSession(): void {
    assert(this.#sessionExitFnsFrom < 0, "no session is open");
    this.#sessionExitFnsFrom = this.#exitFns.length;
  }

  endSession(): void {
    assert(this.#sessionExitFnsFrom >= 0, "a session is open");
    for (const fn of this.#exitFns.splice(this.#sessionExitFnsFrom).reverse()) _quietly(fn);
    this.#sessionExitFnsFrom = -1;
    if (this.segment.local.procNo >= 0) procArrayReleaseSlot(this.segment);
    this.signals.interruptPending = false;
    this.signals.procSignalPending = false;
  }
}

function _quietly(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof AssertionError) throw e;
    elog("LOG", `error during process exit: ${(e as Error).message}`);
  }
}

function _configureChildLogging(settings: GucSettings): void {
  configureLogging({
    logLinePrefix: settings.str("log_line_prefix"),
    logMinMessages: settings.str("log_min_messages"),
  });
}

/** Defaults plus command-line options only: used when the files cannot be read at child start. */
function _commandLineOnly(commandLine: readonly { name: string; value: string }[]): GucSettings {
  let s = GucSettings.defaults();
  for (const o of commandLine) {
    const def = findGuc(o.name);
    if (def === undefined) continue;
    s = s.with(def.name as GucName, parseGucValue(def, o.value), "command line");
  }
  return s;
}

async function _loadChildSettings(
  dataDir: string,
  commandLine: readonly { name: string; value: string }[],
): Promise<GucSettings | undefined> {
  try {
    return await loadSettings(dataDir, commandLine);
  } catch (e) {
    _logConfigLoadError(e, "LOG");
    return undefined;
  }
}

/** Logs why the configuration could not be read (nothing was applied); rethrows anything else. */
function _logConfigLoadError(e: unknown, level: "LOG" | "DEBUG2"): void {
  if (e instanceof ConfigFileError) {
    for (const err of e.errors) elog(level, err.message, { hint: err.hint });
    elog(level, `configuration file "${e.file}" contains errors; no changes were applied`);
    return;
  }
  if (e instanceof SqlError || e instanceof Deno.errors.NotFound) {
    elog(level, `could not read configuration: ${(e as Error).message}`);
    return;
  }
  throw e;
}

/** Exits the child at once when the postmaster dies (its stdin pipe reaches end of file). */
function _watchPostmasterDeath(): void {
  const buf = new Uint8Array(64);
  (async () => {
    try {
      while ((await Deno.stdin.read(buf)) !== null) { /* the postmaster never writes */ }
    } catch { /* a read error means the pipe is gone too */ }
    Deno.exit(1);
  })();
}

/** What every child does first: the postmaster-death watch, its settings and its logging. */
async function _initChildCommon(args: ChildArgs): Promise<GucSettings> {
  _watchPostmasterDeath();
  setLogProcessInfo({ backendType: CHILD_BACKEND_TYPES[args.type] });
  const settings = (await _loadChildSettings(args.dataDir, args.commandLine)) ??
    _commandLineOnly(args.commandLine);
  _configureChildLogging(settings);
  return settings;
}

/**
 * What a dead-end backend has (lib/tcop/dead_end.ts): settings, and the
 * segment's name for a read-only look at the process array; no attachment,
 * no slot, no latch, no signal flags.
 */
export interface DeadEndContext {
  readonly dataDir: string;
  /** The segment's name (`--shmem=`), for a read-only attachment when a CancelRequest comes. */
  readonly shmemName: string;
  readonly settings: GucSettings;
}

/**
 * Sets a dead-end backend up (a backend started to refuse one connection:
 * the postmaster's verdict was not `ok`): postmaster-death watch, settings,
 * logging, signal handlers and process title, but no shared memory, which
 * may be discarded (a crash, an immediate shutdown) while the refusal is
 * still to be sent. Signals act as in PostgreSQL's startup-packet phase:
 * SIGQUIT exits 2, SIGTERM exits 1 at once (process_startup_packet_die),
 * the others are ignored.
 *
 * @param args what the postmaster passed on the command line
 * @param title the process title
 * @returns the dead-end backend's context
 */
export async function initDeadEndProcess(args: ChildArgs, title: string): Promise<DeadEndContext> {
  const settings = await _initChildCommon(args);
  for (const sig of ["SIGHUP", "SIGINT", "SIGUSR1", "SIGUSR2"] as const) Deno.addSignalListener(sig, () => {});
  Deno.addSignalListener("SIGTERM", () => Deno.exit(1));
  Deno.addSignalListener("SIGQUIT", () => Deno.exit(2));
  initPsDisplay(title, settings.str("cluster_name"), title.slice(0, 15));
  return { dataDir: args.dataDir, shmemName: args.shmemName, settings };
}

/**
 * Sets a child up: postmaster-death watch, signal handlers, settings,
 * logging, process title, shared memory and (auxiliary processes) a
 * process-array slot.
 *
 * @param args what the postmaster passed on the command line
 * @param title the fixed part of the process title (`checkpointer`; backends set theirs later)
 * @returns the child's context
 * @throws {SqlError} FATAL when shared memory cannot be attached or no slot is free
 */
export async function initChildProcess(args: ChildArgs, title: string): Promise<ChildContext> {
  const settings = await _initChildCommon(args);
  const segment = attachShmemSegment(args.shmemName);
  const child = new _Child(args, settings, segment);
  for (const sig of ["SIGHUP", "SIGTERM", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGQUIT"] as const) {
    Deno.addSignalListener(sig, () => child.signal(sig));
  }
  // The title comes only now: the postmaster takes it as the sign that the listeners above are in place
  // (postmaster.ts, _signalChild).
  initPsDisplay(title, settings.str("cluster_name"), title.slice(0, 15));
  if (args.type !== "backend") procArrayClaimSlot(segment, CHILD_BACKEND_TYPES[args.type] as BackendType);
  return child;
}
