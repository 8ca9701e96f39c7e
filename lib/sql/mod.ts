/**
 * SQL on libpg-query: parsing, expression analysis and evaluation, the
 * implemented types, SELECT (with the statistics views), SET/SHOW/RESET,
 * transaction blocks, CHECKPOINT and ALTER ROLE … PASSWORD. See README.md.
 *
 * @module
 */
export type { BackendActivity, ExecSession, SessionProcess, SignalResult, SqlNotice } from "./exec_context.ts";
export { findSystemView, SYSTEM_VIEWS, type SystemView } from "./system_views.ts";
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
