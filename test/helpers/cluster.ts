/**
 * cluster.ts — starts a real denogres cluster for an end-to-end test: a
 * temporary data directory made by the real `initdb`, the real `server` on a
 * given port with its Unix socket in the data directory, waiting until
 * postmaster.pid says `ready`; and tears it all down afterwards, also when
 * the test failed.
 *
 * PostgreSQL counterpart: PostgreSQL::Test::Cluster (src/test/perl).
 *
 * NOTES
 * Each cluster gets its own `initdb` run (`-U postgres -A trust`). The server runs
 * as `/bin/sh -c "exec bin/server … >> log 2>&1"`, so its pid is the
 * postmaster's and its log is a file the test can read. `destroy()` stops
 * whatever is left (SIGQUIT, then SIGKILL after CHILD_QUIT_GRACE_MS), waits
 * for every child of the postmaster to be gone, removes the shared-memory
 * segment named in postmaster.pid if it survived, and deletes the
 * directory. Tests use ports in their engineer's range (see the team brief).
 * `clusterScope()` destroys a test's clusters after it; `runCommand()` and
 * `runCtl()` run the real commands the tests drive.
 *
 * @module
 */

import { afterEach } from "vitest";
import { procChildPids, readProcCmdline, readProcStat } from "../../lib/ffi/procfs.ts";
import {
  attachShmemSegment,
  lwlockConditionalAcquire,
  lwlockRelease,
  mainLWLock,
  procArrayClaimSlot,
  procArrayReleaseSlot,
  procArraySnapshot,
} from "../../lib/shmem/mod.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
/** Longest wait for a cluster to become ready, in ms (generous: 2 shared cores). */
export const CLUSTER_READY_TIMEOUT_MS = 60_000;
/** How often conditions are polled, in ms. */
export const POLL_INTERVAL_MS = 50;

/** Shutdown modes, as `ctl -m`. */
export type StopMode = "smart" | "fast" | "immediate";
const _STOP_SIGNALS: Record<StopMode, Deno.Signal> = { smart: "SIGTERM", fast: "SIGINT", immediate: "SIGQUIT" };

