/**
 * snapshot_reader.ts — builds `top`'s snapshots of a live cluster from
 * `postmaster.pid`, the read-only shared-memory segment and /proc, follows
 * the server through stops, restarts and crash resets, and signals backends.
 *
 * PostgreSQL counterpart: none in the server; what pg_activity and pg_top do
 * with pg_stat_activity, pg_stat_bgwriter, pg_stat_wal and psutil.
 *
 * NOTES
 * Read-only: the segment is mapped PROT_READ (segment_view.ts), so `top` can
 * never corrupt the cluster, and it takes no lock in it (the process array
 * is read with its change counters, counters are single atomic words).
 * Every read starts from postmaster.pid: no file or a dead pid means "no
 * server"; a new postmaster pid, a segment re-created under the same name
 * (new inode in /dev/shm), a segment marked discarded or a new generation
 * means the server restarted or reset after a crash: the reader says so in
 * the snapshot's notices, drops the old mapping and attaches the new one.
 * Nothing here throws for an operating condition (files vanishing, processes
 * exiting mid-read, a segment not yet initialised); those become notices.
 * Rates are deltas of cumulative counters over the time between two reads,
 * and are null after any discontinuity (first read, restart, reset).
 * Per read: one small file per process in /proc plus the pid file; the
 * process titles of children without a process-array slot are cached by pid
 * and start time. Requires `--allow-read` (the data directory) and
 * `--allow-ffi` (mmap, kill, /proc through lib/ffi/procfs.ts).
 *
 * @module
 */

import { formatLsn, readControlFile } from "../wal/mod.ts";
import { libc, LinuxConst } from "../ffi/libc.ts";
import {
  procBootTimeS,
  procChildPids,
  procClockTicksPerS,
  procPageSizeBytes,
  type ProcStat,
  readProcCmdline,
  readProcStat,
} from "../ffi/procfs.ts";
import type { PidFileContents } from "../postmaster/pid_file.ts";
import type { BackendAction } from "./keys.ts";
import { postmasterAlive, readClusterPidFile } from "./pid_file.ts";
import {
  type BufferStats,
  type CheckpointStats,
  type ProcessInfo,
  type ServerInfo,
  type ServerState,
  TOP_SNAPSHOT_SCHEMA_VERSION,
  type TopSnapshot,
  type WalStats,
} from "./snapshot.ts";
import { type CounterReading, type SegmentReading, SegmentView, type SlotReading } from "./segment_view.ts";
import type { SnapshotSource } from "./use_snapshot.ts";

/** Most child titles cached (children without a process-array slot, e.g. spare backends). */
const _TITLE_CACHE_MAX = 1024;
/** Prefix of denogres process titles (lib/postmaster/ps_status.ts). */
const _TITLE_PREFIX = "denogres: ";

interface _Previous {
  readonly atMs: number;
  readonly postmasterPid: number;
  readonly generation: number | null;
  readonly counters: CounterReading | null;
  readonly cpuTicks: ReadonlyMap<number, number>;
}

/**
 * Reads snapshots of the cluster in one data directory.
 *
 * @example
 * ```ts
 * const reader = new SnapshotReader("/srv/data");
 * const snapshot = reader.read();
 * reader.close();
 * ```
 */
export class SnapshotReader implements SnapshotSource {
  readonly #dataDir: string;
  readonly #bootTimeS = procBootTimeS();
  readonly #ticksPerS = procClockTicksPerS();
  readonly #pageBytes = procPageSizeBytes();
  #segment: SegmentView | null = null;
  #previous: _Previous | null = null;
  #lastStatus: TopSnapshot["status"] | null = null;
  #titles = new Map<string, string>();
  /** pg_control's mtime and its latest checkpoint's time (epoch ms), re-read only when the file changes. */
  #control: { mtimeMs: number; checkpointMs: number | null } | null = null;

