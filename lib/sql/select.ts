/**
 * select.ts — planning and executing SELECT: a target list over no relation
 * or over one system view (pg_stat_activity, pg_stat_bgwriter, pg_stat_wal,
 * pg_stat_database: see system_views.ts), with WHERE, ORDER BY, LIMIT and
 * OFFSET.
 *
 * PostgreSQL counterpart: transformSelectStmt() in
 * src/backend/parser/analyze.c, transformTargetList/ExpandColumnRefStar
 * (parse_target.c), transformSortClause/findTargetlistEntrySQL92
 * (parse_clause.c), and the executor's Result, SeqScan, Sort and Limit
 * nodes — a small real executor over a single scan.
 *
 * NOTES
 * Clauses denogres does not implement (GROUP BY, HAVING, DISTINCT, window
 * clauses, set operations, VALUES, WITH, FOR UPDATE, INTO, joins,
 * subqueries in FROM) are refused with 0A000 naming them. Relations other
 * than the system views are 42P01 (they do not exist in denogres yet).
 * Rows are materialized per execution; every row passes an interruption
 * point so a cancel stops a long scan.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { coerceTo, coerceToBoolean, resolveUnknownAsText } from "./coerce.ts";
import { type EvalContext, type ExprNode, firstFoldError } from "./expr_node.ts";
import { analyzeExpr, type ExprScope, figureColname, notSupported } from "./expr.ts";
import { type Comparator, comparatorFor } from "./operators.ts";
import { findSystemView, type SystemView } from "./system_views.ts";
import { type Datum, formatType, TypeOid } from "./types.ts";

// deno-lint-ignore no-explicit-any
type RawNode = any;

/** One result column. */
export interface ResultColumn {
  readonly name: string;
  readonly type: number;
  readonly typmod: number;
}