/** A running (or stopped) test cluster. */
export interface Cluster {
  /** Temporary directory holding the data directory and the log. */
  readonly baseDir: string;
  readonly dataDir: string;
  readonly port: number;
  /** Where the Unix socket is (the data directory). */
  readonly socketDir: string;
  /** The server log file. */
  readonly logFile: string;
  /** The postmaster's pid (of the latest start). */
  pid: number;
  /** The server log so far. */
  log(): string;
  /** Starts the server again (after a stop) and waits until ready. */
  start(): Promise<void>;
  /** Sends the mode's signal and waits for the postmaster to exit; returns its exit code. */
  stop(mode?: StopMode): Promise<number>;
  /** Waits for the postmaster to exit by itself; returns its exit code. */
  waitExit(): Promise<number>;
  /** Stops anything left and deletes everything (call in `finally`/afterEach). */
  destroy(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** TCP port (and Unix socket name). */
  port: number;
  /** Lines appended to postgresql.conf before the start. */
  conf?: Record<string, string>;
  /** Extra `server` arguments. */
  serverArgs?: string[];
  /** Do not start the server (the test starts it, e.g. through `ctl`). */
  noStart?: boolean;
}

/** A finished command: its exit code and what it printed. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to its end with stdin closed, collecting its output.
 *
 * @param cmd the program
 * @param args its arguments
 * @param env extra environment variables
 * @returns exit code, stdout and stderr
 */
export async function runCommand(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  const r = await new Deno.Command(cmd, { args, env, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
}

/**
 * Runs the real `bin/ctl`.
 *
 * @param args its arguments (`start -D …`)
 * @param env extra environment variables
 * @returns exit code, stdout and stderr
 */
export function runCtl(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return runCommand(`${REPO_ROOT}/bin/ctl`, args, env);
}

/**
 * The clusters a test file's tests start, each destroyed after its test
 * whatever the outcome. Call once at the top of the file (it registers an
 * `afterEach`).
 *
 * @returns `start(options)`: {@link startCluster}, remembered for the clean-up
 */
export function clusterScope(): { start(options: ClusterOptions): Promise<Cluster> } {
  const clusters: Cluster[] = [];
  afterEach(async () => {
    for (const c of clusters.splice(0)) await c.destroy();
  });
  return {
    start: async (options) => {
      const c = await startCluster(options);
      clusters.push(c);
      return c;
    },
  };
}

/**
 * Waits until `cond` is true, polling.
 *
 * @param cond the condition
 * @param timeoutMs longest wait
 * @param what description for the timeout error
 */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}

/** @returns whether a process exists (and is not a zombie) */
export function processAlive(pid: number): boolean {
  const state = readProcStat(pid)?.state;
  return state !== undefined && state !== "Z";
}

/** @returns pids whose parent is `ppid` (zombies left out) */
export function childPids(ppid: number): number[] {
  return procChildPids(ppid).filter(processAlive);
}

/** @returns a process's command line as `ps` shows it (its title, for denogres processes) */
export function processTitle(pid: number): string {
  return readProcCmdline(pid)?.trim() ?? "";
}

/** @returns postmaster.pid's lines, or undefined when it does not exist */
export function readPidFileLines(dataDir: string): string[] | undefined {
  try {
    const lines = Deno.readTextFileSync(`${dataDir}/postmaster.pid`).split("\n");
    if (lines.at(-1) === "") lines.pop();
    return lines;
  } catch {
    return undefined;
  }
}

/**
 * Creates a cluster in a fresh temporary directory and (unless `noStart`)
 * starts it and waits until it is ready. On any failure everything made so
 * far is removed before the error is thrown.
 *
 * @param options port, configuration, server arguments
 * @returns the cluster
 * @example
 * ```ts
 * const c = await startCluster({ port: 20010 });
 * try { ... } finally { await c.destroy(); }
 * ```
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const baseDir = await Deno.makeTempDir({ prefix: `denogres-test-${options.port}-` });
  const dataDir = `${baseDir}/data`;
  const logFile = `${baseDir}/server.log`;
  let proc: Deno.ChildProcess | undefined;
  const cluster: Cluster = {
    baseDir,
    dataDir,
    port: options.port,
    socketDir: dataDir,
    logFile,
    pid: 0,
    log: () => {
      try {
        return Deno.readTextFileSync(logFile);
      } catch {
        return "";
      }
    },
    start: async () => {
      const args = ["-D", dataDir, "-p", String(options.port), "-k", dataDir, "-c", "listen_addresses=127.0.0.1"];
      const q = (s: string) => `'${s.replaceAll("'", `'"'"'`)}'`;
      const cmd = `exec ${q(`${REPO_ROOT}/bin/server`)} ${[...args, ...(options.serverArgs ?? [])].map(q).join(" ")}` +
        ` < /dev/null >> ${q(logFile)} 2>&1`;
      proc = new Deno.Command("/bin/sh", { args: ["-c", cmd], stdin: "null" }).spawn();
      cluster.pid = proc.pid;
      let exited = false;
      proc.status.then(() => (exited = true));
      await waitFor(
        () => {
          if (exited) throw new Error(`server exited during start; log:\n${cluster.log()}`);
          const lines = readPidFileLines(dataDir);
          return lines !== undefined && Number(lines[0]) === cluster.pid && lines[7] === "ready   ";
        },
        CLUSTER_READY_TIMEOUT_MS,
        `server ready on port ${options.port}`,
      );
    },
    stop: async (mode: StopMode = "fast") => {
      if (proc === undefined) return 0;
      try {
        proc.kill(_STOP_SIGNALS[mode]);
      } catch { /* already gone */ }
      const status = await proc.status;
      proc = undefined;
      return status.code;
    },
    waitExit: async () => {
      if (proc === undefined) return 0;
      const status = await proc.status;
      proc = undefined;
      return status.code;
    },
    destroy: async () => {
      const pidFile = readPidFileLines(dataDir);
      const shmem = pidFile?.[6];
      // A server started by the test through `ctl` is not our child: find it through its pid file.
      const pm = proc?.pid ?? (pidFile !== undefined && processAlive(Number(pidFile[0])) ? Number(pidFile[0]) : 0);
      const children = pm > 0 ? childPids(pm) : [];
      if (proc === undefined && pm > 0) {
        Deno.kill(pm, "SIGQUIT");
        await waitFor(() => !processAlive(pm), 5000, "postmaster to exit").catch(() => Deno.kill(pm, "SIGKILL"));
      }
      if (proc !== undefined) {
        try {
          proc.kill("SIGQUIT");
        } catch { /* gone */ }
        const timer = setTimeout(() => {
          try {
            proc?.kill("SIGKILL");
          } catch { /* gone */ }
        }, 5000);
        await proc.status;
        clearTimeout(timer);
        proc = undefined;
      }
      await waitFor(() => children.every((p) => !processAlive(p)), 10_000, "children to exit").catch(() => {
        for (const p of children) if (processAlive(p)) Deno.kill(p, "SIGKILL");
      });
      if (shmem !== undefined && shmem.startsWith("/")) {
        try {
          Deno.removeSync(`/dev/shm${shmem}`);
        } catch { /* removed by the server */ }
      }
      await Deno.remove(baseDir, { recursive: true }).catch(() => {});
    },
  };
  try {
    const initdb = await runCommand(`${REPO_ROOT}/bin/initdb`, ["-D", dataDir, "-U", "postgres", "-A", "trust"]);
    if (initdb.code !== 0) throw new Error(`initdb failed (${initdb.code}):\n${initdb.stdout}${initdb.stderr}`);
    if (options.conf !== undefined) {
      const extra = Object.entries(options.conf).map(([k, v]) => `${k} = '${v.replaceAll("'", "''")}'\n`).join("");
      await Deno.writeTextFile(`${dataDir}/postgresql.conf`, extra, { append: true });
    }
    if (!options.noStart) await cluster.start();
    return cluster;
  } catch (e) {
    await cluster.destroy();
    throw e;
  }
}

