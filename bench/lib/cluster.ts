/**
 * cluster.ts — one benchmarked cluster: its directories, its initdb/ctl
 * commands, its equal settings, and its teardown. The harness makes two,
 * the candidate (denogres) and the reference (PostgreSQL 15), from the same
 * code, so both columns go through identical steps.
 *
 * PostgreSQL counterpart: the temp-instance handling of pg_regress
 * (initdb, start with `pg_ctl -w`, stop, remove).
 *
 * NOTES
 * Layout under the run's root (`/tmp/denogres-bench-XXXX`, mode 0755):
 * `<column>/data` (the data directory), `<column>/sock` (Unix socket dir),
 * `<column>/tmp` (TMPDIR of its processes), `<column>/initdb-N` (scratch
 * data dirs of the `initdb` workload), all owned by the cluster's owner.
 * PostgreSQL refuses to run as root, so when the harness is root the
 * PostgreSQL commands run as `postgres` through `setpriv` (an exec, no PAM
 * session and no shell, so nothing but the switch itself is added to the
 * timed commands; `su postgres -c` would add a login session to every
 * timing). denogres runs as the harness's user.
 * Teardown ({@link Cluster.destroy}) is idempotent and also works on a
 * cluster left in any state: immediate stop, then SIGKILL of the whole
 * process tree, then the shared memory the pid file names (a System V id
 * for PostgreSQL, a POSIX segment name for denogres), then the directories.
 *
 * @module
 */

import { mustRun, runCommand, type RunResult, shellQuote, sleep } from "./proc.ts";
import { processTree } from "./process_tree.ts";

/** Which column of the table a cluster fills. */
export type Column = "denogres" | "postgresql";

/** What actually runs in a column. */
export type Engine = "denogres" | "postgresql";

/** Equal settings written to both clusters' postgresql.conf. */
export interface ClusterSettings {
  readonly sharedBuffers: string;
  readonly maxConnections: number;
}

/** PostgreSQL 15's binaries on Debian. */
export const PG_BIN_DIR = "/usr/lib/postgresql/15/bin";
/** The repository root (bench/lib/ -> ../..). */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Longest a cluster command (initdb, ctl) may run before it is killed. */
const CLUSTER_COMMAND_TIMEOUT_MS = 180_000;
/** Wait after a reload for every process to have read the new configuration (they do so at their next wake-up). */
const SETTINGS_RELOAD_SETTLE_MS = 1_000;
/** Longest teardown waits for an immediate stop before SIGKILL. */
const TEARDOWN_STOP_TIMEOUT_MS = 15_000;

/** How one engine is driven: its commands and the user they run as. */
interface _Engine {
  readonly engine: Engine;
  initdbArgv(dataDir: string): string[];
  startArgv(dataDir: string, logFile: string, port: number, socketDir: string): string[];
  stopArgv(dataDir: string, mode: "fast" | "immediate"): string[];
  reloadArgv(dataDir: string): string[];
  versionArgv(): string[];
}

const _POSTGRESQL: _Engine = {
  engine: "postgresql",
  initdbArgv: (dataDir) => [`${PG_BIN_DIR}/initdb`, "-D", dataDir, "-A", "trust", "-U", "postgres"],
  startArgv: (dataDir, logFile, port, socketDir) => [
    `${PG_BIN_DIR}/pg_ctl`,
    "start",
    "-w",
    "-D",
    dataDir,
    "-l",
    logFile,
    "-o",
    `-p ${port} -k ${socketDir}`,
  ],
  stopArgv: (dataDir, mode) => [`${PG_BIN_DIR}/pg_ctl`, "stop", "-w", "-D", dataDir, "-m", mode],
  reloadArgv: (dataDir) => [`${PG_BIN_DIR}/pg_ctl`, "reload", "-D", dataDir],
  versionArgv: () => [`${PG_BIN_DIR}/postgres`, "--version"],
};

