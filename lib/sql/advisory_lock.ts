/**
 * advisory_lock.ts — the advisory-lock functions (pg_advisory_lock & co) and
 * the pg_locks view, over the session's heavyweight lock manager.
 *
 * PostgreSQL counterpart: src/backend/utils/adt/lockfuncs.c
 * (pg_advisory_lock_int8 … pg_advisory_unlock_all, pg_lock_status) and the
 * pg_locks view of system_views.sql.
 *
 * NOTES
 * Keys: one int8 (tag field4 1) or two int4 (field4 2) in the session's
 * database. Session locks (`pg_advisory_lock`) are reentrant and counted;
 * transaction locks (`pg_advisory_xact_lock`) end with the transaction.
 * `pg_advisory_unlock*` release session holds only and, when there is
 * none, warn `you don't own a lock of type ExclusiveLock` (ShareLock) and
 * return false, as LockRelease. Waiting functions may return a promise;
 * the others are synchronous. See lib/lmgr/README.md.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import {
  advisoryTagInt4Pair,
  advisoryTagInt8,
  LOCK_MODE_NAMES,
  LOCK_TAG_TYPE_NAMES,
  LockManager,
  LockMode,
  lockStatusRows,
  type LockTag,
} from "../lmgr/mod.ts";
import { timestamptzFromUnixMs } from "./datetime.ts";
import type { ExecSession } from "./exec_context.ts";
import type { EvalContext, EvalResult } from "./expr_node.ts";
import type { ScopeColumn } from "./expr.ts";
import type { SystemView } from "./system_views.ts";
import { type Datum, TypeOid } from "./types.ts";

/** A function signature, shaped as functions.ts' table entries. */
export interface AdvisorySignature {
  readonly args: readonly number[];
  readonly ret: number;
  readonly impl: (vals: Datum[], ec: EvalContext) => EvalResult;
}

function _lm(s: ExecSession): LockManager {
  if (s.lockManager === undefined) {
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "advisory locks need a server session");
  }
  return s.lockManager;
}

type _Keys = (s: ExecSession, v: Datum[]) => LockTag;
const _int8: _Keys = (s, v) => advisoryTagInt8(s.databaseOid, v[0] as bigint);
const _int4: _Keys = (s, v) => advisoryTagInt4Pair(s.databaseOid, v[0] as number, v[1] as number);

function _lock(keys: _Keys, mode: number, session: boolean): (v: Datum[], ec: EvalContext) => EvalResult {
  return (v, ec) => {
    const r = _lm(ec.s).acquire(keys(ec.s, v), mode, { session, dontWait: false });
    return r instanceof Promise ? r.then(() => "") : "";
  };
}

function _tryLock(keys: _Keys, mode: number, session: boolean): (v: Datum[], ec: EvalContext) => EvalResult {
  return (v, ec) => _lm(ec.s).acquire(keys(ec.s, v), mode, { session, dontWait: true });
}

function _unlock(keys: _Keys, mode: number): (v: Datum[], ec: EvalContext) => EvalResult {
  return (v, ec) => {
    if (_lm(ec.s).release(keys(ec.s, v), mode, true)) return true;
    ec.s.notice({
      severity: "WARNING",
      code: SqlState.WARNING,
      message: `you don't own a lock of type ${LOCK_MODE_NAMES[mode]}`,
    });
    return false;
  };
}

const T = TypeOid;
const X = LockMode.ExclusiveLock;
const S = LockMode.ShareLock;

