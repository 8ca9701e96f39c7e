/**
 * SQL on libpg-query: parsing, expression analysis and evaluation, the
 * implemented types, SELECT (with pg_stat_activity), SET/SHOW/RESET,
 * transaction blocks, CHECKPOINT and ALTER ROLE … PASSWORD. See README.md.
 *
 * @module
 */
export type { BackendActivity, ExecSession, SignalResult, SqlNotice } from "./exec_context.ts";
export { PG_STAT_ACTIVITY_COLUMNS } from "./pg_stat_activity.ts";
export type { ResultColumn } from "./select.ts";
export { CUSTOM_GUCS_MAX, SessionGucs } from "./session_gucs.ts";
export {
  type ExecResult,
  type ParsedQuery,
  parseQuery,
  PLAN_CACHE_MAX,
  type PlannedStatement,
  planQuery,
  planStatement,
  sqlParserInit,
  type StatementEnv,
  type TxKind,
} from "./statement.ts";
export { type Datum, type SqlType, typeByOid, TypeOid } from "./types.ts";
export { TransactionBlock, XACT_TRANSITIONS, type XactBlockState } from "./xact_block.ts";
