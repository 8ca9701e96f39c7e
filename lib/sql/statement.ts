/**
 * statement.ts — from query text to executable statements: parsing with
 * libpg-query (cached), planning each statement, and executing SELECT and
 * the utility statements denogres implements (SET, SHOW, RESET,
 * transaction control, CHECKPOINT, ALTER ROLE … PASSWORD).
 *
 * PostgreSQL counterpart: pg_parse_query()/pg_analyze_and_rewrite() in
 * src/backend/tcop/postgres.c, standard_ProcessUtility() in utility.c,
 * ExecSetVariableStmt/GetPGVariable (guc.c), AlterRole (commands/user.c),
 * and the plan cache (utils/cache/plancache.c) in spirit.
 *
 * NOTES
 * Parsing: the real PostgreSQL 15 grammar; syntax errors are 42601 with the
 * position PostgreSQL reports. Planned statements are immutable and cached
 * by query text and parameter types (at most {@link PLAN_CACHE_MAX}
 * entries, least recently used evicted), so repeating `SELECT 1` costs a
 * map lookup. Any statement kind not implemented is 0A000 naming it. The
 * aborted-transaction rule (25P02) is applied here, before execution.
 *
 * @module
 */

import { loadModule, parseSync } from "libpg-query";
import { SqlError, SqlState } from "../common/errors.ts";
import { parseScramVerifier, scramBuildVerifier } from "../auth/scram.ts";
import type { ExecSession } from "./exec_context.ts";
import type { EvalContext } from "./expr_node.ts";
import { notSupported } from "./expr.ts";
import { planSelect, type ResultColumn } from "./select.ts";
import { isListParameter, type SessionGucs } from "./session_gucs.ts";
import { type Datum, TypeOid } from "./types.ts";
import type { TransactionBlock } from "./xact_block.ts";

// deno-lint-ignore no-explicit-any
type RawNode = any;

/** Most plans kept in the per-process cache (each a few kB). */
export const PLAN_CACHE_MAX = 512;
/** Longest query text cached (longer ones are planned every time). */
export const PLAN_CACHE_QUERY_MAX_BYTES = 4096;

/** What executing a statement needs. */
export interface StatementEnv {
  readonly session: ExecSession;
  readonly xact: TransactionBlock;
  readonly gucs: SessionGucs;
}

/** The result of one execution. */
export interface ExecResult {
  /** Rows, or null for statements that return none. */
  readonly rows: Datum[][] | null;
  /** CommandComplete tag (`SELECT 1`, `SET`, `COMMIT`). */
  readonly tag: string;
}

/** How a statement relates to transaction blocks. */
export type TxKind = "begin" | "exit" | "other" | "none";

/** A planned statement, ready to execute any number of times. */
export interface PlannedStatement {
  /** The statement's own text (for pg_stat_activity and logs). */
  readonly sql: string;
  /** Base command tag (`SELECT`, `SET`, `BEGIN`). */
  readonly commandTag: string;
  /** Result columns, or null when the statement returns no rows (NoData). */
  readonly columns: readonly ResultColumn[] | null;
  /** Parameter types, inferred where the client left them open. */
  readonly paramTypes: readonly number[];
  /** "exit": COMMIT/ROLLBACK (allowed in a failed block); "begin": BEGIN; "other": other transaction control. */
  readonly txKind: TxKind;
  /**
   * The error PostgreSQL's planner raises for this statement (a constant subexpression that fails when folded, as
   * `1/0`): the caller throws it where planning happens — at Bind, or in a simple query before the statement's
   * RowDescription — never at Parse or Describe.
   */
  readonly planError?: SqlError;
  /** Runs it. */
  execute(env: StatementEnv, params: readonly Datum[]): ExecResult | Promise<ExecResult>;
}

/** Parsed query text: its statements, each with its own text. */
export interface ParsedQuery {
  readonly stmts: readonly { node: RawNode; sql: string }[];
}

let _loaded = false;

/** Loads the parser's WASM module (once per process; call at backend start). */
export async function sqlParserInit(): Promise<void> {
  if (_loaded) return;
  await loadModule();
  _loaded = true;
}

/**
 * Parses query text into statements.
 *
 * @param query the text (may hold several statements)
 * @returns the statements; none for an empty query
 * @throws {SqlError} 42601 with PostgreSQL's message and position
 */
