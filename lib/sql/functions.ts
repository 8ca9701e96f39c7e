/**
 * functions.ts — the built-in SQL functions denogres implements, and
 * function-call resolution.
 *
 * PostgreSQL counterpart: pg_proc.dat entries and their C functions:
 * pgsql_version (version.c), current_database (misc.c), current_setting /
 * set_config_by_name (guc.c), now / statement_timestamp / clock_timestamp
 * (timestamp.c), pg_backend_pid (pgstatfuncs.c), pg_sleep (misc.c),
 * pg_cancel_backend / pg_terminate_backend (signalfuncs.c), pg_typeof
 * (misc.c), pg_stat_reset_shared (pgstatfuncs.c); resolution as
 * func_get_detail() in parse_func.c.
 *
 * NOTES
 * A call resolves to the first signature whose arguments coerce
 * implicitly (untyped literals and parameters take the declared type).
 * Errors name the call as PostgreSQL does: `function foo(integer) does not
 * exist` (42883) with its hint and position. pg_sleep is the one waiting
 * function: it yields to the event loop and wakes at once on cancel or
 * terminate through `ExecSession.sleep`.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { PG_SERVER_VERSION } from "../common/limits.ts";
import { coerceTo, type ParamScope } from "./coerce.ts";
import { timestamptzNow } from "./datetime.ts";
import type { ExecSession } from "./exec_context.ts";
import { evalArgs, type EvalContext, type EvalResult, type ExprNode, foldNode } from "./expr_node.ts";
import { pgStatResetShared } from "./pg_stat_counters.ts";
import { ADVISORY_LOCK_FUNCTIONS } from "./advisory_lock.ts";
import { canCoerceImplicitly, type Datum, formatType, TypeOid } from "./types.ts";

/** Longest pg_sleep accepted, in seconds (keeps the timer in range; PostgreSQL sleeps in a loop). */
const PG_SLEEP_MAX_SECONDS = 2147483;

interface _Signature {
  readonly args: readonly number[];
  readonly ret: number;
  /** Returns NULL on any NULL argument without calling impl (default true). */
  readonly strict?: boolean;
  readonly impl: (vals: Datum[], ec: EvalContext) => EvalResult;
}

function _version(): string {
  return `PostgreSQL ${PG_SERVER_VERSION} on ${Deno.build.target}, compiled by Deno ${Deno.version.deno}, 64-bit`;
}

function _requireParamName(v: Datum): string {
  if (v === null) throw new SqlError(SqlState.NULL_VALUE_NOT_ALLOWED, "SET requires parameter name");
  return v as string;
}

function _currentSetting(s: ExecSession, name: string, missingOk: boolean): Datum {
  const v = s.showSetting(name);
  if (v !== undefined) return v;
  if (missingOk) return null;
  throw new SqlError(SqlState.UNDEFINED_OBJECT, `unrecognized configuration parameter "${name}"`);
}

async function _pgSleep(ec: EvalContext, seconds: number): Promise<Datum> {
  if (Number.isNaN(seconds) || seconds <= 0) {
    ec.s.checkForInterrupts();
    return "";
  }
  await ec.s.sleep(Math.min(seconds, PG_SLEEP_MAX_SECONDS) * 1000);
  return "";
}

function _signal(ec: EvalContext, pid: number, kind: "cancel" | "terminate"): boolean {
  const r = ec.s.signalBackend(pid, kind);
  switch (r) {
    case "ok":
      return true;
    case "no-such-backend":
      ec.s.notice({
        severity: "WARNING",
        code: SqlState.WARNING,
        message: `PID ${pid} is not a PostgreSQL backend process`,
      });
      return false;
    case "not-permitted-superuser":
      throw new SqlError(
        SqlState.INSUFFICIENT_PRIVILEGE,
        kind === "cancel"
          ? "must be a superuser to cancel superuser query"
          : "must be a superuser to terminate superuser process",
      );
    case "not-permitted-role":
      throw new SqlError(
        SqlState.INSUFFICIENT_PRIVILEGE,
        kind === "cancel"
          ? "must be a member of the role whose query is being canceled or member of pg_signal_backend"
          : "must be a member of the role whose process is being terminated or member of pg_signal_backend",
      );
    case "failed":
      return false;
  }
}

