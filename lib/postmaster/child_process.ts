/**
 * child_process.ts — starting a postmaster child: the kinds of child, their
 * command line, and how their exits are described in the log.
 *
 * PostgreSQL counterpart: StartChildProcess(), BackendStartup() and
 * LogChildExit() in src/backend/postmaster/postmaster.c (fork() there; a new
 * Deno process here).
 *
 * NOTES
 * Every child runs `deno run <permissions> --v8-flags=<CHILD_V8_FLAGS>
 * --config <repo>/deno.json <repo>/cmd/server.ts --child=<type> -D <dir>
 * --shmem=<segment> [-c n=v…]`.
 * Its stdin is a pipe whose write end only the postmaster holds: end of file
 * means the postmaster died and the child exits at once (PostgreSQL's
 * postmaster-death pipe). stdout/stderr are inherited, so the whole cluster
 * logs to one place. The descriptors handed to the child (a backend's channel
 * and, for a backend started for one connection, the client socket) are made
 * inheritable right before the synchronous spawn and closed by the caller
 * right after, so no other child ever inherits them.
 * Requires `--allow-run`.
 *
 * @module
 */

import type { GucSettings } from "../config/mod.ts";
import type { ClientConnection } from "./handoff.ts";
import { setCloseOnExec } from "./listeners.ts";

/** The kinds of child process (`--child=<type>`). */
export type ChildType = "startup" | "checkpointer" | "bgwriter" | "walwriter" | "autovacuum-launcher" | "backend";

/** Every child type, for argument checking. */
export const CHILD_TYPES: readonly ChildType[] = [
  "startup",
  "checkpointer",
  "bgwriter",
  "walwriter",
  "autovacuum-launcher",
  "backend",
];

/** How the reaper names a child in the log (PostgreSQL's procname argument of LogChildExit). */
export const CHILD_PROC_NAMES: Readonly<Record<ChildType, string>> = {
  startup: "startup process",
  checkpointer: "checkpointer process",
  bgwriter: "background writer process",
  walwriter: "WAL writer process",
  "autovacuum-launcher": "autovacuum launcher process",
  backend: "server process",
};

/** Backend type as pg_stat_activity and `%b` show it (PostgreSQL's GetBackendTypeDesc). */
export const CHILD_BACKEND_TYPES: Readonly<Record<ChildType, string>> = {
  startup: "startup",
  checkpointer: "checkpointer",
  bgwriter: "background writer",
  walwriter: "walwriter",
  "autovacuum-launcher": "autovacuum launcher",
  backend: "client backend",
};

/**
 * Deno permissions of every denogres server process (postmaster and
 * children): files (data directory, /proc, /dev/shm), environment, FFI
 * (shared memory, sockets, prctl), process signals (`pg_cancel_backend`),
 * and the uid (data-directory ownership). Kept in step with `bin/server`.
 */
export const SERVER_PERMISSION_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-run",
  "--allow-sys=uid",
];

/**
 * V8 flags of every child. `--expose-gc` lets a child that has loaded its
 * code and then waits without work collect the garbage of loading it, once
 * (`_compactHeap()` in child_main.ts: V8's memory-pressure collection, which
 * an idle process never starts by itself). Measured on a 2-core machine
 * (bench/README.md, "Memory"): a spare backend 31 -> 26-28 MiB Pss, an
 * auxiliary process about 3.5 MiB less, the idle cluster 181 -> 157-161 MiB;
 * pgbench `SELECT 1` tps and `pgbench -C` rates unchanged within the
 * machine's noise (it runs once, before a process's first session, never on
 * a connection's path). Flags that were measured and not kept:
 * `--max-semi-space-size=1` (-1.4 MiB per backend, but 3-6x more scavenges
 * under load: about 2-4 % more CPU per `SELECT 1`), `MALLOC_ARENA_MAX=2`,
 * `--single-threaded-gc`, `--wasm-lazy-compilation` (no measurable change).
 */
export const CHILD_V8_FLAGS: readonly string[] = ["--expose-gc"];

const _REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** What to start. */
export interface ChildSpec {
  type: ChildType;
  dataDir: string;
  shmemName: string;
  /** `-c` options every child gets (postmaster-context and command-line settings). */
  gucOptions: readonly { name: string; value: string }[];
  /** A pooled backend's end of its channel (handoff.ts): how it receives clients, and offers itself again. */
  channelFd?: number;
  /** Backends: the postmaster's pg_hba.conf generation (see lib/tcop/auth_cache.ts). */
  hbaGeneration?: number;
  /** A client socket handed to a new backend, with what the backend needs to know. */
  client?: { fd: number; conn: ClientConnection };
}