  /** @param dataDir the cluster's data directory */
  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  /**
   * Takes a snapshot now. Never throws for operating conditions.
   *
   * @returns the snapshot
   */
  read(): TopSnapshot {
    const nowMs = Date.now();
    const notices: string[] = [];
    const pidFile = readClusterPidFile(this.#dataDir);
    if (pidFile === null || !postmasterAlive(pidFile, this.#bootTimeS, this.#ticksPerS)) {
      return this.#noServer(nowMs, pidFile, notices);
    }
    if (this.#lastStatus === "no server") notices.push(`server started: postmaster PID ${pidFile.pid}`);
    const prev = this.#previous !== null && this.#previous.postmasterPid === pidFile.pid ? this.#previous : null;
    if (this.#previous !== null && prev === null) {
      notices.push(`server restarted: postmaster PID ${this.#previous.postmasterPid} -> ${pidFile.pid}`);
      this.#detach();
    }
    const reading = this.#readSegment(pidFile, notices);
    const generation = reading?.generation ?? null;
    const continuous = prev !== null && prev.generation === generation && reading !== null;
    if (prev !== null && prev.generation !== null && generation !== null && prev.generation !== generation) {
      notices.push(`server reset after a crash: shared memory generation ${prev.generation} -> ${generation}`);
    }
    const elapsedS = prev === null ? 0 : (nowMs - prev.atMs) / 1000;
    const cpuTicks = new Map<number, number>();
    const processes = this.#processes(pidFile, reading, nowMs, prev, elapsedS, cpuTicks);
    const counters = reading?.counters ?? null;
    const prevCounters = continuous && elapsedS > 0 ? prev.counters : null;
    this.#previous = { atMs: nowMs, postmasterPid: pidFile.pid, generation, counters, cpuTicks };
    this.#lastStatus = reading === null ? "unreadable" : "running";
    return {
      schemaVersion: TOP_SNAPSHOT_SCHEMA_VERSION,
      takenAt: new Date(nowMs).toISOString(),
      intervalMs: prev === null ? 0 : nowMs - prev.atMs,
      dataDir: this.#dataDir,
      status: this.#lastStatus,
      notices,
      server: this.#server(pidFile, reading, processes, nowMs, prevCounters, elapsedS),
      processes,
      buffers: reading === null ? null : _buffers(reading, prevCounters, elapsedS),
      wal: reading === null ? null : _wal(reading, prevCounters, elapsedS),
      checkpoints: reading === null ? null : this.#checkpoints(reading),
    };
  }

  /**
   * Sends SIGINT (cancel) or SIGTERM (terminate) to a client backend of this
   * cluster, as pg_cancel_backend() / pg_terminate_backend() do, after
   * checking again, right before sending, that the pid is a client backend
   * in the process array and a child of the running postmaster (a pid can be
   * reused between the frame the user saw and the key press).
   *
   * @param pid the backend's pid
   * @param action cancel or terminate
   * @returns one line saying what was done or why not
   */
  signalBackend(pid: number, action: BackendAction): string {
    const pidFile = readClusterPidFile(this.#dataDir);
    if (pidFile === null || !postmasterAlive(pidFile, this.#bootTimeS, this.#ticksPerS)) {
      return `PID ${pid} not signalled: no server running`;
    }
    const reading = this.#readSegment(pidFile, []);
    const slot = reading?.slots.find((s) => s.pid === pid);
    if (slot === undefined || slot.backendType !== "client backend") {
      return `PID ${pid} is not a PostgreSQL backend process`;
    }
    if (readProcStat(pid)?.parentPid !== pidFile.pid) return `PID ${pid} is not a backend of this server`;
    const signal = action === "cancel" ? LinuxConst.SIGINT : LinuxConst.SIGTERM;
    if (libc().kill(pid, signal) !== 0) return `could not send signal to process ${pid}`;
    return action === "cancel"
      ? `sent SIGINT to backend ${pid} (cancel)`
      : `sent SIGTERM to backend ${pid} (terminate)`;
  }

  /** Drops the mapping. The reader can still be used; it attaches again on the next read. */
  close(): void {
    this.#detach();
  }

  #noServer(nowMs: number, pidFile: PidFileContents | null, notices: string[]): TopSnapshot {
    if (this.#lastStatus !== null && this.#lastStatus !== "no server") {
      notices.push(
        pidFile === null ? "server stopped: postmaster.pid is gone" : "server stopped: postmaster has exited",
      );
    }
    if (pidFile !== null) notices.push(`postmaster.pid names PID ${pidFile.pid}, which is not running`);
    this.#detach();
    this.#previous = null;
    this.#lastStatus = "no server";
    return {
      schemaVersion: TOP_SNAPSHOT_SCHEMA_VERSION,
      takenAt: new Date(nowMs).toISOString(),
      intervalMs: 0,
      dataDir: this.#dataDir,
      status: "no server",
      notices,
      server: null,
      processes: [],
      buffers: null,
      wal: null,
      checkpoints: null,
    };
  }

  #readSegment(pidFile: PidFileContents, notices: string[]): SegmentReading | null {
    const name = pidFile.shmemKey ?? "";
    if (name === "") {
      notices.push("shared memory not yet created");
      return null;
    }
    if (this.#segment !== null && this.#segment.name === name) {
      const reading = this.#readOrNotice(this.#segment, notices);
      if (reading !== null) return reading;
      notices.push("shared memory was discarded: attaching the new segment");
    }
    this.#detach();
    try {
      this.#segment = SegmentView.attach(name);
    } catch (e) {
      notices.push(`could not attach shared memory: ${_message(e)}`);
      return null;
    }
    return this.#readOrNotice(this.#segment, notices);
  }

  #readOrNotice(segment: SegmentView, notices: string[]): SegmentReading | null {
    try {
      return segment.read();
    } catch (e) {
      notices.push(`could not read shared memory: ${_message(e)}`);
      return null;
    }
  }

  #detach(): void {
    this.#segment?.detach();
    this.#segment = null;
  }

  #processes(
    pidFile: PidFileContents,
    reading: SegmentReading | null,
    nowMs: number,
    prev: _Previous | null,
    elapsedS: number,
    cpuTicks: Map<number, number>,
  ): ProcessInfo[] {
    const slots = new Map<number, SlotReading>();
    for (const s of reading?.slots ?? []) slots.set(s.pid, s);
    const cpu = (pid: number, stat: ProcStat): number | null => {
      const ticks = stat.utimeTicks + stat.stimeTicks;
      cpuTicks.set(pid, ticks);
      const before = prev?.cpuTicks.get(pid);
      if (before === undefined || elapsedS <= 0) return null;
      return Math.max(0, ((ticks - before) / this.#ticksPerS / elapsedS) * 100);
    };
    const out: ProcessInfo[] = [];
    const pmStat = readProcStat(pidFile.pid);
    out.push(_process(pidFile.pid, pmStat?.parentPid ?? null, "postmaster", true, null, nowMs, {
      cpuPercent: pmStat === undefined ? null : cpu(pidFile.pid, pmStat),
      rssBytes: pmStat === undefined ? null : pmStat.rssPages * this.#pageBytes,
    }));
    for (const pid of procChildPids(pidFile.pid)) {
      const stat = readProcStat(pid);
      if (stat === undefined) continue; // exited since the children list was read
      const slot = slots.get(pid) ?? null;
      const type = slot?.backendType ?? this.#childType(pid, stat);
      out.push(_process(pid, stat.parentPid, type, type !== "client backend", slot, nowMs, {
        cpuPercent: cpu(pid, stat),
        rssBytes: stat.rssPages * this.#pageBytes,
      }));
    }
    return out;
  }

  /**
   * Type of a child without a slot: its title without `denogres: ` (cached
   * by pid and start time, since a set title does not change while the
   * process has no slot), or its `--child=<type>` argument while it has not
   * set a title yet (not cached: the title comes soon).
   */
  #childType(pid: number, stat: ProcStat): string {
    const key = `${pid}:${stat.startTicks}`;
    const cached = this.#titles.get(key);
    if (cached !== undefined) return cached;
    const title = readProcCmdline(pid) ?? "";
    if (!title.startsWith(_TITLE_PREFIX)) return /--child=(\S+)/.exec(title)?.[1] ?? (title.split(" ")[0] || "unknown");
    const type = title.slice(_TITLE_PREFIX.length);
    if (this.#titles.size >= _TITLE_CACHE_MAX) this.#titles.clear();
    this.#titles.set(key, type);
    return type;
  }

  /**
   * Checkpoint figures: counts and the last completed checkpoint's end and
   * duration from the statistics; before any checkpoint completed since the
   * segment was created, the latest checkpoint's time from pg_control (as
   * pg_controldata's "Time of latest checkpoint", e.g. the shutdown
   * checkpoint of the previous run), without a duration.
   */
  #checkpoints(r: SegmentReading): CheckpointStats | null {
    const c = r.counters?.checkpoints;
    if (c === undefined) return null;
    const lastMs = c.last?.endMs ?? this.#controlCheckpointMs();
    return {
      timed: c.timed,
      requested: c.requested,
      lastAt: lastMs === null ? null : new Date(lastMs).toISOString(),
      lastDurationMs: c.last === null ? null : Math.max(0, c.last.endMs - c.last.startMs),
      buffersWritten: c.buffersWritten,
    };
  }

  #controlCheckpointMs(): number | null {
    try {
      const mtimeMs = Deno.statSync(`${this.#dataDir}/global/pg_control`).mtime?.getTime() ?? 0;
      if (this.#control?.mtimeMs !== mtimeMs) {
        const time = readControlFile(this.#dataDir).checkPointCopy.time;
        this.#control = { mtimeMs, checkpointMs: time > 0 ? time * 1000 : null };
      }
      return this.#control.checkpointMs;
    } catch {
      // Missing, being replaced or unreadable: the time is simply not shown this frame.
      return null;
    }
  }

  #server(
    pidFile: PidFileContents,
    reading: SegmentReading | null,
    processes: readonly ProcessInfo[],
    nowMs: number,
    prevCounters: CounterReading | null,
    elapsedS: number,
  ): ServerInfo {
    const startMs = (pidFile.startTimeSec ?? nowMs / 1000) * 1000;
    const c = reading?.counters ?? null;
    const xacts = (r: CounterReading) => r.commits + r.rollbacks;
    return {
      pid: pidFile.pid,
      startedAt: new Date(startMs).toISOString(),
      uptimeS: Math.max(0, (nowMs - startMs) / 1000),
      port: pidFile.port ?? 0,
      socketDir: pidFile.socketDir ?? "",
      listenAddresses: pidFile.listenAddr ?? "",
      shmemName: pidFile.shmemKey ?? "",
      generation: reading?.generation ?? null,
      state: _serverState(pidFile, processes),
      connectionsUsed: processes.filter((p) => p.backendType === "client backend" && p.inProcArray).length,
      connectionsMax: reading?.connectionsMax ?? null,
      transactionsPerS: c === null || prevCounters === null ? null : _rate(xacts(c), xacts(prevCounters), elapsedS),
      commitsTotal: c?.commits ?? null,
      rollbacksTotal: c?.rollbacks ?? null,
    };
  }
}

