/**
 * stats.ts — cumulative statistics counters in shared memory: buffer I/O
 * and WAL per backend type, checkpointer/bgwriter totals, transactions per
 * backend type and per database; and a reader returning plain snapshots.
 *
 * PostgreSQL counterpart: src/backend/utils/activity/pgstat_io.c,
 * pgstat_wal.c, pgstat_bgwriter.c, pgstat_checkpointer.c, pgstat_database.c
 * (PostgreSQL keeps backend-local pending counts and flushes them; we add to
 * the shared counters directly with atomics, which is cheap enough here).
 *
 * NOTES
 * Every counter is an i64 updated with `Atomics.add`, so concurrent updates
 * are never lost, and read with `Atomics.load`; a snapshot is not one
 * instant across counters (neither is PostgreSQL's). Counting uses the
 * backend type of the caller's process-array slot, so a process counts
 * only after claiming a slot. Counters start at zero with the segment: a
 * crash reset loses them, as PostgreSQL discards stats after a crash.
 * `top` and the `pg_stat_*` views read {@link pgstatSnapshot}, which works on
 * a read-only attachment. See README.md.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { BACKEND_TYPES, type BackendType, backendTypeIndex } from "./backend_type.ts";
import type { ShmemSegment } from "./segment.ts";
import {
  CHECKPOINTER_COUNTERS,
  type CheckpointerCounter,
  DATABASE_CHECKSUM_LAST_FAILURE_OFFSET,
  DATABASE_COUNTERS,
  DATABASE_STATS_MAX,
  type DatabaseCounter,
  IO_COUNTERS,
  type IoCounter,
  STATS_RESET_TARGETS,
  STATS_ROW_BYTES,
  StatsOffset,
  type StatsResetTarget,
  WAL_COUNTERS,
  type WalCounter,
  XACT_COUNTERS,
  type XactCounter,
} from "./stats_layout.ts";

/** A plain copy of every counter (numbers; times in µs, as counted). */
export interface StatsSnapshot {
  /** Buffer I/O per backend type (pg_stat_io). */
  readonly io: Record<BackendType, Record<IoCounter, number>>;
  /** WAL activity per backend type (pg_stat_wal, split by type; times in µs). */
  readonly wal: Record<BackendType, Record<WalCounter, number>>;
  /** Commits and rollbacks per backend type. */
  readonly xact: Record<BackendType, Record<XactCounter, number>>;
  /** pg_stat_bgwriter (times in µs). */
  readonly checkpointer: Record<CheckpointerCounter, number>;
  /** The last completed checkpoint's start and end (epoch ms); null when none completed since the segment was made. */
  readonly lastCheckpoint: { readonly startMs: number; readonly endMs: number } | null;
  /** pg_stat_database's counters, for databases with a row. */
  readonly databases: readonly DatabaseStats[];
  /** When each group was last reset (epoch ms): `stats_reset`. */
  readonly resetAtMs: Record<StatsResetTarget, number>;
}

/** One database's counters (pg_stat_database). */
export type DatabaseStats =
  & { readonly oid: number; readonly checksumLastFailureMs: number | null }
  & Readonly<Record<DatabaseCounter, number>>;

/**
 * Sets the reset times (segment creation).
 *
 * @param seg the new segment
 */
export function statsShmemInit(seg: ShmemSegment): void {
  const base = seg.region("statistics").offset;
  const now = Date.now();
  STATS_RESET_TARGETS.forEach((_, i) => (seg.f64[(base + StatsOffset.resetAtMs + i * 8) >> 3] = now));
}

/**
 * The database table's key for shared relations (database 0): oid 0 marks a
 * free row, so shared relations use the largest oid instead (never a real
 * database's: oids are 32-bit).
 */
const _SHARED_DATABASE_ROW_OID = 2 ** 32;

function _myRow(seg: ShmemSegment, group: number): number {
  const type = seg.local.backendType;
  assert(type !== undefined, "process holds a process-array slot before counting statistics");
  return seg.region("statistics").offset + group + backendTypeIndex(type) * STATS_ROW_BYTES;
}

function _add(seg: ShmemSegment, offset: number, n: number): void {
  Atomics.add(seg.bigInt64, offset >> 3, BigInt(n));
}