/**
 * The `-c` options children are started with: every `postmaster`-context
 * setting (so a child never sees a restart-only value edited in the file
 * since start) and every setting given on the postmaster's command line.
 *
 * @param settings the postmaster's settings
 * @returns name/value pairs
 */
export function childGucOptions(settings: GucSettings): { name: string; value: string }[] {
  return settings.all()
    .filter((s) => s.def.context === "postmaster" || s.source === "command line")
    .map((s) => ({ name: s.def.name, value: settings.show(s.def.name as Parameters<GucSettings["show"]>[0]) }));
}

/**
 * Builds a child's arguments (after the Deno executable).
 *
 * @param spec what to start
 * @returns the argument list
 */
export function childArgs(spec: ChildSpec): string[] {
  const args = [
    "run",
    "--quiet",
    "--no-prompt",
    ...SERVER_PERMISSION_FLAGS,
    `--v8-flags=${CHILD_V8_FLAGS.join(",")}`,
    "--config",
    `${_REPO_ROOT}/deno.json`,
    `${_REPO_ROOT}/cmd/server.ts`,
    `--child=${spec.type}`,
    "-D",
    spec.dataDir,
    `--shmem=${spec.shmemName}`,
  ];
  if (spec.channelFd !== undefined) args.push(`--channel-fd=${spec.channelFd}`);
  if (spec.hbaGeneration !== undefined) args.push(`--hba-generation=${spec.hbaGeneration}`);
  if (spec.client !== undefined) {
    args.push(`--client-fd=${spec.client.fd}`, `--client=${JSON.stringify(spec.client.conn)}`);
  }
  for (const o of spec.gucOptions) args.push("-c", `${o.name}=${o.value}`);
  return args;
}

/**
 * Starts a child process. The descriptors in `spec.channelFd` and
 * `spec.client.fd` are inherited by this child only; the caller closes its
 * copies afterwards.
 *
 * @param spec what to start
 * @returns the running child (stdin piped: keep it open, never write)
 */
export function spawnChild(spec: ChildSpec): Deno.ChildProcess {
  const inherited = [spec.channelFd, spec.client?.fd].filter((fd) => fd !== undefined);
  for (const fd of inherited) setCloseOnExec(fd, false);
  try {
    return new Deno.Command(Deno.execPath(), {
      args: childArgs(spec),
      stdin: "piped",
      stdout: "inherit",
      stderr: "inherit",
      env: { DENO_NO_UPDATE_CHECK: "1" },
      // Own session: a terminal's Ctrl-C or hang-up reaches only the postmaster, which
      // then stops its children in order (a child still starting has no handlers yet).
      detached: true,
    }).spawn();
  } finally {
    for (const fd of inherited) setCloseOnExec(fd, true);
  }
}

/** Signal names by number, for exit descriptions (Linux x86_64/aarch64). */
const _SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};
/** strsignal(3) texts, as PostgreSQL's pg_strsignal prints them. */
const _SIGNAL_TEXTS: Readonly<Record<number, string>> = {
  1: "Hangup",
  2: "Interrupt",
  3: "Quit",
  4: "Illegal instruction",
  5: "Trace/breakpoint trap",
  6: "Aborted",
  7: "Bus error",
  8: "Floating point exception",
  9: "Killed",
  10: "User defined signal 1",
  11: "Segmentation fault",
  12: "User defined signal 2",
  13: "Broken pipe",
  14: "Alarm clock",
  15: "Terminated",
};

/** A child's exit as the reaper sees it. */
export interface ChildExit {
  /** Exit code, when it exited. */
  code?: number;
  /** Signal number, when a signal killed it. */
  signal?: number;
}

/**
 * Converts Deno's status to an exit or signal.
 *
 * @param status the child's status
 * @returns exit code or signal number
 */
export function childExitOf(status: Deno.CommandStatus): ChildExit {
  if (status.signal !== null) return { signal: _SIGNAL_NUMBERS[status.signal] ?? 0 };
  return { code: status.code };
}

/**
 * Describes an exit as PostgreSQL's LogChildExit:
 * `server process (PID 12) was terminated by signal 9: Killed`.
 *
 * @param procName from {@link CHILD_PROC_NAMES}
 * @param pid the child's pid
 * @param exit how it ended
 * @returns the log message
 */
export function describeChildExit(procName: string, pid: number, exit: ChildExit): string {
  if (exit.signal !== undefined) {
    return `${procName} (PID ${pid}) was terminated by signal ${exit.signal}: ${
      _SIGNAL_TEXTS[exit.signal] ?? "unrecognized signal"
    }`;
  }
  return `${procName} (PID ${pid}) exited with exit code ${exit.code}`;
}
