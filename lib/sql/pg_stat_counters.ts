/**
 * pg_stat_counters.ts — the cumulative-statistics views pg_stat_bgwriter,
 * pg_stat_wal and pg_stat_database, and pg_stat_reset_shared(): PostgreSQL
 * 15's columns and types, values from the counters in shared memory.
 *
 * PostgreSQL counterpart: those views in src/backend/catalog/system_views.sql
 * and pg_stat_get_bgwriter_*(), pg_stat_get_wal(), pg_stat_get_db_*() and
 * pg_stat_reset_shared() in src/backend/utils/adt/pgstatfuncs.c.
 *
 * NOTES
 * Every read is lib/shmem's pgstatSnapshot() (atomic loads, no lock); times
 * are counted in µs and shown in ms as double precision, as PostgreSQL's.
 * pg_stat_database lists the row of shared objects (datid 0) and then every
 * database of the bootstrap catalog, as the view's UNION ALL over
 * pg_database does. Columns denogres does not count (tuples — there are no
 * tables yet —, temporary files, deadlocks, I/O timing, session times and
 * counts) are NULL, never a made-up zero; `conflicts` is a real 0 (only a
 * standby has recovery conflicts, and denogres is never one). The WAL write
 * and sync times are always measured (PostgreSQL measures them only with
 * track_wal_io_timing on).
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { readDatabases } from "../catalog/mod.ts";
import {
  BACKEND_TYPES,
  DATABASE_STATS_MAX,
  type DatabaseStats,
  pgstatResetShared,
  pgstatSnapshot,
  type StatsSnapshot,
} from "../shmem/mod.ts";
import { timestamptzFromUnixMs } from "./datetime.ts";
import type { ExecSession } from "./exec_context.ts";
import { numericFromInt } from "./numeric.ts";
import type { SystemView } from "./system_views.ts";
import { type Datum, TypeOid } from "./types.ts";

const T = TypeOid;

/** A count as PostgreSQL's bigint columns return it. */
function _int8(n: number): bigint {
  return BigInt(n);
}

/** A µs total as the views' double-precision milliseconds. */
function _ms(us: number): number {
  return us / 1000;
}

/** pg_stat_bgwriter: the checkpointer's and background writer's counters (one row). */
export const PG_STAT_BGWRITER: SystemView = {
  name: "pg_stat_bgwriter",
  columns: [
    { name: "checkpoints_timed", type: T.INT8 },
    { name: "checkpoints_req", type: T.INT8 },
    { name: "checkpoint_write_time", type: T.FLOAT8 },
    { name: "checkpoint_sync_time", type: T.FLOAT8 },
    { name: "buffers_checkpoint", type: T.INT8 },
    { name: "buffers_clean", type: T.INT8 },
    { name: "maxwritten_clean", type: T.INT8 },
    { name: "buffers_backend", type: T.INT8 },
    { name: "buffers_backend_fsync", type: T.INT8 },
    { name: "buffers_alloc", type: T.INT8 },
    { name: "stats_reset", type: T.TIMESTAMPTZ },
  ],
  rows: (s) => {
    const st = pgstatSnapshot(s.ctx.segment);
    const c = st.checkpointer;
    return [[
      _int8(c.checkpointsTimed),
      _int8(c.checkpointsReq),
      _ms(c.checkpointWriteTimeUs),
      _ms(c.checkpointSyncTimeUs),
      _int8(c.buffersCheckpoint),
      _int8(c.buffersClean),
      _int8(c.maxwrittenClean),
      _int8(c.buffersBackend),
      _int8(c.buffersBackendFsync),
      _int8(c.buffersAlloc),
      timestamptzFromUnixMs(st.resetAtMs.bgwriter),
    ]];
  },
};

/** pg_stat_wal: WAL activity of the whole cluster (one row; the counters are kept per backend type and summed). */
export const PG_STAT_WAL: SystemView = {
  name: "pg_stat_wal",
  columns: [
    { name: "wal_records", type: T.INT8 },
    { name: "wal_fpi", type: T.INT8 },
    { name: "wal_bytes", type: T.NUMERIC },
    { name: "wal_buffers_full", type: T.INT8 },
    { name: "wal_write", type: T.INT8 },
    { name: "wal_sync", type: T.INT8 },
    { name: "wal_write_time", type: T.FLOAT8 },
    { name: "wal_sync_time", type: T.FLOAT8 },
    { name: "stats_reset", type: T.TIMESTAMPTZ },
  ],
  rows: (s) => {
    const st = pgstatSnapshot(s.ctx.segment);
    const sum = (f: keyof StatsSnapshot["wal"][(typeof BACKEND_TYPES)[number]]) =>
      BACKEND_TYPES.reduce((n, type) => n + st.wal[type][f], 0);
    return [[
      _int8(sum("records")),
      _int8(sum("fpi")),
      numericFromInt(sum("bytes")),
      _int8(sum("buffersFull")),
      _int8(sum("writes")),
      _int8(sum("syncs")),
      _ms(sum("writeTimeUs")),
      _ms(sum("syncTimeUs")),
      timestamptzFromUnixMs(st.resetAtMs.wal),
    ]];
  },
};