/**
 * Counts buffer I/O of this process's backend type, and for `hits`/`reads`
 * also the database's `blks_hit`/`blks_read` when `databaseOid` is given
 * (0: a shared relation, counted in pg_stat_database's row for datid 0).
 *
 * @param seg the segment; this process holds a slot
 * @param counter which counter
 * @param n how many (default 1)
 * @param databaseOid the relation's database, 0 for a shared relation; omitted: no database row
 */
export function pgstatCountIo(seg: ShmemSegment, counter: IoCounter, n = 1, databaseOid?: number): void {
  _add(seg, _myRow(seg, StatsOffset.io) + IO_COUNTERS.indexOf(counter) * 8, n);
  if (databaseOid !== undefined && (counter === "hits" || counter === "reads")) {
    _countDatabase(seg, databaseOid, counter === "hits" ? "blksHit" : "blksRead", n);
  }
}

/**
 * Counts WAL activity of this process's backend type.
 *
 * @param seg the segment; this process holds a slot
 * @param counter which counter (times in µs)
 * @param n amount (default 1)
 */
export function pgstatCountWal(seg: ShmemSegment, counter: WalCounter, n = 1): void {
  _add(seg, _myRow(seg, StatsOffset.wal) + WAL_COUNTERS.indexOf(counter) * 8, Math.round(n));
}

/**
 * Counts a transaction end for this process's backend type and, when given,
 * its database.
 *
 * @param seg the segment; this process holds a slot
 * @param committed true for a commit, false for a rollback
 * @param databaseOid the database, or 0
 */
export function pgstatCountXact(seg: ShmemSegment, committed: boolean, databaseOid = 0): void {
  const counter: XactCounter = committed ? "commits" : "rollbacks";
  _add(seg, _myRow(seg, StatsOffset.xact) + XACT_COUNTERS.indexOf(counter) * 8, 1);
  if (databaseOid !== 0) _countDatabase(seg, databaseOid, committed ? "xactCommit" : "xactRollback", 1);
}

/**
 * Counts a cluster-wide checkpointer/bgwriter event (pg_stat_bgwriter).
 *
 * @param seg the segment (read-write)
 * @param counter which counter (times in µs)
 * @param n amount (default 1)
 */
export function pgstatCountCheckpointer(seg: ShmemSegment, counter: CheckpointerCounter, n = 1): void {
  const base = seg.region("statistics").offset + StatsOffset.checkpointer;
  _add(seg, base + CHECKPOINTER_COUNTERS.indexOf(counter) * 8, Math.round(n));
}

/**
 * Byte offset of a database's row (0: shared relations), claiming a free one
 * on first use; undefined when the table is full.
 */
function _databaseRow(seg: ShmemSegment, oid: number): number | undefined {
  const base = seg.region("statistics").offset + StatsOffset.databases;
  const want = BigInt(oid === 0 ? _SHARED_DATABASE_ROW_OID : oid);
  for (let i = 0; i < DATABASE_STATS_MAX; i++) {
    const row = base + i * STATS_ROW_BYTES;
    const seen = Atomics.compareExchange(seg.bigInt64, row >> 3, 0n, want);
    if (seen === 0n || seen === want) return row;
  }
  return undefined; // Table full: this database counts only in the per-backend-type rows.
}

function _countDatabase(seg: ShmemSegment, oid: number, counter: DatabaseCounter, n: number): void {
  const row = _databaseRow(seg, oid);
  if (row !== undefined) _add(seg, row + 8 + DATABASE_COUNTERS.indexOf(counter) * 8, n);
}

/**
 * Counts a page that failed its checksum, and when (pgstat_report_checksum_failure).
 *
 * @param seg the segment (read-write)
 * @param databaseOid the page's database, or 0 for a shared relation
 */
export function pgstatReportChecksumFailure(seg: ShmemSegment, databaseOid: number): void {
  const row = _databaseRow(seg, databaseOid);
  if (row === undefined) return;
  _add(seg, row + 8 + DATABASE_COUNTERS.indexOf("checksumFailures") * 8, 1);
  Atomics.store(seg.bigInt64, (row + DATABASE_CHECKSUM_LAST_FAILURE_OFFSET) >> 3, BigInt(Date.now()));
}

/**
 * Records a completed checkpoint's start and end (the times pg_stat_bgwriter
 * lacks and `checkpoint complete` logs). Two plain atomic stores: a reader
 * may see the new start with the old end for a moment, never a torn value.
 *
 * @param seg the segment (read-write)
 * @param startMs when it started (epoch ms)
 * @param endMs when it ended (epoch ms)
 */