function _message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function _serverState(pidFile: PidFileContents, processes: readonly ProcessInfo[]): ServerState {
  const status = (pidFile.status ?? "").trim();
  if (status === "stopping") return "shutting down";
  if (status === "ready") return "ready";
  return processes.some((p) => p.backendType === "startup") ? "in recovery" : "starting";
}

function _process(
  pid: number,
  parentPid: number | null,
  backendType: string,
  background: boolean,
  slot: SlotReading | null,
  nowMs: number,
  figures: Pick<ProcessInfo, "cpuPercent" | "rssBytes">,
): ProcessInfo {
  const iso = (ms: number | null | undefined) => ms === null || ms === undefined ? null : new Date(ms).toISOString();
  return {
    pid,
    parentPid,
    backendType,
    background,
    inProcArray: slot !== null,
    state: slot?.state ?? null,
    waitEventType: slot?.waitEventType ?? null,
    waitEvent: slot?.waitEvent ?? null,
    stateDurationS: slot?.stateChangeMs == null ? null : Math.max(0, (nowMs - slot.stateChangeMs) / 1000),
    user: slot?.user ?? null,
    database: slot?.database ?? null,
    applicationName: slot?.applicationName ?? null,
    clientAddr: slot?.clientAddr ?? null,
    clientPort: slot?.clientPort ?? null,
    backendStartedAt: iso(slot?.backendStartMs),
    xactStartedAt: iso(slot?.xactStartMs),
    queryStartedAt: iso(slot?.queryStartMs),
    query: slot?.query ?? null,
    ...figures,
  };
}