async function _terminate(ec: EvalContext, pid: number, timeoutMs: bigint): Promise<Datum> {
  if (timeoutMs < 0n) throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, '"timeout" must not be negative');
  const ok = _signal(ec, pid, "terminate");
  if (!ok || timeoutMs === 0n) return ok;
  if (await ec.s.waitForBackendExit(pid, Number(timeoutMs))) return true;
  ec.s.notice({
    severity: "WARNING",
    code: SqlState.WARNING,
    message: `backend with PID ${pid} did not terminate within ${timeoutMs} milliseconds`,
  });
  return false;
}

const T = TypeOid;

const _FUNCTIONS: Record<string, readonly _Signature[]> = {
  version: [{ args: [], ret: T.TEXT, impl: () => _version() }],
  current_database: [{ args: [], ret: T.NAME, impl: (_v, ec) => ec.s.databaseName }],
  current_setting: [
    { args: [T.TEXT], ret: T.TEXT, impl: (v, ec) => _currentSetting(ec.s, v[0] as string, false) },
    { args: [T.TEXT, T.BOOL], ret: T.TEXT, impl: (v, ec) => _currentSetting(ec.s, v[0] as string, v[1] as boolean) },
  ],
  set_config: [{
    args: [T.TEXT, T.TEXT, T.BOOL],
    ret: T.TEXT,
    strict: false,
    impl: (v, ec) => ec.s.setSetting(_requireParamName(v[0]), v[1] as string | null, v[2] === true),
  }],
  now: [{ args: [], ret: T.TIMESTAMPTZ, impl: (_v, ec) => ec.s.transactionStartTs }],
  transaction_timestamp: [{ args: [], ret: T.TIMESTAMPTZ, impl: (_v, ec) => ec.s.transactionStartTs }],
  statement_timestamp: [{ args: [], ret: T.TIMESTAMPTZ, impl: (_v, ec) => ec.s.statementStartTs }],
  clock_timestamp: [{ args: [], ret: T.TIMESTAMPTZ, impl: () => timestamptzNow() }],
  pg_backend_pid: [{ args: [], ret: T.INT4, impl: (_v, ec) => ec.s.backendPid }],
  pg_sleep: [{ args: [T.FLOAT8], ret: T.VOID, impl: (v, ec) => _pgSleep(ec, v[0] as number) }],
  pg_cancel_backend: [{ args: [T.INT4], ret: T.BOOL, impl: (v, ec) => _signal(ec, v[0] as number, "cancel") }],
  pg_terminate_backend: [
    { args: [T.INT4], ret: T.BOOL, impl: (v, ec) => _signal(ec, v[0] as number, "terminate") },
    { args: [T.INT4, T.INT8], ret: T.BOOL, impl: (v, ec) => _terminate(ec, v[0] as number, v[1] as bigint) },
  ],
  // Not strict here: the privilege is checked before the argument, as PostgreSQL checks EXECUTE at executor start.
  pg_stat_reset_shared: [{ args: [T.TEXT], ret: T.VOID, strict: false, impl: (v, ec) => _resetShared(ec, v[0]) }],
  // pg_advisory_lock & co (lockfuncs.c): advisory_lock.ts.
  ...ADVISORY_LOCK_FUNCTIONS,
};

function _resetShared(ec: EvalContext, target: Datum): Datum {
  pgStatResetShared(ec.s, target as string | null);
  return target === null ? null : "";
}

/** Names PostgreSQL knows as aggregates: a call to one is refused with 0A000 rather than "does not exist". */
const _AGGREGATES = new Set([
  "count",
  "sum",
  "avg",
  "min",
  "max",
  "array_agg",
  "string_agg",
  "bool_and",
  "bool_or",
  "every",
  "json_agg",
  "jsonb_agg",
  "stddev",
  "variance",
]);

/**
 * Common PostgreSQL functions denogres does not implement yet: a call is
 * 0A000 naming the function, not 42883 "does not exist" (which would be
 * untrue of PostgreSQL). Not exhaustive: other names get PostgreSQL's 42883.
 */