export function parseQuery(query: string): ParsedQuery {
  if (query.trim() === "") return { stmts: [] };
  let tree: RawNode;
  try {
    tree = parseSync(query);
  } catch (e) {
    const d = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const msg = (e as Error).message;
    throw new SqlError(_parseErrorCode(msg), msg, {
      position: d?.cursorPosition !== undefined ? _charPosition(query, d.cursorPosition) : undefined,
    });
  }
  const bytes = _utf8Offsets(query);
  return {
    stmts: (tree.stmts ?? []).map((s: RawNode) => {
      const start: number = s.stmt_location ?? 0;
      const len: number | undefined = s.stmt_len;
      return { node: s.stmt, sql: bytes(start, len).trim() };
    }),
  };
}

function _parseErrorCode(msg: string): string {
  if (msg.startsWith("invalid Unicode") || msg.startsWith("invalid unicode")) return SqlState.SYNTAX_ERROR;
  if (msg.includes("is out of range")) return SqlState.NUMERIC_VALUE_OUT_OF_RANGE;
  return SqlState.SYNTAX_ERROR;
}

/** libpg-query's cursor is 0-based in characters already; PostgreSQL's position is 1-based. */
function _charPosition(_query: string, cursor: number): number {
  return cursor + 1;
}

/** Statement locations are byte offsets; returns a slicer over the UTF-8 text. */
function _utf8Offsets(query: string): (start: number, len?: number) => string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(query)) {
    return (start, len) => query.slice(start, len === undefined ? undefined : start + len);
  }
  const b = new TextEncoder().encode(query);
  const dec = new TextDecoder();
  return (start, len) => dec.decode(b.subarray(start, len === undefined ? undefined : start + len));
}

/** A cached plan list; `used` is the clock bit of the second-chance eviction. */
interface _CachedPlans {
  readonly plans: PlannedStatement[];
  used: boolean;
}

const _planCache = new Map<string, _CachedPlans>();

/**
 * Parses and plans query text, using the cache. A hit costs one map lookup
 * and sets the entry's clock bit; eviction (when {@link PLAN_CACHE_MAX}
 * entries are held) gives each used entry a second chance in insertion
 * order, an LRU approximation that does not reorder the map on every hit.
 *
 * @param query the text
 * @param paramTypes for a Parse message, the client's declared parameter types (0: infer; more may be added, as
 *   parse_variable_parameters); omitted for a simple query, which has no parameters (`$1` is 42P02)
 * @returns one plan per statement
 * @throws {SqlError} parse or analysis errors
 */
export function planQuery(query: string, paramTypes?: readonly number[]): PlannedStatement[] {
  const key = paramTypes === undefined ? query : `${paramTypes.join(",")}\u0000${query}`;
  const hit = _planCache.get(key);
  if (hit !== undefined) {
    hit.used = true;
    return hit.plans;
  }
  const parsed = parseQuery(query);
  const variable = paramTypes !== undefined;
  const plans = parsed.stmts.map((s) => planStatement(s.node, s.sql, [...(paramTypes ?? [])], variable));
  if (query.length <= PLAN_CACHE_QUERY_MAX_BYTES) {
    if (_planCache.size >= PLAN_CACHE_MAX) _evictOnePlan();
    _planCache.set(key, { plans, used: false });
  }
  return plans;
}

/** Clock sweep over insertion order: a used entry moves to the end with its bit cleared; the first unused goes. */
function _evictOnePlan(): void {
  for (let i = 0; i <= PLAN_CACHE_MAX; i++) {
    const [key, entry] = _planCache.entries().next().value!;
    _planCache.delete(key);
    if (!entry.used) return;
    entry.used = false;
    _planCache.set(key, entry);
  }
}

function _evalContext(env: StatementEnv, params: readonly Datum[]): EvalContext {
  return { s: env.session, params, row: null };
}

/**
 * Plans one raw statement.
 *
 * @param node the statement node
 * @param sql its text
 * @param paramTypes parameter types (mutable: inferred types are filled in)
 * @param variableParams true for a Parse message (see {@link planQuery}), false for a simple query
 * @returns the plan
 */