/** pg_stat_database's columns, PostgreSQL 15's. */
const _DATABASE_COLUMNS = [
  ["datid", T.OID],
  ["datname", T.NAME],
  ["numbackends", T.INT4],
  ["xact_commit", T.INT8],
  ["xact_rollback", T.INT8],
  ["blks_read", T.INT8],
  ["blks_hit", T.INT8],
  ["tup_returned", T.INT8],
  ["tup_fetched", T.INT8],
  ["tup_inserted", T.INT8],
  ["tup_updated", T.INT8],
  ["tup_deleted", T.INT8],
  ["conflicts", T.INT8],
  ["temp_files", T.INT8],
  ["temp_bytes", T.INT8],
  ["deadlocks", T.INT8],
  ["checksum_failures", T.INT8],
  ["checksum_last_failure", T.TIMESTAMPTZ],
  ["blk_read_time", T.FLOAT8],
  ["blk_write_time", T.FLOAT8],
  ["session_time", T.FLOAT8],
  ["active_time", T.FLOAT8],
  ["idle_in_transaction_time", T.FLOAT8],
  ["sessions", T.INT8],
  ["sessions_abandoned", T.INT8],
  ["sessions_fatal", T.INT8],
  ["sessions_killed", T.INT8],
  ["stats_reset", T.TIMESTAMPTZ],
] as const;

/** pg_stat_database: one row for shared objects (datid 0), then one per database. */
export const PG_STAT_DATABASE: SystemView = {
  name: "pg_stat_database",
  columns: _DATABASE_COLUMNS.map(([name, type]) => ({ name, type })),
  rows: async (s) => {
    const databases = await readDatabases(s.ctx.dataDir);
    const st = pgstatSnapshot(s.ctx.segment);
    const checksums = s.showSetting("data_checksums") === "on";
    const backends = new Map<number, number>();
    for (const a of s.listActivity()) if (a.datid !== null) backends.set(a.datid, (backends.get(a.datid) ?? 0) + 1);
    return [{ oid: 0, name: null }, ...databases].map((d) =>
      _databaseRow(d.oid, d.name, d.oid === 0 ? 0 : backends.get(d.oid) ?? 0, st, checksums)
    );
  },
};

function _databaseRow(
  oid: number,
  name: string | null,
  numbackends: number,
  st: StatsSnapshot,
  checksums: boolean,
): Datum[] {
  // A database without a row has had no activity counted; when the table is full it may simply not fit: unknown.
  const full = st.databases.length >= DATABASE_STATS_MAX;
  const counted: DatabaseStats | undefined = st.databases.find((r) => r.oid === oid);
  const n = (f: "xactCommit" | "xactRollback" | "blksRead" | "blksHit" | "checksumFailures") =>
    counted !== undefined ? _int8(counted[f]) : full ? null : 0n;
  const failureMs = counted?.checksumLastFailureMs ?? null;
  return [
    oid,
    name,
    numbackends,
    n("xactCommit"),
    n("xactRollback"),
    n("blksRead"),
    n("blksHit"),
    null, // tup_returned: no tables yet
    null, // tup_fetched
    null, // tup_inserted
    null, // tup_updated
    null, // tup_deleted
    0n, // conflicts: recovery conflicts happen only on a standby
    null, // temp_files: not counted
    null, // temp_bytes
    null, // deadlocks: no deadlock detector yet
    checksums ? n("checksumFailures") : null,
    checksums && failureMs !== null ? timestamptzFromUnixMs(failureMs) : null,
    null, // blk_read_time: I/O timing is not measured (track_io_timing)
    null, // blk_write_time
    null, // session_time: sessions are not timed
    null, // active_time
    null, // idle_in_transaction_time
    null, // sessions: not counted
    null, // sessions_abandoned
    null, // sessions_fatal
    null, // sessions_killed
    null, // stats_reset: pg_stat_reset() does not exist yet, so never reset (NULL in PostgreSQL too)
  ];
}

/** pg_stat_reset_shared()'s targets in PostgreSQL 15, and what each resets here. */
const _RESET_TARGETS: Readonly<Record<string, "bgwriter" | "wal" | null>> = {
  archiver: null, // denogres has no WAL archiver: nothing to reset
  bgwriter: "bgwriter",
  recovery_prefetch: null, // no recovery prefetching: nothing to reset
  wal: "wal",
};

/**
 * pg_stat_reset_shared(target): zeroes a group of cluster-wide counters and
 * records when (stats_reset). Superuser only, as PostgreSQL 15's default
 * grants.
 *
 * @param s the session
 * @param target "bgwriter", "wal", "archiver" or "recovery_prefetch"; null does nothing (a strict function)
 * @throws {SqlError} 42501 for a non-superuser (whatever the target); 22023 for an unknown target
 */
export function pgStatResetShared(s: ExecSession, target: string | null): void {
  if (!s.isSuperuser) {
    throw new SqlError(SqlState.INSUFFICIENT_PRIVILEGE, "permission denied for function pg_stat_reset_shared");
  }
  if (target === null) return;
  if (!Object.hasOwn(_RESET_TARGETS, target)) {
    throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `unrecognized reset target: "${target}"`, {
      hint: 'Target must be "archiver", "bgwriter", "recovery_prefetch", or "wal".',
    });
  }
  const group = _RESET_TARGETS[target];
  if (group !== null) pgstatResetShared(s.ctx.segment, group);
}
