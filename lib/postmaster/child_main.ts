/**
 * child_main.ts — the entry of every postmaster child: parses
 * `--child=<type>` and the rest of the command line the postmaster built,
 * sets up the shared plumbing and runs that type's main loop.
 *
 * PostgreSQL counterpart: the child branch of fork in StartChildProcess()
 * and BackendStartup() (postmaster.c), and SubPostmasterMain() of the
 * EXEC_BACKEND build, which is what this is closest to: a fresh process
 * that must rebuild its state from its arguments.
 *
 * NOTES
 * Each type's code is imported only by the process that runs it, so a
 * child loads what it needs and no more (start-up time is what a spare
 * backend saves). A backend initialises fully (backendPrepare), tells the
 * postmaster over its channel that it is idle, then waits for a client
 * descriptor; a backend started for one connection gets the descriptor
 * inherited (`--client-fd`) and serves it first. A dead-end backend (one
 * started to refuse a connection: a client and no channel) attaches no shared
 * memory and loads none of that: it only sends the refusal
 * (lib/tcop/dead_end.ts). After a session that ended
 * cleanly a backend may serve another (README.md, "Backend recycling"): it
 * re-reads its configuration if SIGHUP asked, and offers itself again, unless
 * `backend_session_limit` sessions were served, its heap outgrew
 * {@link BACKEND_RECYCLE_HEAP_MAX_BYTES}, or it was asked to stop. Exit codes:
 * whatever the main loop chooses; an `SqlError` escaping it is logged at its
 * severity and exits 1; a failed assertion is logged as PostgreSQL's `TRAP:`
 * and the process aborts (SIGABRT), which the postmaster treats as a crash.
 *
 * @module
 */

import { AssertionError } from "../common/assert.ts";
import { SqlError } from "../common/errors.ts";
import { libc } from "../ffi/libc.ts";
import { elog } from "../log/mod.ts";
import { type ChildArgs, type ChildContext, initChildProcess, initDeadEndProcess } from "./aux_process.ts";
import { CHILD_TYPES, type ChildType } from "./child_process.ts";
import { type ClientConnection, notifyBackendIdle, receiveClient, stopWaitingForClient } from "./handoff.ts";
import { initPsDisplay } from "./ps_status.ts";

/** Parsed child command line. */
export interface ChildCommandLine extends ChildArgs {
  /** A pooled backend's end of its channel (absent: a dead-end backend, which serves one refusal). */
  channelFd?: number;
  /** The client socket of a backend started for one connection. */
  client?: { fd: number; conn: ClientConnection };
  /** The postmaster's pg_hba.conf generation when it started this backend. */
  hbaGeneration?: number;
}

/**
 * A backend whose V8 heap holds more than this after a session exits
 * instead of serving another: whatever a session left behind (caches, a
 * leak) cannot accumulate across sessions. A ready backend uses about 10 MiB.
 */
export const BACKEND_RECYCLE_HEAP_MAX_BYTES = 64 << 20;

/**
 * Parses the arguments the postmaster gives a child (see child_process.ts).
 *
 * @param argv arguments after the script name
 * @returns the parsed options
 * @throws {TypeError} on anything the postmaster would not have written
 */
export function parseChildArgs(argv: readonly string[]): ChildCommandLine {
  const out: Partial<ChildCommandLine> & { commandLine: { name: string; value: string }[] } = { commandLine: [] };
  let clientFd: number | undefined;
  let conn: ClientConnection | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = a.slice(a.indexOf("=") + 1);
    if (a.startsWith("--child=")) {
      if (!CHILD_TYPES.includes(value as ChildType)) throw new TypeError(`Unknown child type "${value}"`);
      out.type = value as ChildType;
    } else if (a === "-D") out.dataDir = argv[++i];
    else if (a.startsWith("--shmem=")) out.shmemName = value;
    else if (a.startsWith("--channel-fd=")) out.channelFd = Number(value);
    else if (a.startsWith("--hba-generation=")) out.hbaGeneration = Number(value);
    else if (a.startsWith("--client-fd=")) clientFd = Number(value);
    else if (a.startsWith("--client=")) conn = JSON.parse(value) as ClientConnection;
    else if (a === "-c") {
      const opt = argv[++i] ?? "";
      const eq = opt.indexOf("=");
      out.commandLine.push({ name: opt.slice(0, eq), value: opt.slice(eq + 1) });
    } else throw new TypeError(`Unexpected child argument "${a}"`);
  }
  if (out.type === undefined || out.dataDir === undefined || out.shmemName === undefined) {
    throw new TypeError("A child needs --child, -D and --shmem");
  }
  if ((clientFd === undefined) !== (conn === undefined)) throw new TypeError("--client-fd and --client go together");
  if (clientFd !== undefined) out.client = { fd: clientFd, conn: conn! };
  return out as ChildCommandLine;
}