export function planStatement(
  node: RawNode,
  sql: string,
  paramTypes: number[],
  variableParams = false,
): PlannedStatement {
  const kind = Object.keys(node)[0];
  const n = node[kind];
  const base = { sql, paramTypes };
  switch (kind) {
    case "SelectStmt": {
      const plan = planSelect(n, paramTypes, variableParams);
      return {
        ...base,
        commandTag: "SELECT",
        columns: plan.columns,
        txKind: "none",
        planError: plan.planError,
        execute: (env, params) => {
          const rows = plan.run(_evalContext(env, params));
          if (rows instanceof Promise) return rows.then((r) => ({ rows: r, tag: `SELECT ${r.length}` }));
          return { rows, tag: `SELECT ${rows.length}` };
        },
      };
    }
    case "VariableSetStmt":
      return _planSet(n, base);
    case "VariableShowStmt":
      return _planShow(n, base);
    case "TransactionStmt":
      return _planTransaction(n, base);
    case "CheckPointStmt":
      return {
        ...base,
        commandTag: "CHECKPOINT",
        columns: null,
        txKind: "none",
        execute: async (env) => {
          if (!env.session.isSuperuser) {
            throw new SqlError(
              SqlState.INSUFFICIENT_PRIVILEGE,
              "must be superuser or have privileges of pg_checkpoint to do CHECKPOINT",
            );
          }
          await env.session.requestCheckpoint();
          return { rows: null, tag: "CHECKPOINT" };
        },
      };
    case "AlterRoleStmt":
      return _planAlterRole(n, base);
    default:
      throw notSupported(_statementName(kind, n));
  }
}

const _STATEMENT_NAMES: Record<string, string> = {
  InsertStmt: "INSERT",
  UpdateStmt: "UPDATE",
  DeleteStmt: "DELETE",
  MergeStmt: "MERGE",
  CreateStmt: "CREATE TABLE",
  CreateTableAsStmt: "CREATE TABLE AS",
  IndexStmt: "CREATE INDEX",
  ViewStmt: "CREATE VIEW",
  DropStmt: "DROP",
  TruncateStmt: "TRUNCATE",
  CopyStmt: "COPY",
  ExplainStmt: "EXPLAIN",
  VacuumStmt: "VACUUM",
  PrepareStmt: "PREPARE",
  ExecuteStmt: "EXECUTE",
  DeallocateStmt: "DEALLOCATE",
  DiscardStmt: "DISCARD",
  CreateRoleStmt: "CREATE ROLE",
  DropRoleStmt: "DROP ROLE",
  GrantStmt: "GRANT",
  GrantRoleStmt: "GRANT",
  CreatedbStmt: "CREATE DATABASE",
  DropdbStmt: "DROP DATABASE",
  CreateSchemaStmt: "CREATE SCHEMA",
  CreateFunctionStmt: "CREATE FUNCTION",
  DoStmt: "DO",
  ListenStmt: "LISTEN",
  NotifyStmt: "NOTIFY",
  UnlistenStmt: "UNLISTEN",
  LockStmt: "LOCK",
  DeclareCursorStmt: "DECLARE CURSOR",
  FetchStmt: "FETCH",
  ClosePortalStmt: "CLOSE",
  AlterTableStmt: "ALTER TABLE",
  CommentStmt: "COMMENT",
  CallStmt: "CALL",
  LoadStmt: "LOAD",
  ReindexStmt: "REINDEX",
  ClusterStmt: "CLUSTER",
  CreateSeqStmt: "CREATE SEQUENCE",
  CreateExtensionStmt: "CREATE EXTENSION",
  AlterSystemStmt: "ALTER SYSTEM",
  VariableSetStmtSession: "SET SESSION",
};