interface _SortKey {
  readonly expr: ExprNode;
  readonly cmp: Comparator;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

/** A planned SELECT. */
export interface SelectPlan {
  readonly columns: readonly ResultColumn[];
  /** The first error folding its constants raised (target list, WHERE, OFFSET, LIMIT: the planner's order). */
  readonly planError: SqlError | undefined;
  /** Runs the query; rows are the target list's values (synchronously when nothing waits). */
  run(ec: EvalContext): Datum[][] | Promise<Datum[][]>;
}

function _pos(location: number | undefined): number | undefined {
  return location !== undefined && location >= 0 ? location + 1 : undefined;
}

function _checkClauses(s: RawNode): void {
  if (s.op !== undefined && s.op !== "SETOP_NONE") throw notSupported(`${s.op.replace("SETOP_", "")}`);
  if (s.valuesLists !== undefined) throw notSupported("VALUES");
  if (s.withClause !== undefined) throw notSupported("WITH", s.withClause.location);
  if (s.intoClause !== undefined) throw notSupported("SELECT INTO");
  if (s.distinctClause !== undefined) throw notSupported("DISTINCT");
  if (s.groupClause !== undefined) throw notSupported("GROUP BY");
  if (s.havingClause !== undefined) throw notSupported("HAVING");
  if (s.windowClause !== undefined) throw notSupported("WINDOW");
  if (s.lockingClause !== undefined) throw notSupported("FOR UPDATE/SHARE");
  if (s.limitOption === "LIMIT_OPTION_WITH_TIES") throw notSupported("FETCH FIRST … WITH TIES");
}

function _fromScope(
  s: RawNode,
  paramTypes: number[],
  variableParams: boolean,
): { scope: ExprScope; scan: SystemView | undefined } {
  const from: RawNode[] = s.fromClause ?? [];
  if (from.length === 0) return { scope: { paramTypes, variableParams, columns: [], relNames: [] }, scan: undefined };
  if (from.length > 1) throw notSupported("JOIN");
  const item = from[0];
  if (!item.RangeVar) {
    if (item.JoinExpr) throw notSupported("JOIN");
    if (item.RangeSubselect) throw notSupported("subquery in FROM");
    if (item.RangeFunction) throw notSupported("function in FROM");
    throw notSupported("this FROM item");
  }
  const rv = item.RangeVar;
  if (rv.catalogname !== undefined) throw notSupported("cross-database reference", rv.location);
  const schema: string | undefined = rv.schemaname;
  const view = findSystemView(schema, rv.relname);
  if (view === undefined) {
    const shown = schema === undefined ? rv.relname : `${schema}.${rv.relname}`;
    throw new SqlError(SqlState.UNDEFINED_TABLE, `relation "${shown}" does not exist`, { position: _pos(rv.location) });
  }
  const alias: string | undefined = rv.alias?.aliasname;
  if (rv.alias?.colnames !== undefined) throw notSupported("column alias in FROM", rv.location);
  return {
    scope: {
      paramTypes,
      variableParams,
      columns: view.columns,
      relNames: alias === undefined ? [rv.relname] : [alias],
    },
    scan: view,
  };
}

/**
 * Plans a SelectStmt. As transformSelectStmt, output columns still of
 * unknown type (literals, parameters) become text only after WHERE, ORDER
 * BY and LIMIT were analyzed (resolveTargetListUnknowns), so a parameter
 * another clause typed keeps that type, or conflicts (42P08).
 *
 * @param s the SelectStmt node
 * @param paramTypes parameter types (inferred ones are filled in)
 * @param variableParams true for a Parse message (parameters may be added and their types inferred), false for a
 *   simple query (no parameters: `$1` is 42P02)
 * @returns the plan
 * @throws {SqlError} analysis errors with positions, 0A000 for unimplemented clauses
 */
export function planSelect(s: RawNode, paramTypes: number[], variableParams: boolean): SelectPlan {
  _checkClauses(s);
  const { scope, scan } = _fromScope(s, paramTypes, variableParams);
  const targets: ExprNode[] = [];
  const names: string[] = [];
  for (const t of (s.targetList ?? []) as RawNode[]) {
    const rt = t.ResTarget;
    const star = rt.val?.ColumnRef?.fields?.some((f: RawNode) => f.A_Star);
    if (star) {
      if (scan === undefined) {
        throw new SqlError(SqlState.SYNTAX_ERROR, "SELECT * with no tables specified is not valid", {
          position: _pos(rt.val.ColumnRef.location),
        });
      }
      const f = rt.val.ColumnRef.fields;
      if (f.length === 2 && !scope.relNames.includes(f[0].String?.sval)) {
        throw new SqlError(SqlState.UNDEFINED_TABLE, `missing FROM-clause entry for table "${f[0].String?.sval}"`, {
          position: _pos(rt.val.ColumnRef.location),
        });
      }
      scope.columns.forEach((c, i) => {
        targets.push({ type: c.type, typmod: -1, location: rt.location, ev: (ec) => ec.row![i] });
        names.push(c.name);
      });
      continue;
    }
    targets.push(analyzeExpr(rt.val, scope));
    names.push(rt.name ?? figureColname(rt.val));
  }
  const where = s.whereClause === undefined
    ? undefined
    : coerceToBoolean(analyzeExpr(s.whereClause, scope), "WHERE", scope);
  const sortKeys = ((s.sortClause ?? []) as RawNode[]).map((sb) => _sortKey(sb.SortBy, scope, targets, names));
  const limit = _limitExpr(s.limitCount, scope);
  const offset = _limitExpr(s.limitOffset, scope);
  for (let i = 0; i < targets.length; i++) targets[i] = resolveUnknownAsText(targets[i], scope);
  const columns: ResultColumn[] = targets.map((e, i) => ({ name: names[i], type: e.type, typmod: e.typmod }));
  _checkParams(paramTypes);
  const planError = firstFoldError([...targets, ...sortKeys.map((k) => k.expr), where, offset, limit]);
  if (
    scan === undefined && where === undefined && sortKeys.length === 0 && limit === undefined && offset === undefined
  ) {
    return { columns, planError, run: (ec) => _runOneRow(ec, targets) };
  }
  return {
    columns,
    planError,
    run: (ec) => _run(ec, scan, targets, where, sortKeys, limit, offset),
  };
}

/** Fails with 42P18 when a parameter's type could not be inferred. */
function _checkParams(paramTypes: number[]): void {
  const i = paramTypes.indexOf(0);
  if (i >= 0) {
    throw new SqlError(SqlState.INDETERMINATE_DATATYPE, `could not determine data type of parameter $${i + 1}`);
  }
}

/** A sort key; one naming an output column resolves that column's unknown type first (addTargetToSortList). */
function _sortKey(sb: RawNode, scope: ExprScope, targets: ExprNode[], names: readonly string[]): _SortKey {
  const node = sb.node;
  let expr: ExprNode | undefined;
  if (node.A_Const?.ival !== undefined) {
    const n: number = node.A_Const.ival.ival ?? 0;
    if (n < 1 || n > targets.length) {
      throw new SqlError(SqlState.INVALID_COLUMN_REFERENCE, `ORDER BY position ${n} is not in select list`, {
        position: _pos(node.A_Const.location),
      });
    }
    expr = targets[n - 1] = resolveUnknownAsText(targets[n - 1], scope);
  } else if (node.ColumnRef?.fields?.length === 1 && node.ColumnRef.fields[0].String) {
    const name: string = node.ColumnRef.fields[0].String.sval;
    const matches = names.flatMap((c, i) => (c === name ? [i] : []));
    if (matches.length > 1) {
      throw new SqlError(SqlState.AMBIGUOUS_COLUMN, `ORDER BY "${name}" is ambiguous`, {
        position: _pos(node.ColumnRef.location),
      });
    }
    if (matches.length === 1) expr = targets[matches[0]] = resolveUnknownAsText(targets[matches[0]], scope);
  }
  expr ??= resolveUnknownAsText(analyzeExpr(node, scope), scope);
  if (sb.useOp !== undefined) throw notSupported("ORDER BY … USING");
  const cmp = comparatorFor(expr.type, expr.type);
  if (cmp === undefined) {
    throw new SqlError(
      SqlState.UNDEFINED_FUNCTION,
      `could not identify an ordering operator for type ${formatType(expr.type, -1)}`,
      { position: _pos(expr.location) },
    );
  }
  const desc = sb.sortby_dir === "SORTBY_DESC";
  const nullsFirst = sb.sortby_nulls === "SORTBY_NULLS_FIRST" || (sb.sortby_nulls !== "SORTBY_NULLS_LAST" && desc);
  return { expr, cmp, desc, nullsFirst };
}

function _limitExpr(node: RawNode, scope: ExprScope): ExprNode | undefined {
  if (node === undefined) return undefined;
  if (node.A_Const?.isnull) return undefined;
  return coerceTo(analyzeExpr(node, scope), TypeOid.INT8, -1, false, scope, node.location ?? -1);
}

async function _limitValue(
  e: ExprNode | undefined,
  ec: EvalContext,
  what: "LIMIT" | "OFFSET",
): Promise<number | undefined> {
  if (e === undefined) return undefined;
  const v = await e.ev(ec);
  if (v === null) return undefined;
  if ((v as bigint) < 0n) {
    throw new SqlError(
      what === "LIMIT"
        ? SqlState.INVALID_ROW_COUNT_IN_LIMIT_CLAUSE
        : SqlState.INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE,
      `${what} must not be negative`,
    );
  }
  return Number(v as bigint);
}

/** The common case `SELECT expr, …` with no clauses: one row, no promise unless a function waits. */
function _runOneRow(ec: EvalContext, targets: readonly ExprNode[]): Datum[][] | Promise<Datum[][]> {
  ec.s.checkForInterrupts();
  const out: Datum[] = new Array(targets.length);
  for (let i = 0; i < targets.length; i++) {
    const r = targets[i].ev(ec);
    if (r instanceof Promise) return _finishRow(ec, targets, out, i, r);
    out[i] = r;
  }
  return [out];
}

async function _finishRow(
  ec: EvalContext,
  targets: readonly ExprNode[],
  out: Datum[],
  i: number,
  first: Promise<Datum>,
): Promise<Datum[][]> {
  out[i] = await first;
  for (let j = i + 1; j < targets.length; j++) out[j] = await targets[j].ev(ec);
  return [out];
}

async function _run(
  ec: EvalContext,
  scan: SystemView | undefined,
  targets: readonly ExprNode[],
  where: ExprNode | undefined,
  sortKeys: readonly _SortKey[],
  limitE: ExprNode | undefined,
  offsetE: ExprNode | undefined,
): Promise<Datum[][]> {
  const limit = await _limitValue(limitE, ec, "LIMIT");
  const offset = (await _limitValue(offsetE, ec, "OFFSET")) ?? 0;
  const inputs: (readonly Datum[] | null)[] = scan === undefined ? [null] : await scan.rows(ec.s);
  const kept: { out: Datum[]; keys: Datum[] }[] = [];
  for (const row of inputs) {
    ec.s.checkForInterrupts();
    ec.row = row;
    if (where !== undefined && (await where.ev(ec)) !== true) continue;
    const out: Datum[] = new Array(targets.length);
    for (let i = 0; i < targets.length; i++) {
      const r = targets[i].ev(ec);
      out[i] = r instanceof Promise ? await r : r;
    }
    const keys: Datum[] = [];
    for (const k of sortKeys) keys.push(await k.expr.ev(ec));
    kept.push({ out, keys });
  }
  ec.row = null;
  if (sortKeys.length > 0) {
    kept.sort((a, b) => {
      for (let i = 0; i < sortKeys.length; i++) {
        const k = sortKeys[i];
        const x = a.keys[i], y = b.keys[i];
        if (x === null || y === null) {
          if (x === y) continue;
          return (x === null) === k.nullsFirst ? -1 : 1;
        }
        const c = k.cmp(x, y);
        if (c !== 0) return k.desc ? -c : c;
      }
      return 0;
    });
  }
  const end = limit === undefined ? kept.length : offset + limit;
  return kept.slice(offset, end).map((k) => k.out);
}