const _TITLES: Readonly<Record<Exclude<ChildType, "backend">, string>> = {
  startup: "startup",
  checkpointer: "checkpointer",
  bgwriter: "background writer",
  walwriter: "walwriter",
  "autovacuum-launcher": "autovacuum launcher",
};

/**
 * Imports the module of one child type, only in the process that runs it.
 * The specifier is computed, not a literal: Deno prepares every literal
 * dynamic import of the entry's graph when a process starts, so each child
 * would read and compile the modules of every other child type (about 80
 * files, the SQL parser's glue included) before running its own.
 */
function _importLazily<T>(relative: string): Promise<T> {
  return import(new URL(relative, import.meta.url).href) as Promise<T>;
}

/**
 * How long a child goes without a client (a spare backend) or since its
 * start (an auxiliary process) before it compacts its heap once (see
 * {@link _compactHeap}).
 */
export const IDLE_HEAP_COMPACT_DELAY_MS = 1000;

/**
 * Collects all available garbage the way V8 does under memory pressure
 * (repeated full collections that shrink the young generation and return
 * freed pages and buffers), when V8 was started with `--expose-gc`
 * (child_process.ts). A process that just loaded its code holds the garbage
 * of loading it, and an idle one never collects it by itself: a spare
 * backend goes from about 27 to 22 MiB of private memory. It costs about
 * 70 ms of CPU, so it runs only after {@link IDLE_HEAP_COMPACT_DELAY_MS}
 * without work, never on a connection's path (a client that arrives during
 * it waits for its end).
 */
function _compactHeap(): void {
  (globalThis as { gc?: (options: { type: "major"; flavor: "last-resort" }) => void }).gc?.({
    type: "major",
    flavor: "last-resort",
  });
}

async function _runAux(args: ChildCommandLine): Promise<void> {
  const type = args.type as Exclude<ChildType, "backend">;
  const ctx = await initChildProcess(args, _TITLES[type]);
  Deno.unrefTimer(setTimeout(_compactHeap, IDLE_HEAP_COMPACT_DELAY_MS));
  switch (type) {
    case "startup":
      return (await _importLazily<typeof import("../wal/startup.ts")>("../wal/startup.ts")).startupProcessMain(ctx);
    case "checkpointer":
      return (await _importLazily<typeof import("../wal/checkpointer.ts")>("../wal/checkpointer.ts")).checkpointerMain(
        ctx,
      );
    case "bgwriter":
      return (await _importLazily<typeof import("../buffer/bgwriter.ts")>("../buffer/bgwriter.ts"))
        .backgroundWriterMain(ctx);
    case "walwriter":
      return (await _importLazily<typeof import("../wal/walwriter.ts")>("../wal/walwriter.ts")).walWriterMain(ctx);
    case "autovacuum-launcher":
      return (await _importLazily<typeof import("./autovacuum.ts")>("./autovacuum.ts")).autovacuumLauncherMain(ctx);
  }
}

/**
 * A dead-end backend (a refusal: a client and no channel) needs neither
 * shared memory nor the session machinery: it must refuse also while the
 * segment is discarded (lib/tcop/dead_end.ts).
 */
async function _runDeadEnd(args: ChildCommandLine, client: { fd: number; conn: ClientConnection }): Promise<never> {
  const ctx = await initDeadEndProcess(args, "backend");
  const { deadEndBackendMain } = await _importLazily<typeof import("../tcop/dead_end.ts")>("../tcop/dead_end.ts");
  const { PqSocket } = await _importLazily<typeof import("../protocol/pq_socket.ts")>("../protocol/pq_socket.ts");
  return await deadEndBackendMain(ctx, new PqSocket(client.fd), client.conn);
}