/** An ErrorResponse's fields: severity, SQLSTATE and message. */
export interface WireError {
  severity: string;
  code: string;
  message: string;
}

/** A raw protocol-3.0 session: just enough protocol to open a session and see how it ends. */
export interface RawSession {
  /** The backend's pid from BackendKeyData (0 if the session was refused). */
  backendPid: number;
  /** The ErrorResponse that refused the session, if any. */
  refused?: WireError;
  /** Resolves when the server ends the session: with its ErrorResponse, or undefined on a bare close. */
  ended: Promise<WireError | undefined>;
  /** Sends Terminate and closes. */
  close(): void;
}

function _parseError(body: Uint8Array): WireError {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1);
    fields[String.fromCharCode(body[i])] = new TextDecoder().decode(body.subarray(i + 1, end));
    i = end + 1;
  }
  return { severity: fields.V ?? fields.S ?? "", code: fields.C ?? "", message: fields.M ?? "" };
}

/**
 * A protocol-3.0 StartupMessage.
 *
 * @param user user name
 * @param database database name
 * @returns the packet's bytes
 */
export function startupPacket(user: string, database: string): Uint8Array {
  const params = new TextEncoder().encode(`user\0${user}\0database\0${database}\0\0`);
  const packet = new Uint8Array(8 + params.length);
  new DataView(packet.buffer).setInt32(0, packet.length);
  new DataView(packet.buffer).setInt32(4, 196608);
  packet.set(params, 8);
  return packet;
}

/** Attempts of {@link startHoldingStartupProcess} before it gives up. */
const _HOLD_STARTUP_ATTEMPTS = 10;

/** A server start whose startup process is held (see {@link startHoldingStartupProcess}). */
export interface HeldStartup {
  /** Lets the startup process go on. */
  release(): void;
  /** The start in progress: resolves when the server is ready. */
  readonly ready: Promise<void>;
}

/**
 * Starts a stopped cluster's server and holds its startup process, so that
 * the postmaster stays in PM_STARTUP for as long as a test needs: the test
 * attaches the new shared-memory segment like a backend and takes
 * ControlFileLock before the startup process does, which then waits for it
 * (seen as wait event LWLock in its slot) until {@link HeldStartup.release}.
 * Not SIGSTOP: a Deno process stopped while it loads its code may hold the
 * write lock of Deno's caches (SQLite files shared by every Deno process), and
 * every process started after it, backends included, would wait for that lock.
 * If the startup process gets past the lock first, the server is stopped and
 * started again.
 *
 * @param c a cluster whose server is not running
 * @returns the hold and the start in progress
 */