function _rate(now: number, before: number, elapsedS: number): number {
  return Math.max(0, (now - before) / elapsedS);
}

function _buffers(r: SegmentReading, prev: CounterReading | null, elapsedS: number): BufferStats | null {
  const pool = r.bufferPool;
  if (pool === null) return null;
  const c = r.counters;
  let hitRatio: number | null = null;
  let rates: BufferStats["rates"] = null;
  if (c !== null && prev !== null) {
    const io = (who: keyof CounterReading["buffers"]) => ({
      readsPerS: _rate(c.buffers[who].reads, prev.buffers[who].reads, elapsedS),
      writesPerS: _rate(c.buffers[who].writes, prev.buffers[who].writes, elapsedS),
      evictionsPerS: _rate(c.buffers[who].evictions, prev.buffers[who].evictions, elapsedS),
    });
    rates = { backends: io("backends"), bgwriter: io("bgwriter"), checkpointer: io("checkpointer") };
    const sum = (x: CounterReading, f: "hits" | "reads") =>
      x.buffers.backends[f] + x.buffers.bgwriter[f] + x.buffers.checkpointer[f];
    const hits = sum(c, "hits") - sum(prev, "hits");
    const reads = sum(c, "reads") - sum(prev, "reads");
    hitRatio = hits + reads > 0 ? Math.max(0, Math.min(1, hits / (hits + reads))) : null;
  }
  return {
    sizeBuffers: pool.sizeBuffers,
    blockSizeBytes: pool.blockSizeBytes,
    usedBuffers: pool.usedBuffers,
    dirtyBuffers: pool.dirtyBuffers,
    pinnedBuffers: pool.pinnedBuffers,
    usageCountHistogram: pool.usageCountHistogram,
    hitRatio,
    rates,
  };
}

function _wal(r: SegmentReading, prev: CounterReading | null, elapsedS: number): WalStats {
  const c = r.counters;
  const rate = (f: "bytes" | "fsyncs" | "records") =>
    c === null || prev === null ? null : _rate(c.wal[f], prev.wal[f], elapsedS);
  return {
    insertLsn: r.walPositions === null ? null : formatLsn(r.walPositions.insertLsn),
    flushLsn: r.walPositions === null ? null : formatLsn(r.walPositions.flushLsn),
    bytesPerS: rate("bytes"),
    fsyncsPerS: rate("fsyncs"),
    recordsPerS: rate("records"),
  };
}