const _DENOGRES: _Engine = {
  engine: "denogres",
  initdbArgv: (dataDir) => [`${REPO_ROOT}/bin/initdb`, "-D", dataDir, "-A", "trust", "-U", "postgres"],
  startArgv: (dataDir, logFile, port, socketDir) => [
    `${REPO_ROOT}/bin/ctl`,
    "start",
    "-w",
    "-D",
    dataDir,
    "-l",
    logFile,
    "-o",
    `-p ${port} -k ${socketDir}`,
  ],
  stopArgv: (dataDir, mode) => [`${REPO_ROOT}/bin/ctl`, "stop", "-w", "-D", dataDir, "-m", mode],
  reloadArgv: (dataDir) => [`${REPO_ROOT}/bin/ctl`, "reload", "-D", dataDir],
  versionArgv: () => [`${REPO_ROOT}/bin/ctl`, "--version"],
};

/** Where a cluster lives and which port it serves. */
export interface ClusterPlace {
  /** The run's root directory (exists, mode 0755). */
  readonly runRoot: string;
  /** Scratch directory for command output (exists, the harness's own). */
  readonly scratchDir: string;
  /** TCP port on 127.0.0.1. */
  readonly port: number;
}

/**
 * A cluster under test. Between workloads it is running; workloads that
 * stop it (`start`, `stop`) start it again before they return.
 */
export class Cluster {
  /** Column it fills. */
  readonly column: Column;
  /** Engine that runs in it (PostgreSQL fills the denogres column in stand-in mode). */
  readonly engine: Engine;
  /** Host clients connect to. */
  readonly host = "127.0.0.1";
  /** TCP port. */
  readonly port: number;
  /** Role clients connect as. */
  readonly user = "postgres";
  /** Database clients connect to. */
  readonly database = "postgres";
  /** This cluster's directory under the run root. */
  readonly rootDir: string;
  /** Its data directory. */
  readonly dataDir: string;
  /** Its Unix socket directory. */
  readonly socketDir: string;
  /** Its server log. */
  readonly logFile: string;
  /** Scratch directory of the harness (command output files). */
  readonly scratchDir: string;
  readonly #engine: _Engine;
  readonly #asOwner: readonly string[];
  readonly #ownerUid: number | undefined;
  readonly #env: Record<string, string>;
  #initdbSeq = 0;
  #shmem: string | undefined;
  #destroyed = false;

