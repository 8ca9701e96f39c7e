/**
 * pg_stat_activity.ts — the pg_stat_activity view as a virtual relation:
 * PostgreSQL 15's columns and types, rows built from the process array.
 *
 * PostgreSQL counterpart: the pg_stat_activity view in
 * src/backend/catalog/system_views.sql over pg_stat_get_activity() in
 * src/backend/utils/adt/pgstatfuncs.c (including its rule that other
 * users' sessions show `<insufficient privilege>`).
 *
 * NOTES
 * Rows are read once per statement from a lock-free process-array snapshot
 * (see lib/shmem README invariant 6), so a row is consistent but rows of
 * different processes may be microseconds apart, as in PostgreSQL.
 *
 * @module
 */

import type { BackendActivity, ExecSession } from "./exec_context.ts";
import type { ScopeColumn } from "./expr.ts";
import type { SystemView } from "./system_views.ts";
import { type Datum, TypeOid } from "./types.ts";

/** The view's columns, in PostgreSQL 15's order. */
export const PG_STAT_ACTIVITY_COLUMNS: readonly ScopeColumn[] = [
  { name: "datid", type: TypeOid.OID },
  { name: "datname", type: TypeOid.NAME },
  { name: "pid", type: TypeOid.INT4 },
  { name: "leader_pid", type: TypeOid.INT4 },
  { name: "usesysid", type: TypeOid.OID },
  { name: "usename", type: TypeOid.NAME },
  { name: "application_name", type: TypeOid.TEXT },
  { name: "client_addr", type: TypeOid.INET },
  { name: "client_hostname", type: TypeOid.TEXT },
  { name: "client_port", type: TypeOid.INT4 },
  { name: "backend_start", type: TypeOid.TIMESTAMPTZ },
  { name: "xact_start", type: TypeOid.TIMESTAMPTZ },
  { name: "query_start", type: TypeOid.TIMESTAMPTZ },
  { name: "state_change", type: TypeOid.TIMESTAMPTZ },
  { name: "wait_event_type", type: TypeOid.TEXT },
  { name: "wait_event", type: TypeOid.TEXT },
  { name: "state", type: TypeOid.TEXT },
  { name: "backend_xid", type: TypeOid.XID },
  { name: "backend_xmin", type: TypeOid.XID },
  { name: "query_id", type: TypeOid.INT8 },
  { name: "query", type: TypeOid.TEXT },
  { name: "backend_type", type: TypeOid.TEXT },
];

/** pg_stat_activity as a system view (see system_views.ts). */
export const PG_STAT_ACTIVITY: SystemView = {
  name: "pg_stat_activity",
  columns: PG_STAT_ACTIVITY_COLUMNS,
  rows: pgStatActivityRows,
};

/**
 * Reads the view's rows for a session, hiding other users' activity from
 * non-superusers as PostgreSQL does.
 *
 * @param s the session
 * @returns one row per process with a slot
 */
export function pgStatActivityRows(s: ExecSession): Datum[][] {
  return s.listActivity().map((a) => _row(a, s.isSuperuser || a.usesysid === s.userOid));
}

/** The columns from client_addr to query (indexes 7-20), which other users' rows hide. */
const _PRIVATE_FIRST = 7;
const _PRIVATE_END = 21;

function _row(a: BackendActivity, visible: boolean): Datum[] {
  const row: Datum[] = [
    a.datid,
    a.datname,
    a.pid,
    a.leaderPid,
    a.usesysid,
    a.usename,
    a.applicationName,
    a.clientAddr,
    a.clientHostname,
    a.clientPort,
    a.backendStart,
    a.xactStart,
    a.queryStart,
    a.stateChange,
    a.waitEventType,
    a.waitEvent,
    a.state,
    a.backendXid,
    a.backendXmin,
    a.queryId,
    a.query,
    a.backendType,
  ];
  if (!visible) {
    // As pg_stat_get_activity() for another role's session without privilege.
    row.fill(null, _PRIVATE_FIRST, _PRIVATE_END);
    row[_PRIVATE_END - 1] = "<insufficient privilege>";
  }
  return row;
}