async function _runBackend(args: ChildCommandLine): Promise<never> {
  if (args.channelFd === undefined && args.client !== undefined) return await _runDeadEnd(args, args.client);
  const channelFd = args.channelFd;
  const ctx: ChildContext = await initChildProcess(args, args.client === undefined ? "spare backend" : "backend");
  let waiting = false;
  // A waiting backend has no session: asked to stop, it stops waiting (a client already queued is still served).
  ctx.onSignal((sig) => {
    if (sig === "SIGTERM" && waiting && channelFd !== undefined) stopWaitingForClient(channelFd);
  });
  const { backendMain, backendPrepare } = await _importLazily<typeof import("../tcop/backend.ts")>(
    "../tcop/backend.ts",
  );
  const { PqSocket } = await _importLazily<typeof import("../protocol/pq_socket.ts")>("../protocol/pq_socket.ts");
  await backendPrepare(ctx, args.hbaGeneration);
  let client = args.client;
  for (let sessions = 0;; sessions++) {
    if (client === undefined) {
      // Only a pooled backend gets here: a dead-end one has a client and no channel.
      await ctx.reloadConfigIfPending();
      if (ctx.signals.terminatePending || !notifyBackendIdle(channelFd!, sessions)) ctx.exit(0);
      // The title says "spare" only once the postmaster has been told (tests and `top` rely on the order).
      if (sessions > 0) initPsDisplay("spare backend", ctx.settings.str("cluster_name"), "spare backend");
      waiting = true;
      // Only before the first session: compacting also shrinks the young generation, which a
      // backend that served clients has grown to its load, and regrowing it costs more collections.
      const compactTimer = sessions === 0 ? setTimeout(_compactHeap, IDLE_HEAP_COMPACT_DELAY_MS) : undefined;
      client = await receiveClient(channelFd!);
      clearTimeout(compactTimer);
      waiting = false;
      if (client === undefined) ctx.exit(0);
      // A reload signalled while this process waited applies to the session it is about to start.
      await ctx.reloadConfigIfPending();
    }
    await backendMain(ctx, new PqSocket(client.fd), client.conn);
    client = undefined;
    if (!_mayRecycle(ctx, channelFd, sessions + 1)) ctx.exit(0);
  }
}

/** Whether a backend whose session ended cleanly may serve another one (README: "Backend recycling"). */
function _mayRecycle(ctx: ChildContext, channelFd: number | undefined, sessions: number): boolean {
  if (channelFd === undefined || ctx.signals.terminatePending) return false;
  const limit = ctx.settings.int("backend_session_limit");
  if (limit === 0 || sessions >= limit) {
    if (limit > 0) elog("DEBUG1", `backend exits after ${sessions} sessions (backend_session_limit)`);
    return false;
  }
  const heapBytes = Deno.memoryUsage().heapUsed;
  if (heapBytes > BACKEND_RECYCLE_HEAP_MAX_BYTES) {
    elog("DEBUG1", `backend exits after ${sessions} sessions: heap of ${heapBytes} bytes exceeds its limit`);
    return false;
  }
  return true;
}

/**
 * Runs a child process to completion and exits.
 *
 * @param argv arguments after the script name (`--child=<type> -D … --shmem=…`)
 * @returns never (the process exits)
 */
export async function childMain(argv: readonly string[]): Promise<never> {
  const args = parseChildArgs(argv);
  try {
    if (args.type === "backend") await _runBackend(args);
    else await _runAux(args);
    Deno.exit(0);
  } catch (e) {
    if (e instanceof AssertionError) {
      elog("PANIC", `TRAP: failed Assert("${e.message}")`);
      libc().kill(Deno.pid, 6);
    }
    if (e instanceof SqlError) {
      elog(e.severity, e.message, { detail: e.detail, hint: e.hint, sqlstate: e.sqlstate });
      Deno.exit(1);
    }
    elog("FATAL", `unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    Deno.exit(1);
  }
}