  /**
   * @param column the column it fills
   * @param engine what runs in it
   * @param place run root, scratch dir, port
   */
  constructor(column: Column, engine: Engine, place: ClusterPlace) {
    this.column = column;
    this.engine = engine;
    this.#engine = engine === "postgresql" ? _POSTGRESQL : _DENOGRES;
    this.port = place.port;
    this.rootDir = `${place.runRoot}/${column}`;
    this.dataDir = `${this.rootDir}/data`;
    this.socketDir = `${this.rootDir}/sock`;
    this.logFile = `${this.rootDir}/server.log`;
    this.scratchDir = place.scratchDir;
    const root = Deno.uid() === 0;
    const asPostgres = engine === "postgresql" && root;
    this.#asOwner = asPostgres ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] : [];
    this.#ownerUid = asPostgres ? _postgresUid() : undefined;
    this.#env = {
      PATH: `${REPO_ROOT}/node_modules/.bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      LANG: "C.UTF-8",
      HOME: asPostgres ? "/var/lib/postgresql" : (Deno.env.get("HOME") ?? "/tmp"),
      USER: asPostgres ? "postgres" : (Deno.env.get("USER") ?? "root"),
      LOGNAME: asPostgres ? "postgres" : (Deno.env.get("USER") ?? "root"),
      TMPDIR: `${this.rootDir}/tmp`,
      DENO_NO_UPDATE_CHECK: "1",
      PGHOST: this.host,
      PGPORT: String(this.port),
      PGUSER: this.user,
      PGDATABASE: this.database,
    };
  }

  /** Environment for client programs (pgbench, psql) aimed at this cluster. */
  get clientEnv(): Record<string, string> {
    return { ...this.#env };
  }

  /** The exact commands, for the report. */
  commandLines(): Record<"initdb" | "start" | "stop", string> {
    return {
      initdb: shellQuote([...this.#asOwner, ...this.#engine.initdbArgv(this.dataDir)]),
      start: shellQuote([
        ...this.#asOwner,
        ...this.#engine.startArgv(this.dataDir, this.logFile, this.port, this.socketDir),
      ]),
      stop: shellQuote([...this.#asOwner, ...this.#engine.stopArgv(this.dataDir, "fast")]),
    };
  }

  /** The engine's version line (`postgres --version` / `ctl --version`). */
  async version(): Promise<string> {
    const r = await this.#run(this.#engine.versionArgv());
    return r.code === 0 ? r.output.trim().split("\n")[0] : `unknown (${r.output.trim().split("\n")[0] ?? ""})`;
  }

  /**
   * Makes the directories, runs initdb and appends the equal settings.
   *
   * @param settings shared_buffers and max_connections for both clusters
   */
  async init(settings: ClusterSettings): Promise<void> {
    for (const dir of [this.rootDir, this.socketDir, `${this.rootDir}/tmp`]) await this.#makeOwnedDir(dir);
    await this.#must(this.#engine.initdbArgv(this.dataDir));
    await Deno.writeTextFile(`${this.dataDir}/postgresql.conf`, settingsBlock(settings), { append: true });
  }

  /**
   * Runs initdb into a fresh scratch directory, removes it, and returns the
   * elapsed time of initdb alone.
   *
   * @param options `noSync`: pass `-N` (skip the final fsync of the new directory)
   * @returns milliseconds
   */
  async timeInitdb(options: { noSync?: boolean } = {}): Promise<number> {
    const dir = `${this.rootDir}/initdb-${++this.#initdbSeq}`;
    try {
      return (await this.#must([...this.#engine.initdbArgv(dir), ...(options.noSync ? ["-N"] : [])])).elapsedMs;
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }

  /**
   * `ctl start -w` (or `pg_ctl start -w`): returns once the server accepts
   * connections.
   *
   * @returns milliseconds from spawn of the ctl command to its exit
   */
  async start(): Promise<number> {
    const r = await this.#must(this.#engine.startArgv(this.dataDir, this.logFile, this.port, this.socketDir));
    this.#shmem = (await this.#pidFileLines())?.[6]?.trim();
    return r.elapsedMs;
  }

  /**
   * `ctl stop -w -m MODE`: returns once the server is gone.
   *
   * @param mode shutdown mode
   * @returns milliseconds from spawn of the ctl command to its exit
   */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<number> {
    return (await this.#must(this.#engine.stopArgv(this.dataDir, mode))).elapsedMs;
  }

  /**
   * Runs `fn` with extra parameters in effect: appended to
   * postgresql.auto.conf and reloaded (`ctl reload`), then the file restored
   * and reloaded again, also when `fn` throws.
   *
   * @param settings reloadable parameters (`name` → value, quoted as needed)
   * @param fn the measurement
   * @returns what `fn` returns
   */
  async withSettings<T>(settings: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T> {
    const file = `${this.dataDir}/postgresql.auto.conf`;
    const original = await Deno.readTextFile(file);
    const extra = Object.entries(settings).map(([name, value]) => `${name} = ${value}\n`).join("");
    await Deno.writeTextFile(file, original + extra);
    try {
      await this.#must(this.#engine.reloadArgv(this.dataDir));
      await sleep(SETTINGS_RELOAD_SETTLE_MS);
      return await fn();
    } finally {
      await Deno.writeTextFile(file, original);
      await this.#must(this.#engine.reloadArgv(this.dataDir));
      await sleep(SETTINGS_RELOAD_SETTLE_MS);
    }
  }

  /** Whether the postmaster named in the pid file is alive. */
  async isRunning(): Promise<boolean> {
    const pid = await this.postmasterPidOrUndefined();
    return pid !== undefined && processTree(pid).length > 0;
  }

  /** Starts the cluster if it is not running (after a failed workload). */
  async ensureRunning(): Promise<void> {
    if (!(await this.isRunning())) await this.start();
  }

  /**
   * The postmaster's pid, from line 1 of postmaster.pid.
   *
   * @returns the pid
   * @throws {Error} when the cluster is not running
   */
  async postmasterPid(): Promise<number> {
    const pid = await this.postmasterPidOrUndefined();
    if (pid === undefined) throw new Error(`${this.column}: no postmaster.pid in ${this.dataDir}`);
    return pid;
  }

  /** The postmaster's pid, or undefined without a pid file. */
  async postmasterPidOrUndefined(): Promise<number | undefined> {
    const lines = await this.#pidFileLines();
    const pid = Number(lines?.[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** Last lines of the server log, for error messages. */
  async logTail(lines = 10): Promise<string> {
    try {
      return (await Deno.readTextFile(this.logFile)).trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no server log)";
    }
  }

  /**
   * Stops everything this cluster started and removes its directories.
   * Idempotent; safe in any state (never started, running, half-crashed).
   */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const pid = await this.postmasterPidOrUndefined();
    if (pid !== undefined && processTree(pid).length > 0) {
      this.#shmem = (await this.#pidFileLines())?.[6]?.trim() ?? this.#shmem;
      await runCommand([...this.#asOwner, ...this.#engine.stopArgv(this.dataDir, "immediate")], {
        env: this.#env,
        scratchDir: this.scratchDir,
        timeoutMs: TEARDOWN_STOP_TIMEOUT_MS,
        forCleanup: true,
      });
      await _killTree(pid);
    }
    const lastPid = await this.postmasterPidOrUndefined(); // a postmaster that started meanwhile
    if (lastPid !== undefined && lastPid !== pid) await _killTree(lastPid);
    await this.#removeShmem();
    await Deno.remove(this.rootDir, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }

  async #removeShmem(): Promise<void> {
    const shmem = this.#shmem;
    if (shmem === undefined || shmem === "") return;
    const sysv = /^\s*\d+\s+(\d+)\s*$/.exec(shmem);
    if (sysv !== null) {
      // PostgreSQL: "key shmid". An immediate stop removes it; after SIGKILL it may remain.
      await runCommand(["ipcrm", "-m", sysv[1]], { scratchDir: this.scratchDir, timeoutMs: 10_000, forCleanup: true });
    } else if (/^[A-Za-z0-9._-]+$/.test(shmem.replace(/^\//, ""))) {
      await Deno.remove(`/dev/shm/${shmem.replace(/^\//, "")}`).catch(() => {});
    }
  }

  async #pidFileLines(): Promise<string[] | undefined> {
    try {
      return (await Deno.readTextFile(`${this.dataDir}/postmaster.pid`)).split("\n");
    } catch {
      return undefined;
    }
  }

  async #makeOwnedDir(dir: string): Promise<void> {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    if (this.#ownerUid !== undefined) await Deno.chown(dir, this.#ownerUid, null);
  }

  #run(argv: readonly string[]): Promise<RunResult> {
    return runCommand([...this.#asOwner, ...argv], {
      env: this.#env,
      scratchDir: this.scratchDir,
      timeoutMs: CLUSTER_COMMAND_TIMEOUT_MS,
    });
  }

  async #must(argv: readonly string[]): Promise<RunResult> {
    try {
      return await mustRun([...this.#asOwner, ...argv], {
        env: this.#env,
        scratchDir: this.scratchDir,
        timeoutMs: CLUSTER_COMMAND_TIMEOUT_MS,
      });
    } catch (e) {
      throw new Error(`${this.column} (${this.engine}): ${e instanceof Error ? e.message : e}`);
    }
  }
}

/**
 * The settings block appended to both clusters' postgresql.conf.
 *
 * @param settings the equal settings
 * @returns postgresql.conf lines
 */
export function settingsBlock(settings: ClusterSettings): string {
  return [
    "",
    "# Added by denogres's bench harness: equal settings on both clusters.",
    `shared_buffers = ${settings.sharedBuffers}`,
    `max_connections = ${settings.maxConnections}`,
    "fsync = on",
    "synchronous_commit = on",
    "listen_addresses = '127.0.0.1'",
    "",
  ].join("\n");
}

function _postgresUid(): number {
  const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) => l.startsWith("postgres:"));
  if (line === undefined) throw new Error("no postgres user in /etc/passwd (PostgreSQL refuses to run as root)");
  return Number(line.split(":")[2]);
}

/** SIGKILLs a process tree, children first, and waits until it is gone. */
async function _killTree(rootPid: number): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const tree = processTree(rootPid);
    if (tree.length === 0) return;
    for (const pid of tree.reverse()) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* already gone */ }
    }
    await sleep(100);
  }
}