export async function startHoldingStartupProcess(c: Cluster): Promise<HeldStartup> {
  for (let attempt = 0; attempt < _HOLD_STARTUP_ATTEMPTS; attempt++) {
    const ready = c.start();
    let failed: unknown;
    ready.catch((e) => (failed = e));
    let segName: string | undefined;
    while ((segName = readPidFileLines(c.dataDir)?.[6]?.trim()) === undefined || segName === "") {
      if (failed !== undefined) throw failed;
      await new Promise((r) => setTimeout(r, 1));
    }
    const seg = attachShmemSegment(segName);
    procArrayClaimSlot(seg, "client backend");
    const lock = mainLWLock(seg, "ControlFileLock");
    const release = () => {
      lwlockRelease(seg, lock);
      procArrayReleaseSlot(seg);
      seg.detach();
    };
    while (!lwlockConditionalAcquire(seg, lock, "exclusive")) await new Promise((r) => setTimeout(r, 1));
    const waiting = () =>
      procArraySnapshot(seg).some((p) => p.backendType === "startup" && p.waitEventType === "LWLock");
    while (!waiting() && readPidFileLines(c.dataDir)?.[7] !== "ready   " && failed === undefined) {
      await new Promise((r) => setTimeout(r, 5));
    }
    if (waiting()) return { release, ready };
    release();
    if (failed !== undefined) throw failed;
    await ready;
    await c.stop();
  }
  throw new Error(`could not hold the startup process in ${_HOLD_STARTUP_ATTEMPTS} starts`);
}

/** One backend message: its type letter and body. */
export interface BackendMessage {
  type: string;
  body: Uint8Array;
}

/**
 * Frames the backend messages arriving on a connection.
 *
 * @param conn the connection
 * @param deadline `Date.now()` after which reading stops (default: never)
 * @returns a function that reads the next message; undefined at end of input, on a read error or past the deadline
 */
export function backendMessageReader(
  conn: Deno.Conn,
  deadline = Infinity,
): () => Promise<BackendMessage | undefined> {
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(65536);
  return async () => {
    for (;;) {
      if (buf.length >= 5) {
        const len = new DataView(buf.buffer, buf.byteOffset).getInt32(1);
        if (buf.length >= len + 1) {
          const msg = { type: String.fromCharCode(buf[0]), body: buf.slice(5, len + 1) };
          buf = buf.slice(len + 1);
          return msg;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        conn.read(chunk).catch(() => null),
        ...(left === Infinity ? [] : [new Promise<null>((r) => (timer = setTimeout(() => r(null), left)))]),
      ]);
      clearTimeout(timer);
      if (n === null) return undefined;
      const merged = new Uint8Array(buf.length + n);
      merged.set(buf);
      merged.set(chunk.subarray(0, n), buf.length);
      buf = merged;
    }
  };
}

/**
 * Opens a session over TCP speaking only the startup part of the protocol
 * (StartupMessage, then reading until ReadyForQuery or ErrorResponse), so
 * tests of the postmaster do not depend on the SQL layer.
 *
 * @param target the server's TCP port on 127.0.0.1, or a Unix socket's path
 * @param user user name
 * @param database database name
 * @returns the session
 */
export async function openRawSession(
  target: number | string,
  user = "postgres",
  database = "postgres",
): Promise<RawSession> {
  const conn = typeof target === "number"
    ? await Deno.connect({ hostname: "127.0.0.1", port: target })
    : await Deno.connect({ transport: "unix", path: target });
  await conn.write(startupPacket(user, database));
  const next = backendMessageReader(conn);
  const session: RawSession = { backendPid: 0, ended: Promise.resolve(undefined), close: () => {} };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* closed */ }
  };
  for (;;) {
    const m = await next();
    if (m === undefined) {
      close();
      return session;
    }
    if (m.type === "K") session.backendPid = new DataView(m.body.buffer).getInt32(0);
    if (m.type === "E") {
      session.refused = _parseError(m.body);
      close();
      return session;
    }
    if (m.type === "Z") break;
  }
  session.ended = (async () => {
    for (;;) {
      const m = await next();
      if (m === undefined) return undefined;
      if (m.type === "E") return _parseError(m.body);
    }
  })().finally(close);
  session.close = () => {
    if (!closed) conn.write(new Uint8Array([0x58, 0, 0, 0, 4])).catch(() => {}).finally(close);
  };
  return session;
}

/**
 * Sends a real CancelRequest over TCP, as libpq's PQcancel does, and waits
 * until the server closes that connection.
 *
 * @param port the server's TCP port on 127.0.0.1
 * @param processId the target's pid from its BackendKeyData
 * @param secretKey the target's secret key
 */
export async function sendCancelRequest(port: number, processId: number, secretKey: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const packet = new Uint8Array(16);
  const view = new DataView(packet.buffer);
  view.setInt32(0, 16);
  view.setInt32(4, 80877102);
  view.setInt32(8, processId);
  view.setInt32(12, secretKey);
  await conn.write(packet);
  try {
    while ((await conn.read(new Uint8Array(16))) !== null) { /* the server sends nothing; wait for its close */ }
  } catch { /* reset: closed as well */ }
  conn.close();
}