/** The advisory-lock functions, by name, with PostgreSQL 15's signatures and return types. */
export const ADVISORY_LOCK_FUNCTIONS: Readonly<Record<string, readonly AdvisorySignature[]>> = {
  pg_advisory_lock: [
    { args: [T.INT8], ret: T.VOID, impl: _lock(_int8, X, true) },
    { args: [T.INT4, T.INT4], ret: T.VOID, impl: _lock(_int4, X, true) },
  ],
  pg_advisory_lock_shared: [
    { args: [T.INT8], ret: T.VOID, impl: _lock(_int8, S, true) },
    { args: [T.INT4, T.INT4], ret: T.VOID, impl: _lock(_int4, S, true) },
  ],
  pg_advisory_xact_lock: [
    { args: [T.INT8], ret: T.VOID, impl: _lock(_int8, X, false) },
    { args: [T.INT4, T.INT4], ret: T.VOID, impl: _lock(_int4, X, false) },
  ],
  pg_advisory_xact_lock_shared: [
    { args: [T.INT8], ret: T.VOID, impl: _lock(_int8, S, false) },
    { args: [T.INT4, T.INT4], ret: T.VOID, impl: _lock(_int4, S, false) },
  ],
  pg_try_advisory_lock: [
    { args: [T.INT8], ret: T.BOOL, impl: _tryLock(_int8, X, true) },
    { args: [T.INT4, T.INT4], ret: T.BOOL, impl: _tryLock(_int4, X, true) },
  ],
  pg_try_advisory_lock_shared: [
    { args: [T.INT8], ret: T.BOOL, impl: _tryLock(_int8, S, true) },
    { args: [T.INT4, T.INT4], ret: T.BOOL, impl: _tryLock(_int4, S, true) },
  ],
  pg_try_advisory_xact_lock: [
    { args: [T.INT8], ret: T.BOOL, impl: _tryLock(_int8, X, false) },
    { args: [T.INT4, T.INT4], ret: T.BOOL, impl: _tryLock(_int4, X, false) },
  ],
  pg_try_advisory_xact_lock_shared: [
    { args: [T.INT8], ret: T.BOOL, impl: _tryLock(_int8, S, false) },
    { args: [T.INT4, T.INT4], ret: T.BOOL, impl: _tryLock(_int4, S, false) },
  ],
  pg_advisory_unlock: [
    { args: [T.INT8], ret: T.BOOL, impl: _unlock(_int8, X) },
    { args: [T.INT4, T.INT4], ret: T.BOOL, impl: _unlock(_int4, X) },
  ],
  pg_advisory_unlock_shared: [
    { args: [T.INT8], ret: T.BOOL, impl: _unlock(_int8, S) },
    { args: [T.INT4, T.INT4], ret: T.BOOL, impl: _unlock(_int4, S) },
  ],
  pg_advisory_unlock_all: [{
    args: [],
    ret: T.VOID,
    impl: (_v, ec) => {
      _lm(ec.s).releaseSessionLocks();
      return "";
    },
  }],
};

/** pg_locks' columns, PostgreSQL 15's names, types and order. */
export const PG_LOCKS_COLUMNS: readonly ScopeColumn[] = [
  { name: "locktype", type: T.TEXT },
  { name: "database", type: T.OID },
  { name: "relation", type: T.OID },
  { name: "page", type: T.INT4 },
  { name: "tuple", type: T.INT2 },
  { name: "virtualxid", type: T.TEXT },
  { name: "transactionid", type: T.XID },
  { name: "classid", type: T.OID },
  { name: "objid", type: T.OID },
  { name: "objsubid", type: T.INT2 },
  { name: "virtualtransaction", type: T.TEXT },
  { name: "pid", type: T.INT4 },
  { name: "mode", type: T.TEXT },
  { name: "granted", type: T.BOOL },
  { name: "fastpath", type: T.BOOL },
  { name: "waitstart", type: T.TIMESTAMPTZ },
];

/**
 * pg_locks' rows (pg_lock_status): this session's own virtualxid lock (it is
 * in a transaction while it reads the view), then every lock of the table.
 *
 * @param s the session
 * @returns rows in column order
 */
export function pgLocksRows(s: ExecSession): Datum[][] {
  const lm = s.lockManager;
  if (lm === undefined) return [];
  const vxid = lm.virtualTransaction;
  const rows: Datum[][] = [
    [
      "virtualxid",
      null,
      null,
      null,
      null,
      vxid,
      null,
      null,
      null,
      null,
      vxid,
      s.backendPid,
      "ExclusiveLock",
      true,
      true,
      null,
    ],
  ];
  for (const r of lockStatusRows(s.ctx.segment)) {
    const own = r.pid === s.backendPid;
    const vt = own ? vxid : `${r.procNo + 1}/${r.lxid}`;
    rows.push([
      LOCK_TAG_TYPE_NAMES[r.tag.type],
      r.tag.field1,
      null,
      null,
      null,
      null,
      null,
      r.tag.field2,
      r.tag.field3,
      r.tag.field4,
      vt,
      r.pid,
      LOCK_MODE_NAMES[r.mode],
      r.granted,
      false,
      r.waitStartMs === null ? null : timestamptzFromUnixMs(r.waitStartMs),
    ]);
  }
  return rows;
}

/** pg_locks as a system view (see system_views.ts). */
export const PG_LOCKS: SystemView = { name: "pg_locks", columns: PG_LOCKS_COLUMNS, rows: pgLocksRows };