export function pgstatReportCheckpoint(seg: ShmemSegment, startMs: number, endMs: number): void {
  const at = seg.region("statistics").offset + StatsOffset.lastCheckpoint;
  Atomics.store(seg.bigInt64, at >> 3, BigInt(Math.round(startMs)));
  Atomics.store(seg.bigInt64, (at + 8) >> 3, BigInt(Math.round(endMs)));
}

/**
 * Zeroes a group of counters and records the time (pg_stat_reset_shared).
 * Concurrent increments during the reset may survive it.
 *
 * @param seg the segment (read-write)
 * @param target `"bgwriter"`, `"io"` or `"wal"`
 */
export function pgstatResetShared(seg: ShmemSegment, target: StatsResetTarget): void {
  const base = seg.region("statistics").offset;
  const [from, bytes] = target === "bgwriter"
    ? [StatsOffset.checkpointer, CHECKPOINTER_COUNTERS.length * 8]
    : [target === "io" ? StatsOffset.io : StatsOffset.wal, BACKEND_TYPES.length * STATS_ROW_BYTES];
  for (let at = base + from; at < base + from + bytes; at += 8) Atomics.store(seg.bigInt64, at >> 3, 0n);
  seg.f64[(base + StatsOffset.resetAtMs + STATS_RESET_TARGETS.indexOf(target) * 8) >> 3] = Date.now();
}

function _row<K extends string>(seg: ShmemSegment, at: number, names: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  names.forEach((name, i) => (out[name] = Number(Atomics.load(seg.bigInt64, (at + i * 8) >> 3))));
  return out;
}

function _perType<K extends string>(
  seg: ShmemSegment,
  group: number,
  names: readonly K[],
): Record<BackendType, Record<K, number>> {
  const base = seg.region("statistics").offset + group;
  const out = {} as Record<BackendType, Record<K, number>>;
  BACKEND_TYPES.forEach((type, i) => (out[type] = _row(seg, base + i * STATS_ROW_BYTES, names)));
  return out;
}

/**
 * Copies every counter into a plain object. Works on a read-only attachment.
 *
 * @param seg the segment
 * @returns the snapshot
 * @example
 * ```ts
 * const s = pgstatSnapshot(seg);
 * s.io["client backend"].hits;
 * ```
 */
export function pgstatSnapshot(seg: ShmemSegment): StatsSnapshot {
  const base = seg.region("statistics").offset;
  const databases: DatabaseStats[] = [];
  for (let i = 0; i < DATABASE_STATS_MAX; i++) {
    const row = base + StatsOffset.databases + i * STATS_ROW_BYTES;
    const oid = Number(Atomics.load(seg.bigInt64, row >> 3));
    if (oid === 0) continue;
    const failureMs = Number(Atomics.load(seg.bigInt64, (row + DATABASE_CHECKSUM_LAST_FAILURE_OFFSET) >> 3));
    databases.push({
      oid: oid === _SHARED_DATABASE_ROW_OID ? 0 : oid,
      checksumLastFailureMs: failureMs === 0 ? null : failureMs,
      ..._row(seg, row + 8, DATABASE_COUNTERS),
    });
  }
  const lastStartMs = Number(Atomics.load(seg.bigInt64, (base + StatsOffset.lastCheckpoint) >> 3));
  const lastEndMs = Number(Atomics.load(seg.bigInt64, (base + StatsOffset.lastCheckpoint + 8) >> 3));
  const resetAtMs = {} as Record<StatsResetTarget, number>;
  STATS_RESET_TARGETS.forEach((t, i) => (resetAtMs[t] = seg.f64[(base + StatsOffset.resetAtMs + i * 8) >> 3]));
  return {
    io: _perType(seg, StatsOffset.io, IO_COUNTERS),
    wal: _perType(seg, StatsOffset.wal, WAL_COUNTERS),
    xact: _perType(seg, StatsOffset.xact, XACT_COUNTERS),
    checkpointer: _row(seg, base + StatsOffset.checkpointer, CHECKPOINTER_COUNTERS),
    lastCheckpoint: lastEndMs === 0 ? null : { startMs: lastStartMs, endMs: lastEndMs },
    databases,
    resetAtMs,
  };
}