function _statementName(kind: string, n: RawNode): string {
  if (kind === "VacuumStmt" && n?.is_vacuumcmd === false) return "ANALYZE";
  if (kind === "AlterRoleStmt") return "ALTER ROLE";
  return _STATEMENT_NAMES[kind] ?? kind.replace(/Stmt$/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
}

type _Base = { sql: string; paramTypes: number[] };

function _utility(
  base: _Base,
  commandTag: string,
  txKind: TxKind,
  run: (env: StatementEnv) => ExecResult | Promise<ExecResult>,
  columns: readonly ResultColumn[] | null = null,
): PlannedStatement {
  return { ...base, commandTag, columns, txKind, execute: (env) => run(env) };
}

/** The text of a SET argument: string, integer and numeric constants, as PostgreSQL's flatten_set_variable_args. */
function _setArg(a: RawNode): string {
  const c = a.A_Const;
  if (c?.sval !== undefined) return c.sval.sval ?? "";
  if (c?.ival !== undefined) return String(c.ival.ival ?? 0);
  if (c?.fval !== undefined) return c.fval.fval;
  if (c?.boolval !== undefined) return c.boolval.boolval ? "true" : "false";
  if (a.TypeCast) throw notSupported("typed value in SET (e.g. SET TIME ZONE INTERVAL …)", a.TypeCast.location);
  throw new SqlError(SqlState.SYNTAX_ERROR, "invalid value in SET");
}

function _planSet(n: RawNode, base: _Base): PlannedStatement {
  const name: string = n.name ?? "";
  const isLocal = n.is_local === true;
  switch (n.kind) {
    case "VAR_SET_VALUE":
    case "VAR_SET_DEFAULT":
    case "VAR_RESET": {
      if (name === "role") throw notSupported("SET ROLE");
      if (name === "session_authorization") throw notSupported("SET SESSION AUTHORIZATION");
      const args: RawNode[] = n.args ?? [];
      if (args.length > 1 && !isListParameter(name)) {
        throw new SqlError(SqlState.SYNTAX_ERROR, `SET ${name} takes only one argument`);
      }
      const value = n.kind === "VAR_SET_VALUE" ? args.map(_setArg).join(", ") : null;
      const tag = n.kind === "VAR_RESET" ? "RESET" : "SET";
      return _utility(base, tag, "none", (env) => {
        if (isLocal && !env.xact.inBlock) _warnNoBlock(env, "SET LOCAL");
        env.gucs.set(name, value, { isLocal, inTransaction: env.xact.inTransaction });
        return { rows: null, tag };
      });
    }
    case "VAR_RESET_ALL":
      return _utility(base, "RESET", "none", (env) => {
        env.gucs.resetAll(env.xact.inTransaction);
        return { rows: null, tag: "RESET" };
      });
    case "VAR_SET_MULTI":
      return _planSetMulti(n, base);
    case "VAR_SET_CURRENT":
      throw notSupported("SET … FROM CURRENT");
    default:
      throw notSupported(`SET ${n.kind}`);
  }
}

function _warnNoBlock(env: StatementEnv, what: string): void {
  env.session.notice({
    severity: "WARNING",
    code: SqlState.NO_ACTIVE_SQL_TRANSACTION,
    message: `${what} can only be used in transaction blocks`,
  });
}

/** Applies BEGIN / SET TRANSACTION options (isolation level, read only) as local settings. */
function _transactionOptions(
  options: RawNode[] | undefined,
  prefix: "" | "default_",
): { name: string; value: string }[] {
  return (options ?? []).map((o: RawNode) => {
    const d = o.DefElem;
    if (d.defname === "transaction_deferrable") throw notSupported("DEFERRABLE", d.location);
    const c = d.arg?.A_Const;
    const value = c?.sval?.sval ?? String(c?.ival?.ival ?? 0);
    return { name: `${prefix}${d.defname}`, value: value === "1" ? "on" : value === "0" ? "off" : value };
  });
}

function _planSetMulti(n: RawNode, base: _Base): PlannedStatement {
  if (n.name === "TRANSACTION") {
    const opts = _transactionOptions(n.args, "");
    return _utility(base, "SET", "none", (env) => {
      if (!env.xact.inBlock) _warnNoBlock(env, "SET TRANSACTION");
      for (const o of opts) env.gucs.set(o.name, o.value, { isLocal: true, inTransaction: env.xact.inTransaction });
      return { rows: null, tag: "SET" };
    });
  }
  if (n.name === "SESSION CHARACTERISTICS") {
    const opts = _transactionOptions(n.args, "default_");
    return _utility(base, "SET", "none", (env) => {
      for (const o of opts) env.gucs.set(o.name, o.value, { isLocal: false, inTransaction: env.xact.inTransaction });
      return { rows: null, tag: "SET" };
    });
  }
  throw notSupported(`SET ${n.name}`);
}

function _planShow(n: RawNode, base: _Base): PlannedStatement {
  const name: string = n.name;
  if (name === "all") {
    const columns = ["name", "setting", "description"].map((c) => ({ name: c, type: TypeOid.TEXT, typmod: -1 }));
    return _utility(base, "SHOW", "none", (env) => ({
      rows: env.gucs.showAll().map((r) => [r.name, r.setting, r.description]),
      tag: "SHOW",
    }), columns);
  }
  // The column is named after the parameter as PostgreSQL spells it (TimeZone, DateStyle).
  const colName = _canonicalShowName(name);
  return _utility(base, "SHOW", "none", (env) => {
    const v = env.gucs.show(name);
    if (v === undefined) {
      throw new SqlError(SqlState.UNDEFINED_OBJECT, `unrecognized configuration parameter "${name}"`);
    }
    return { rows: [[v]], tag: "SHOW" };
  }, [{ name: colName, type: TypeOid.TEXT, typmod: -1 }]);
}

function _canonicalShowName(name: string): string {
  const special: Record<string, string> = {
    timezone: "TimeZone",
    datestyle: "DateStyle",
    intervalstyle: "IntervalStyle",
  };
  return special[name.toLowerCase()] ?? name.toLowerCase();
}

function _planTransaction(n: RawNode, base: _Base): PlannedStatement {
  const chain = n.chain === true;
  switch (n.kind) {
    case "TRANS_STMT_BEGIN":
    case "TRANS_STMT_START": {
      const tag = n.kind === "TRANS_STMT_BEGIN" ? "BEGIN" : "START TRANSACTION";
      const opts = _transactionOptions(n.options, "");
      return _utility(base, tag, "begin", (env) => {
        env.xact.begin();
        for (const o of opts) env.gucs.set(o.name, o.value, { isLocal: true, inTransaction: true });
        return { rows: null, tag };
      });
    }
    case "TRANS_STMT_COMMIT":
      return _utility(base, "COMMIT", "exit", (env) => ({ rows: null, tag: env.xact.commit(chain) }));
    case "TRANS_STMT_ROLLBACK":
      return _utility(base, "ROLLBACK", "exit", (env) => ({ rows: null, tag: env.xact.rollback(chain) }));
    case "TRANS_STMT_SAVEPOINT":
      return _utility(base, "SAVEPOINT", "other", (env) => {
        env.xact.requireBlock("SAVEPOINT");
        throw notSupported("SAVEPOINT");
      });
    case "TRANS_STMT_RELEASE":
      return _utility(base, "RELEASE", "other", (env) => {
        env.xact.requireBlock("RELEASE SAVEPOINT");
        throw notSupported("RELEASE SAVEPOINT");
      });
    case "TRANS_STMT_ROLLBACK_TO":
      return _utility(base, "ROLLBACK", "exit", (env) => {
        env.xact.requireBlock("ROLLBACK TO SAVEPOINT");
        throw notSupported("ROLLBACK TO SAVEPOINT");
      });
    case "TRANS_STMT_PREPARE":
      return _utility(base, "PREPARE TRANSACTION", "exit", () => {
        throw notSupported("PREPARE TRANSACTION");
      });
    case "TRANS_STMT_COMMIT_PREPARED":
      throw notSupported("COMMIT PREPARED");
    case "TRANS_STMT_ROLLBACK_PREPARED":
      throw notSupported("ROLLBACK PREPARED");
    default:
      throw notSupported(String(n.kind));
  }
}

function _planAlterRole(n: RawNode, base: _Base): PlannedStatement {
  const spec = n.role;
  const options: RawNode[] = (n.options ?? []).map((o: RawNode) => o.DefElem);
  for (const o of options) {
    if (o.defname !== "password") throw notSupported(`ALTER ROLE option "${o.defname}"`, o.location);
  }
  if (options.length !== 1) throw notSupported("ALTER ROLE without PASSWORD");
  const pw: string | null = options[0].arg?.String?.sval ?? null;
  return _utility(base, "ALTER ROLE", "none", async (env) => {
    const s = env.session;
    const role = spec.roletype === "ROLESPEC_CSTRING" ? spec.rolename as string : s.userName;
    if (spec.roletype === "ROLESPEC_PUBLIC") {
      throw new SqlError(SqlState.RESERVED_NAME, 'role "public" does not exist');
    }
    if (!s.isSuperuser && role !== s.userName) throw new SqlError(SqlState.INSUFFICIENT_PRIVILEGE, "permission denied");
    await s.alterRolePassword(role, _verifierFor(env, pw));
    return { rows: null, tag: "ALTER ROLE" };
  });
}

function _verifierFor(env: StatementEnv, pw: string | null): string | null {
  if (pw === null) return null;
  if (pw === "") {
    env.session.notice({
      severity: "NOTICE",
      code: SqlState.SUCCESSFUL_COMPLETION,
      message: "empty string is not a valid password, clearing password",
    });
    return null;
  }
  if (pw.startsWith("SCRAM-SHA-256$") && parseScramVerifier(pw) !== undefined) return pw;
  if (/^md5[0-9a-f]{32}$/.test(pw)) throw notSupported("MD5 password verifiers");
  if (env.gucs.show("password_encryption") === "md5") throw notSupported("password_encryption md5");
  return scramBuildVerifier(pw);
}
