/**
 * stats_layout.ts — the statistics region's layout: which 64-bit counters
 * exist and where they are.
 *
 * PostgreSQL counterpart: the shared stats of pg_stat_bgwriter, pg_stat_wal,
 * pg_stat_io (PostgreSQL 16) and pg_stat_database (pgstat_*.c).
 *
 * NOTES
 * Pure data. Each backend type's row of a counter group is one cache line of
 * eight i64 counters, so two backend types never share a line. Times are
 * stored in microseconds (integers, for atomic adds). The database table is
 * a fixed array of {@link DATABASE_STATS_MAX} entries claimed by oid with
 * compare-exchange; databases beyond it count only in the global rows.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { BACKEND_TYPES } from "./backend_type.ts";

/** Counters of buffer I/O per backend type (pg_stat_io's columns). */
export const IO_COUNTERS = [
  "reads",
  "writes",
  "writebacks",
  "extends",
  "hits",
  "evictions",
  "reuses",
  "fsyncs",
] as const;
/** An I/O counter. */
export type IoCounter = (typeof IO_COUNTERS)[number];

/** Counters of WAL activity per backend type (pg_stat_wal's columns; times in µs). */
export const WAL_COUNTERS = [
  "records",
  "fpi",
  "bytes",
  "buffersFull",
  "writes",
  "syncs",
  "writeTimeUs",
  "syncTimeUs",
] as const;
/** A WAL counter. */
export type WalCounter = (typeof WAL_COUNTERS)[number];

/** Transaction counters per backend type. */
export const XACT_COUNTERS = ["commits", "rollbacks"] as const;
/** A transaction counter. */
export type XactCounter = (typeof XACT_COUNTERS)[number];

/** Cluster-wide checkpointer and background-writer counters (pg_stat_bgwriter's columns; times in µs). */
export const CHECKPOINTER_COUNTERS = [
  "checkpointsTimed",
  "checkpointsReq",
  "checkpointWriteTimeUs",
  "checkpointSyncTimeUs",
  "buffersCheckpoint",
  "buffersClean",
  "maxwrittenClean",
  "buffersBackend",
  "buffersBackendFsync",
  "buffersAlloc",
] as const;
/** A checkpointer/bgwriter counter. */
export type CheckpointerCounter = (typeof CHECKPOINTER_COUNTERS)[number];

/** Per-database counters (pg_stat_database's columns). */
export const DATABASE_COUNTERS = ["xactCommit", "xactRollback", "blksRead", "blksHit", "checksumFailures"] as const;
/** A per-database counter. */
export type DatabaseCounter = (typeof DATABASE_COUNTERS)[number];

/** Databases with their own row in the statistics region (64 bytes each). */
export const DATABASE_STATS_MAX = 64;

/** What `pgstatResetShared` can reset, as pg_stat_reset_shared's targets. */
export const STATS_RESET_TARGETS = ["bgwriter", "io", "wal"] as const;
/** A reset target. */
export type StatsResetTarget = (typeof STATS_RESET_TARGETS)[number];

const _ROW_BYTES = 64;
const _TYPES = BACKEND_TYPES.length;

/** Offsets within the statistics region. */
export const StatsOffset = {
  /** f64 epoch ms of the last reset, one per {@link STATS_RESET_TARGETS} entry. */
  resetAtMs: 0,
  io: 64,
  wal: 64 + _TYPES * _ROW_BYTES,
  xact: 64 + 2 * _TYPES * _ROW_BYTES,
  /** {@link CHECKPOINTER_COUNTERS} (two rows, room for 12 counters). */
  checkpointer: 64 + 3 * _TYPES * _ROW_BYTES,
  /**
   * The last completed checkpoint: i64 epoch ms of its start, then of its
   * end (0: none since the segment was created). Stored, not added; not
   * reset by pg_stat_reset_shared (they are not pg_stat_bgwriter columns).
   */
  lastCheckpoint: 64 + 3 * _TYPES * _ROW_BYTES + 96,
  /** Each entry: oid (i64), {@link DATABASE_COUNTERS}, then the last checksum failure's epoch ms (i64, 0: none). */
  databases: 64 + 3 * _TYPES * _ROW_BYTES + 2 * _ROW_BYTES,
} as const;
/** Offset of a database row's last-checksum-failure time (after the oid and the counters). */
export const DATABASE_CHECKSUM_LAST_FAILURE_OFFSET = 8 + DATABASE_COUNTERS.length * 8;
/** Bytes of one counter row (eight i64). */
export const STATS_ROW_BYTES = _ROW_BYTES;
assert(
  StatsOffset.checkpointer + CHECKPOINTER_COUNTERS.length * 8 <= StatsOffset.lastCheckpoint,
  "checkpointer counters end before the last-checkpoint times",
);
assert(StatsOffset.lastCheckpoint + 16 <= StatsOffset.databases, "last-checkpoint times fit the checkpointer rows");
assert(DATABASE_CHECKSUM_LAST_FAILURE_OFFSET + 8 <= _ROW_BYTES, "a database row holds its oid, counters and time");

/** Size of the statistics region in bytes. */
export const STATS_REGION_BYTES = StatsOffset.databases + DATABASE_STATS_MAX * _ROW_BYTES;
