/**
 * snapshot.ts — everything one frame of `top` shows, as plain data.
 *
 * PostgreSQL counterpart: none in the server; the rows of pg_stat_activity,
 * pg_stat_bgwriter, pg_stat_io, pg_stat_wal and pg_buffercache_summary() that
 * pg_activity and pg_top query, read here from shared memory and /proc instead.
 *
 * NOTES
 * A snapshot is immutable plain data (no class, no Map, no bigint), so that the
 * components render it, `top --json` prints it as it is, and tests build it by
 * hand. The JSON form is documented by `TOP_SNAPSHOT_SCHEMA` in
 * snapshot_schema.ts and in README.md; change the three together and bump
 * {@link TOP_SNAPSHOT_SCHEMA_VERSION} on an incompatible change. Rates ("per
 * second", CPU %, hit ratio) cover the interval since the previous snapshot
 * and are null on the first one. Figures the server does not (yet) publish
 * are null, never invented.
 *
 * @module
 */

/** Version of the snapshot's JSON form (the `schemaVersion` field). */
export const TOP_SNAPSHOT_SCHEMA_VERSION = 1;

/**
 * What `top` knows about the cluster as a whole:
 * - `running`: a live postmaster and its segment are attached;
 * - `no server`: no `postmaster.pid`, or its process is gone;
 * - `unreadable`: a postmaster runs but its segment cannot be attached (yet).
 */
export type ClusterStatus = "running" | "no server" | "unreadable";

/**
 * The server's state as the header shows it (PostgreSQL's pid-file states,
 * plus recovery seen through the startup process):
 * - `starting`: pid file says starting, no startup process seen yet;
 * - `in recovery`: the startup process is running (crash recovery);
 * - `ready`: accepting connections;
 * - `shutting down`: pid file says stopping.
 */
export type ServerState = "starting" | "in recovery" | "ready" | "shutting down";

/** The postmaster and its cluster-wide figures (the header). */
export interface ServerInfo {
  /** Postmaster pid (postmaster.pid line 1). */
  readonly pid: number;
  /** Postmaster start, ISO 8601 (line 3). */
  readonly startedAt: string;
  /** Seconds since start. */
  readonly uptimeS: number;
  /** TCP port (line 4). */
  readonly port: number;
  /** Unix-socket directory (line 5), "" when none. */
  readonly socketDir: string;
  /** Listen addresses (line 6), "" when none. */
  readonly listenAddresses: string;
  /** Shared-memory segment name (line 7). */
  readonly shmemName: string;
  /** Generation of the segment (bumped at each crash reset); null when not attached. */
  readonly generation: number | null;
  /** State for the header. */
  readonly state: ServerState;
  /** Client backends with a process-array slot. */
  readonly connectionsUsed: number;
  /** `max_connections`; null when not attached. */
  readonly connectionsMax: number | null;
  /** Commits + rollbacks per second over the last interval; null on the first frame. */
  readonly transactionsPerS: number | null;
  /** Cumulative commits since the segment was created; null when not published. */
  readonly commitsTotal: number | null;
  /** Cumulative rollbacks since the segment was created; null when not published. */
  readonly rollbacksTotal: number | null;
}

/** One process of the cluster: the postmaster or one of its children. */
export interface ProcessInfo {
  readonly pid: number;
  /** Parent pid from /proc (the postmaster's for its children); null for the postmaster when unknown. */
  readonly parentPid: number | null;
  /**
   * pg_stat_activity's backend_type ("client backend", "checkpointer",
   * "background writer", "walwriter", "autovacuum launcher", "startup"), or
   * "postmaster", or, for a child without a process-array slot, its
   * `--child=<type>` argument (e.g. "backend" for a spare backend).
   */
  readonly backendType: string;
  /** True for everything but client backends (shown first, like ps --forest). */
  readonly background: boolean;
  /** True when the process has a slot in the process array (the only ones `c`/`K` may signal when client backends). */
  readonly inProcArray: boolean;
  /** pg_stat_activity.state ("active", "idle", "idle in transaction", …); null when none. */
  readonly state: string | null;
  readonly waitEventType: string | null;
  readonly waitEvent: string | null;
  /** Seconds since the last state change; null when unknown. */
  readonly stateDurationS: number | null;
  readonly user: string | null;
  readonly database: string | null;
  readonly applicationName: string | null;
  /** Client address ("127.0.0.1", "[local]" for a Unix socket); null when none. */
  readonly clientAddr: string | null;
  /** Client port; -1 for a Unix socket (as pg_stat_activity); null when none. */
  readonly clientPort: number | null;
  /** Backend start, ISO 8601; null when unknown. */
  readonly backendStartedAt: string | null;
  /** Current transaction's start, ISO 8601; null when none. */
  readonly xactStartedAt: string | null;
  /** Current or last query's start, ISO 8601; null when none. */
  readonly queryStartedAt: string | null;
  /** Current or last query text; null when none. */
  readonly query: string | null;
  /** CPU use over the last interval, % of one core; null on the first frame. */
  readonly cpuPercent: number | null;
  /** Resident set size in bytes; null when /proc could not be read. */
  readonly rssBytes: number | null;
}