const _KNOWN_POSTGRES_FUNCTIONS = new Set([
  "timezone",
  "length",
  "char_length",
  "octet_length",
  "upper",
  "lower",
  "initcap",
  "substring",
  "substr",
  "position",
  "strpos",
  "replace",
  "concat",
  "concat_ws",
  "trim",
  "btrim",
  "ltrim",
  "rtrim",
  "lpad",
  "rpad",
  "left",
  "right",
  "repeat",
  "reverse",
  "split_part",
  "format",
  "md5",
  "sha256",
  "encode",
  "decode",
  "to_char",
  "to_date",
  "to_timestamp",
  "to_number",
  "date_trunc",
  "date_part",
  "extract",
  "age",
  "make_interval",
  "justify_days",
  "justify_hours",
  "justify_interval",
  "abs",
  "round",
  "trunc",
  "floor",
  "ceil",
  "ceiling",
  "sqrt",
  "cbrt",
  "power",
  "pow",
  "exp",
  "ln",
  "log",
  "mod",
  "sign",
  "div",
  "random",
  "setseed",
  "pi",
  "generate_series",
  "unnest",
  "array_length",
  "string_to_array",
  "array_to_string",
  "regexp_replace",
  "regexp_match",
  "regexp_matches",
  "regexp_split_to_table",
  "quote_ident",
  "quote_literal",
  "quote_nullable",
  "to_json",
  "to_jsonb",
  "json_build_object",
  "jsonb_build_object",
  "row_number",
  "rank",
  "dense_rank",
  "lag",
  "lead",
  "nextval",
  "currval",
  "setval",
  "pg_postmaster_start_time",
  "pg_is_in_recovery",
  "pg_current_wal_lsn",
  "txid_current",
  "pg_current_xact_id",
  "pg_reload_conf",
  "pg_size_pretty",
  "pg_database_size",
  "pg_relation_size",
  "pg_table_size",
  "has_table_privilege",
  "obj_description",
  "col_description",
  "format_type",
  "pg_get_userbyid",
  "current_schemas",
  "inet_client_addr",
  "inet_client_port",
  "inet_server_addr",
  "inet_server_port",
  "gen_random_uuid",
]);

/**
 * Is this a name of an aggregate function in PostgreSQL?
 *
 * @param name lower-case function name
 * @returns true for count, sum, …
 */
export function isAggregateName(name: string): boolean {
  return _AGGREGATES.has(name);
}

function _argList(args: readonly ExprNode[]): string {
  return args.map((a) => (a.type === T.UNKNOWN ? "unknown" : formatType(a.type, -1))).join(", ");
}

/**
 * Resolves and builds a function call.
 *
 * @param name the function name (lower case, without schema)
 * @param args analyzed arguments
 * @param location position of the call
 * @param scope parameter types
 * @returns the call expression
 * @throws {SqlError} 42883 when no function matches
 */
export function makeFunctionCall(
  name: string,
  args: ExprNode[],
  location: number,
  scope: ParamScope,
): ExprNode {
  if (name === "pg_typeof" && args.length === 1) {
    const t = args[0].type === T.UNKNOWN && args[0].paramNo === undefined ? "unknown" : formatType(args[0].type, -1);
    if (args[0].paramNo !== undefined) {
      throw new SqlError(
        SqlState.INDETERMINATE_DATATYPE,
        `could not determine data type of parameter $${args[0].paramNo}`,
      );
    }
    return { type: T.REGTYPE, typmod: -1, location, ev: () => t, isConst: true, foldError: args[0].foldError };
  }
  for (const sig of _FUNCTIONS[name] ?? []) {
    if (sig.args.length !== args.length) continue;
    if (!args.every((a, i) => canCoerceImplicitly(a.type, sig.args[i]))) continue;
    const coerced = args.map((a, i) => coerceTo(a, sig.args[i], -1, false, scope, a.location));
    return _call(sig, coerced, location);
  }
  if (_FUNCTIONS[name] === undefined && _KNOWN_POSTGRES_FUNCTIONS.has(name)) {
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `function ${name}() is not supported`, {
      position: location >= 0 ? location + 1 : undefined,
    });
  }
  throw new SqlError(SqlState.UNDEFINED_FUNCTION, `function ${name}(${_argList(args)}) does not exist`, {
    hint: "No function matches the given name and argument types. You might need to add explicit type casts.",
    position: location >= 0 ? location + 1 : undefined,
  });
}

/** A call: every function here reads the session, time or the server (none is immutable), so none is folded. */
function _call(sig: _Signature, args: ExprNode[], location: number): ExprNode {
  const strict = sig.strict !== false;
  const impl = sig.impl;
  if (args.length === 0) return { type: sig.ret, typmod: -1, location, ev: (ec) => impl([], ec) };
  const node: ExprNode = {
    type: sig.ret,
    typmod: -1,
    location,
    ev: (ec) =>
      evalArgs(args, ec, (vals) => {
        if (strict && vals.includes(null)) return null;
        return impl(vals, ec);
      }),
  };
  return foldNode(node, args, false);
}
