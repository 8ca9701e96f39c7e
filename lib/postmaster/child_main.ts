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
 * backend saves). A spare backend initialises fully, tells the postmaster
 * it is ready, then waits for a client descriptor; a backend started for
 * one connection gets the descriptor inherited (`--client-fd`). Exit codes:
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
import { type ChildArgs, type ChildContext, initChildProcess } from "./aux_process.ts";
import { CHILD_TYPES, type ChildType } from "./child_process.ts";
import { adoptClientSocket, type ClientConnection, notifySpareReady, receiveClient } from "./handoff.ts";

/** Parsed child command line. */
export interface ChildCommandLine extends ChildArgs {
  spareFd?: number;
  client?: { fd: number; conn: ClientConnection };
}

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
    else if (a.startsWith("--spare-fd=")) out.spareFd = Number(value);
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

async function _runAux(args: ChildCommandLine): Promise<void> {
  const type = args.type as Exclude<ChildType, "backend">;
  const ctx = await initChildProcess(args, _TITLES[type]);
  switch (type) {
    case "startup":
      return (await import("../wal/startup.ts")).startupProcessMain(ctx);
    case "checkpointer":
      return (await import("../wal/checkpointer.ts")).checkpointerMain(ctx);
    case "bgwriter":
      return (await import("../buffer/bgwriter.ts")).backgroundWriterMain(ctx);
    case "walwriter":
      return (await import("../wal/walwriter.ts")).walWriterMain(ctx);
    case "autovacuum-launcher":
      return (await import("./autovacuum.ts")).autovacuumLauncherMain(ctx);
  }
}

async function _runBackend(args: ChildCommandLine): Promise<void> {
  const spare = args.spareFd !== undefined;
  const ctx: ChildContext = await initChildProcess(args, spare ? "spare backend" : "backend");
  let waiting = spare;
  // A waiting spare has no session: asked to stop, it just goes (exit 0 is a backend's normal exit).
  ctx.onSignal((sig) => {
    if (waiting && sig === "SIGTERM") ctx.exit(0);
  });
  if (waiting && ctx.signals.terminatePending) ctx.exit(0);
  const { backendMain } = await import("../tcop/backend.ts");
  let client = args.client;
  if (spare) {
    notifySpareReady(args.spareFd!);
    client = await receiveClient(args.spareFd!);
    waiting = false;
    libc().close(args.spareFd!);
    if (client === undefined) ctx.exit(0);
  }
  await backendMain(ctx, adoptClientSocket(client!.fd), client!.conn);
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