/** Buffer activity of one kind of process, per second over the last interval. */
export interface BufferIoRates {
  readonly readsPerS: number;
  readonly writesPerS: number;
  readonly evictionsPerS: number;
}

/** Shared buffer pool (the buffer cache panel). */
export interface BufferStats {
  /** Number of shared buffers (`shared_buffers`). */
  readonly sizeBuffers: number;
  /** Bytes per buffer (BLCKSZ). */
  readonly blockSizeBytes: number;
  /** Buffers holding a valid page; null when descriptors are not published. */
  readonly usedBuffers: number | null;
  /** Dirty buffers; null when not published. */
  readonly dirtyBuffers: number | null;
  /** Buffers pinned by at least one process; null when not published. */
  readonly pinnedBuffers: number | null;
  /** Valid buffers by usage count 0..5 (BM_MAX_USAGE_COUNT); null when not published. */
  readonly usageCountHistogram: readonly number[] | null;
  /** hits / (hits + reads) over the last interval; null when nothing was accessed or on the first frame. */
  readonly hitRatio: number | null;
  /** Reads, writes, evictions per second by who did them; null on the first frame or when not published. */
  readonly rates: {
    readonly backends: BufferIoRates;
    readonly bgwriter: BufferIoRates;
    readonly checkpointer: BufferIoRates;
  } | null;
}

/** Write-ahead log (the WAL panel). */
export interface WalStats {
  /** Current insert position, "X/X" as pg_current_wal_insert_lsn(); null when not published. */
  readonly insertLsn: string | null;
  /** Flushed-up-to position, "X/X" as pg_current_wal_flush_lsn(); null when not published. */
  readonly flushLsn: string | null;
  /** WAL bytes generated per second over the last interval; null on the first frame. */
  readonly bytesPerS: number | null;
  /** WAL fsyncs per second over the last interval; null on the first frame. */
  readonly fsyncsPerS: number | null;
  /** WAL records per second over the last interval; null on the first frame. */
  readonly recordsPerS: number | null;
}

/** Checkpoints (the checkpoint panel). */
export interface CheckpointStats {
  /** Checkpoints started by checkpoint_timeout. */
  readonly timed: number;
  /** Checkpoints requested (CHECKPOINT, WAL volume, shutdown). */
  readonly requested: number;
  /**
   * End of the last checkpoint completed since the segment was created, ISO
   * 8601; before one completes, the latest checkpoint's time from pg_control
   * (e.g. the previous run's shutdown checkpoint); null when neither is known.
   */
  readonly lastAt: string | null;
  /** Duration of the last checkpoint completed since the segment was created, in ms (end - start); null when none. */
  readonly lastDurationMs: number | null;
  /** Buffers written by checkpoints since start; null when not published. */
  readonly buffersWritten: number | null;
}

/** One frame of `top`: the whole screen as plain data. */
export interface TopSnapshot {
  /** {@link TOP_SNAPSHOT_SCHEMA_VERSION}. */
  readonly schemaVersion: number;
  /** When the snapshot was taken, ISO 8601. */
  readonly takenAt: string;
  /** Milliseconds since the previous snapshot (rates cover this); 0 on the first. */
  readonly intervalMs: number;
  /** The data directory, as given. */
  readonly dataDir: string;
  readonly status: ClusterStatus;
  /**
   * Events since the previous snapshot, one line each (server stopped,
   * restarted, reset after a crash, segment re-attached), and why a status is
   * not `running`. Empty when nothing happened.
   */
  readonly notices: readonly string[];
  /** Null unless a postmaster runs. */
  readonly server: ServerInfo | null;
  /** The postmaster first, then its children; empty when no server runs. */
  readonly processes: readonly ProcessInfo[];
  readonly buffers: BufferStats | null;
  readonly wal: WalStats | null;
  readonly checkpoints: CheckpointStats | null;
}
