/**
 * expr.ts — analysis of raw expression trees (libpg-query's JSON) into
 * typed, evaluable expressions, and PostgreSQL's output column naming.
 *
 * PostgreSQL counterpart: src/backend/parser/parse_expr.c (transformExpr
 * and its transformAExprOp, transformBoolExpr, transformCaseExpr, …),
 * parse_target.c (FigureColname), parse_node.c (make_const).
 *
 * NOTES
 * Every node kind PostgreSQL's grammar can produce is either implemented or
 * refused with 0A000 naming the feature (`subqueries are not supported`),
 * never silently misread. Errors carry the 1-based position of the
 * offending token, as PostgreSQL's `LINE 1: …  ^` display needs.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { coerceTo, coerceToBoolean, type ParamScope, selectCommonType } from "./coerce.ts";
import { andThen, constNode, type EvalResult, type ExprNode, foldNode, foldNow } from "./expr_node.ts";
import { isAggregateName, makeFunctionCall } from "./functions.ts";
import { type Comparator, comparatorFor, makeBinaryOp, makeUnaryOp, resolveComparison } from "./operators.ts";
import { numericIn } from "./numeric.ts";
import { type Datum, formatType, lookupTypeName, TypeOid } from "./types.ts";

// deno-lint-ignore no-explicit-any
type RawNode = any;

/** One column of the relation in FROM, visible to column references. */
export interface ScopeColumn {
  readonly name: string;
  readonly type: number;
}

/** What an expression may refer to. */
export interface ExprScope extends ParamScope {
  /** Columns of the FROM relation (empty when there is no FROM). */
  readonly columns: readonly ScopeColumn[];
  /** Names the relation can be qualified by (its name and alias). */
  readonly relNames: readonly string[];
}

function _pos(location: number | undefined): number | undefined {
  return location !== undefined && location >= 0 ? location + 1 : undefined;
}

/** @returns a 0A000 error naming an unimplemented feature */
export function notSupported(what: string, location?: number): SqlError {
  return new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `${what} is not supported`, { position: _pos(location) });
}

function _str(n: RawNode): string {
  return n?.String?.sval ?? "";
}

/**
 * Resolves a TypeName node to a type and typmod.
 *
 * @param tn the TypeName
 * @returns the type oid and typmod
 * @throws {SqlError} 0A000 for arrays, unsupported types and interval qualifiers; 42704 for unknown names
 */
export function resolveTypeName(tn: RawNode): { type: number; typmod: number } {
  const names: string[] = (tn.names ?? []).map(_str);
  if (tn.arrayBounds !== undefined) throw notSupported("array type", tn.location);
  if (tn.setof) throw notSupported("SETOF type", tn.location);
  if (names.length > 2 || (names.length === 2 && names[0] !== "pg_catalog")) {
    if (names.length === 2) {
      throw new SqlError(SqlState.INVALID_SCHEMA_NAME, `schema "${names[0]}" does not exist`, {
        position: _pos(tn.location),
      });
    }
    throw notSupported("cross-database reference", tn.location);
  }
  const name = names[names.length - 1];
  const t = lookupTypeName(name, _pos(tn.location));
  const mods: number[] = (tn.typmods ?? []).map((m: RawNode) => {
    if (m.A_Const?.ival === undefined) throw notSupported("non-integer type modifier", tn.location);
    return m.A_Const.ival.ival ?? 0;
  });
  if (mods.length === 0) return { type: t.oid, typmod: -1 };
  if (t.oid === TypeOid.VARCHAR) {
    if (mods.length !== 1) {
      throw new SqlError(SqlState.SYNTAX_ERROR, "invalid type modifier", { position: _pos(tn.location) });
    }
    if (mods[0] < 1) {
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, "length for type varchar must be at least 1", {
        position: _pos(tn.location),
      });
    }
    return { type: t.oid, typmod: mods[0] + 4 };
  }
  if (t.oid === TypeOid.NUMERIC) {
    const [p, s = 0] = mods;
    if (mods.length > 2) {
      throw new SqlError(SqlState.SYNTAX_ERROR, "invalid NUMERIC type modifier", { position: _pos(tn.location) });
    }
    if (p < 1 || p > 1000) {
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `NUMERIC precision ${p} must be between 1 and 1000`, {
        position: _pos(tn.location),
      });
    }
    if (s < 0 || s > p) {
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `NUMERIC scale ${s} must be between 0 and precision ${p}`, {
        position: _pos(tn.location),
      });
    }
    return { type: t.oid, typmod: ((p << 16) | s) + 4 };
  }
  if (t.oid === TypeOid.INTERVAL) throw notSupported("interval type modifier", tn.location);
  if (t.oid === TypeOid.TIMESTAMPTZ) {
    if (mods[0] < 0 || mods[0] > 6) throw notSupported("timestamp precision outside 0..6", tn.location);
    return { type: t.oid, typmod: mods[0] };
  }
  throw new SqlError(SqlState.SYNTAX_ERROR, `type modifier is not allowed for type "${t.name}"`, {
    position: _pos(tn.location),
  });
}

/**
 * Names an output column as PostgreSQL's FigureColname.
 *
 * @param node the raw expression
 * @returns the column name (`?column?` when nothing better)
 */
export function figureColname(node: RawNode): string {
  return _figure(node)[0];
}

function _figure(node: RawNode): [string, number] {
  if (node === undefined || node === null) return ["?column?", 0];
  if (node.ColumnRef) {
    const fields = node.ColumnRef.fields;
    const last = fields[fields.length - 1];
    if (last.String) return [last.String.sval, 2];
    return ["?column?", 0];
  }
  if (node.FuncCall) {
    const names = node.FuncCall.funcname;
    return [_str(names[names.length - 1]), 2];
  }
  if (node.TypeCast) {
    const [n, strength] = _figure(node.TypeCast.arg);
    if (strength > 1) return [n, strength];
    const names = node.TypeCast.typeName?.names ?? [];
    return [_str(names[names.length - 1]), 1];
  }
  if (node.A_Expr?.kind === "AEXPR_NULLIF") return ["nullif", 2];
  if (node.CaseExpr) {
    const [n, strength] = _figure(node.CaseExpr.defresult);
    return strength > 0 ? [n, strength] : ["case", 1];
  }
  if (node.CoalesceExpr) return ["coalesce", 2];
  if (node.MinMaxExpr) return [node.MinMaxExpr.op === "IS_GREATEST" ? "greatest" : "least", 2];
  if (node.SQLValueFunction) return [_svfName(node.SQLValueFunction.op), 2];
  if (node.A_ArrayExpr) return ["array", 2];
  if (node.RowExpr) return ["row", 2];
  if (node.CollateClause) return _figure(node.CollateClause.arg);
  if (node.A_Indirection) return ["?column?", 0];
  if (node.SubLink) {
    const t = node.SubLink.subLinkType;
    if (t === "EXISTS_SUBLINK") return ["exists", 2];
    if (t === "ARRAY_SUBLINK") return ["array", 2];
    return ["?column?", 0];
  }
  return ["?column?", 0];
}

function _svfName(op: string): string {
  return op.replace(/^SVFOP_/, "").toLowerCase().replace(/_n$/, "");
}

function _const(c: RawNode, scope: ExprScope): ExprNode {
  const loc = c.location ?? -1;
  if (c.isnull) return constNode(TypeOid.UNKNOWN, -1, null, loc, undefined);
  if (c.ival !== undefined) return constNode(TypeOid.INT4, -1, c.ival.ival ?? 0, loc);
  if (c.fval !== undefined) {
    const text: string = c.fval.fval;
    // An integer too large for int4 is int8 if it fits, else numeric (make_const).
    if (/^-?\d+$/.test(text)) {
      const n = BigInt(text);
      if (n >= -9223372036854775808n && n <= 9223372036854775807n) return constNode(TypeOid.INT8, -1, n, loc);
    }
    let v: Datum;
    try {
      v = numericIn(text);
    } catch (e) {
      // make_const reads the literal with numeric_in, its error pointing at the literal.
      if (!(e instanceof SqlError)) throw e;
      throw new SqlError(e.sqlstate, e.message, { position: _pos(loc) });
    }
    return constNode(TypeOid.NUMERIC, -1, v, loc);
  }
  if (c.sval !== undefined) {
    const s: string = c.sval.sval ?? "";
    return constNode(TypeOid.UNKNOWN, -1, s, loc, s);
  }
  if (c.boolval !== undefined) return constNode(TypeOid.BOOL, -1, c.boolval.boolval === true, loc);
  if (c.bsval !== undefined) throw notSupported("bit-string constant", loc);
  void scope;
  throw notSupported("this constant", loc);
}

/**
 * Analyzes a raw expression.
 *
 * @param node libpg-query's node
 * @param scope columns and parameters in scope
 * @returns the typed expression
 * @throws {SqlError} with PostgreSQL's message and position, or 0A000
 */
export function analyzeExpr(node: RawNode, scope: ExprScope): ExprNode {
  const kind = Object.keys(node)[0];
  const n = node[kind];
  switch (kind) {
    case "A_Const":
      return _const(n, scope);
    case "ParamRef":
      return _param(n, scope);
    case "ColumnRef":
      return _columnRef(n, scope);
    case "TypeCast": {
      const arg = analyzeExpr(n.arg, scope);
      const { type, typmod } = resolveTypeName(n.typeName);
      const loc = n.location >= 0 ? n.location : n.typeName.location;
      const r = coerceTo(arg, type, typmod, true, scope, loc);
      // A cast keeps the argument's position for errors, but the column is named after the type.
      return r;
    }
    case "A_Expr":
      return _aExpr(n, scope);
    case "BoolExpr":
      return _boolExpr(n, scope);
    case "NullTest": {
      const arg = analyzeExpr(n.arg, scope);
      const isNull = n.nulltesttype === "IS_NULL";
      const ev = arg.ev;
      const node: ExprNode = {
        type: TypeOid.BOOL,
        typmod: -1,
        location: n.location,
        ev: (ec) => andThen(ev(ec), (v) => (v === null) === isNull),
      };
      return foldNode(node, [arg], true);
    }
    case "BooleanTest":
      return _booleanTest(n, scope);
    case "CaseExpr":
      return _caseExpr(n, scope);
    case "CoalesceExpr":
      return _coalesce(n, scope);
    case "MinMaxExpr":
      return _minMax(n, scope);
    case "FuncCall":
      return _funcCall(n, scope);
    case "SQLValueFunction":
      return _sqlValueFunction(n);
    case "CollateClause":
      throw notSupported("COLLATE", n.location);
    case "SubLink":
      throw notSupported("subquery", n.location);
    case "A_ArrayExpr":
      throw notSupported("array", n.location);
    case "RowExpr":
      throw notSupported("row constructor", n.location);
    case "A_Indirection":
      throw notSupported("indirection (subscript or field selection)", undefined);
    case "GroupingFunc":
      throw notSupported("GROUPING", n.location);
    case "XmlExpr":
    case "XmlSerialize":
      throw notSupported("XML function", n.location);
    case "SetToDefault":
      throw new SqlError(SqlState.SYNTAX_ERROR, "DEFAULT is not allowed in this context", {
        position: _pos(n.location),
      });
    default:
      throw notSupported(`expression node ${kind}`, n?.location);
  }
}

function _param(n: RawNode, scope: ExprScope): ExprNode {
  const no: number = n.number;
  if (no < 1 || no > scope.paramTypes.length && (!scope.variableParams || no > 65535)) {
    throw new SqlError(SqlState.UNDEFINED_PARAMETER, `there is no parameter $${no}`, { position: _pos(n.location) });
  }
  while (scope.paramTypes.length < no) scope.paramTypes.push(0);
  const i = no - 1;
  const t = scope.paramTypes[i];
  if (t === 0) {
    return {
      type: TypeOid.UNKNOWN,
      typmod: -1,
      location: n.location,
      paramNo: no,
      bindConst: true,
      ev: (ec) => ec.params[i],
    };
  }
  return { type: t, typmod: -1, location: n.location, bindConst: true, ev: (ec) => ec.params[i] };
}

function _columnRef(n: RawNode, scope: ExprScope): ExprNode {
  const fields: RawNode[] = n.fields;
  if (fields.some((f) => f.A_Star)) {
    throw new SqlError(SqlState.SYNTAX_ERROR, 'row expansion via "*" is not supported here', {
      position: _pos(n.location),
    });
  }
  const names = fields.map(_str);
  if (names.length > 2) throw notSupported("column reference qualified by a schema", n.location);
  if (names.length === 2 && !scope.relNames.includes(names[0])) {
    throw new SqlError(SqlState.UNDEFINED_TABLE, `missing FROM-clause entry for table "${names[0]}"`, {
      position: _pos(n.location),
    });
  }
  const col = names[names.length - 1];
  const i = scope.columns.findIndex((c) => c.name === col);
  if (i < 0) {
    throw new SqlError(
      SqlState.UNDEFINED_COLUMN,
      names.length === 2 ? `column ${names[0]}.${col} does not exist` : `column "${col}" does not exist`,
      { position: _pos(n.location) },
    );
  }
  return { type: scope.columns[i].type, typmod: -1, location: n.location, ev: (ec) => ec.row![i] };
}

function _aExpr(n: RawNode, scope: ExprScope): ExprNode {
  const op = _str(n.name?.[n.name.length - 1]);
  const loc: number = n.location;
  if (n.name?.length > 1 && _str(n.name[0]) !== "pg_catalog") {
    throw new SqlError(SqlState.INVALID_SCHEMA_NAME, `schema "${_str(n.name[0])}" does not exist`, {
      position: _pos(loc),
    });
  }
  switch (n.kind) {
    case "AEXPR_OP": {
      if (n.lexpr === undefined) return makeUnaryOp(op, analyzeExpr(n.rexpr, scope), loc, scope);
      return makeBinaryOp(op, analyzeExpr(n.lexpr, scope), analyzeExpr(n.rexpr, scope), loc, scope);
    }
    case "AEXPR_LIKE":
    case "AEXPR_ILIKE":
      if (n.rexpr?.FuncCall) throw notSupported("LIKE … ESCAPE", loc);
      return makeBinaryOp(op, analyzeExpr(n.lexpr, scope), analyzeExpr(n.rexpr, scope), loc, scope);
    case "AEXPR_DISTINCT":
    case "AEXPR_NOT_DISTINCT": {
      const [l, r, cmp] = resolveComparison(analyzeExpr(n.lexpr, scope), analyzeExpr(n.rexpr, scope), loc, scope);
      return _distinct(l, r, cmp, n.kind === "AEXPR_DISTINCT", loc);
    }
    case "AEXPR_NULLIF":
      return _nullif(n, scope, loc);
    case "AEXPR_IN":
      return _in(n, op, scope, loc);
    case "AEXPR_BETWEEN":
    case "AEXPR_NOT_BETWEEN": {
      const [lo, hi] = n.rexpr.List.items;
      const ge = makeBinaryOp(">=", analyzeExpr(n.lexpr, scope), analyzeExpr(lo, scope), loc, scope);
      const le = makeBinaryOp("<=", analyzeExpr(n.lexpr, scope), analyzeExpr(hi, scope), loc, scope);
      const both = _andOr([ge, le], true, loc, true);
      return n.kind === "AEXPR_BETWEEN" ? both : _not(both, loc);
    }
    case "AEXPR_OP_ANY":
    case "AEXPR_OP_ALL":
      throw notSupported("ANY/ALL with an array", loc);
    case "AEXPR_SIMILAR":
      throw notSupported("SIMILAR TO", loc);
    default:
      throw notSupported(`expression kind ${n.kind}`, loc);
  }
}

/** IS [NOT] DISTINCT FROM: NULLs compare equal to each other and unequal to values. */
function _distinct(l: ExprNode, r: ExprNode, cmp: Comparator, distinct: boolean, loc: number): ExprNode {
  const same = (a: Datum, b: Datum) => (a === null || b === null ? a === b : cmp(a, b) === 0);
  const node: ExprNode = {
    type: TypeOid.BOOL,
    typmod: -1,
    location: loc,
    ev: (ec) => andThen(l.ev(ec), (a) => andThen(r.ev(ec), (b) => same(a, b) !== distinct)),
  };
  return foldNode(node, [l, r], true);
}

function _nullif(n: RawNode, scope: ExprScope, loc: number): ExprNode {
  const a = analyzeExpr(n.lexpr, scope);
  const b = analyzeExpr(n.rexpr, scope);
  const eq = makeBinaryOp("=", a, b, loc, scope);
  const value = a.type === TypeOid.UNKNOWN && a.paramNo === undefined
    ? coerceTo(a, TypeOid.TEXT, -1, false, scope, a.location)
    : a;
  const aev = value.ev;
  const node: ExprNode = {
    type: a.type === TypeOid.UNKNOWN ? TypeOid.TEXT : a.type,
    typmod: a.typmod,
    location: loc,
    ev: (ec) => andThen(eq.ev(ec), (e) => (e === true ? null : aev(ec))),
  };
  return foldNode(node, [eq, value], true);
}

function _in(n: RawNode, op: string, scope: ExprScope, loc: number): ExprNode {
  if (n.rexpr.SubLink) throw notSupported("subquery", loc);
  const items: RawNode[] = n.rexpr.List?.items ?? [];
  const comparisons = items.map((it) =>
    makeBinaryOp("=", analyzeExpr(n.lexpr, scope), analyzeExpr(it, scope), loc, scope)
  );
  // A ScalarArrayOpExpr in PostgreSQL: its array of values is folded whole, with no short cut.
  const anyEq = _andOr(comparisons, false, loc, false);
  return op === "<>" ? _not(anyEq, loc) : anyEq;
}

function _boolExpr(n: RawNode, scope: ExprScope): ExprNode {
  const what = n.boolop === "AND_EXPR" ? "AND" : n.boolop === "OR_EXPR" ? "OR" : "NOT";
  const args = (n.args as RawNode[]).map((a) => coerceToBoolean(analyzeExpr(a, scope), what, scope));
  if (what === "NOT") return _not(args[0], n.location);
  return _andOr(args, what === "AND", n.location, true);
}

function _not(arg: ExprNode, loc: number): ExprNode {
  const ev = arg.ev;
  const node: ExprNode = {
    type: TypeOid.BOOL,
    typmod: -1,
    location: loc,
    ev: (ec) => andThen(ev(ec), (v) => (v === null ? null : !v)),
  };
  return foldNode(node, [arg], true);
}

/**
 * Three-valued AND / OR with short-circuit evaluation, left to right. Folded as simplify_and_arguments: an argument
 * that folds to the deciding constant (false for AND, true for OR) decides at plan time, and the arguments after it
 * are not folded (their errors never raised); with `shortCut` false (IN's list) every argument is.
 */
function _andOr(args: readonly ExprNode[], isAnd: boolean, loc: number, shortCut: boolean): ExprNode {
  const stopAt = !isAnd; // AND stops at false, OR at true
  const step = (ec: Parameters<ExprNode["ev"]>[0], i: number, sawNull: boolean): EvalResult => {
    for (; i < args.length; i++) {
      const r = args[i].ev(ec);
      if (r instanceof Promise) {
        const j = i;
        return r.then((v) => (v === stopAt ? stopAt : step(ec, j + 1, sawNull || v === null)));
      }
      if (r === stopAt) return stopAt;
      if (r === null) sawNull = true;
    }
    return sawNull ? null : !stopAt;
  };
  const node: ExprNode = { type: TypeOid.BOOL, typmod: -1, location: loc, ev: (ec) => step(ec, 0, false) };
  let allConst = true;
  let conditional = false; // a parameter may take the short cut before what follows
  for (const a of args) {
    if (a.foldError !== undefined) return conditional ? node : { ...node, foldError: a.foldError };
    if (a.isConst !== true) {
      allConst = false;
      if (shortCut && a.bindConst === true) conditional = true;
    } else if (shortCut && a.ev(null as never) === stopAt) return constNode(TypeOid.BOOL, -1, stopAt, loc);
  }
  return allConst ? foldNow(node) : node;
}

function _booleanTest(n: RawNode, scope: ExprScope): ExprNode {
  const t: string = n.booltesttype;
  const what = t.replace(/^IS_/, "IS ").replaceAll("_", " ");
  const arg = coerceToBoolean(analyzeExpr(n.arg, scope), what, scope);
  const ev = arg.ev;
  const test = (v: Datum): boolean => {
    switch (t) {
      case "IS_TRUE":
        return v === true;
      case "IS_NOT_TRUE":
        return v !== true;
      case "IS_FALSE":
        return v === false;
      case "IS_NOT_FALSE":
        return v !== false;
      case "IS_UNKNOWN":
        return v === null;
      default:
        return v !== null;
    }
  };
  const node: ExprNode = { type: TypeOid.BOOL, typmod: -1, location: n.location, ev: (ec) => andThen(ev(ec), test) };
  return foldNode(node, [arg], true);
}

function _caseExpr(n: RawNode, scope: ExprScope): ExprNode {
  const whens: RawNode[] = n.args.map((w: RawNode) => w.CaseWhen);
  const results = whens.map((w) => analyzeExpr(w.result, scope));
  const defresult = n.defresult === undefined ? undefined : analyzeExpr(n.defresult, scope);
  const all = defresult === undefined ? results : [...results, defresult];
  const type = selectCommonType(all, "CASE");
  const rs = results.map((r) => coerceTo(r, type, -1, false, scope, r.location));
  const def = defresult === undefined ? undefined : coerceTo(defresult, type, -1, false, scope, defresult.location);
  let conds: ExprNode[];
  if (n.arg !== undefined) {
    const testExpr = analyzeExpr(n.arg, scope);
    conds = whens.map((w) => makeBinaryOp("=", testExpr, analyzeExpr(w.expr, scope), w.location, scope));
  } else {
    conds = whens.map((w) => coerceToBoolean(analyzeExpr(w.expr, scope), "CASE/WHEN", scope));
  }
  const step = (ec: Parameters<ExprNode["ev"]>[0], i: number): EvalResult => {
    for (; i < conds.length; i++) {
      const c = conds[i].ev(ec);
      if (c instanceof Promise) {
        const j = i;
        return c.then((v) => (v === true ? rs[j].ev(ec) : step(ec, j + 1)));
      }
      if (c === true) return rs[i].ev(ec);
    }
    return def === undefined ? null : def.ev(ec);
  };
  return _foldCase({ type, typmod: -1, location: n.location, ev: (ec) => step(ec, 0) }, conds, rs, def);
}

/**
 * Folds CASE as eval_const_expressions: a WHEN that folds to false or NULL is dropped without folding its result; one
 * that folds to true makes its result the answer and ends the folding (later arms and ELSE are never folded). After a
 * WHEN that depends on parameters, what PostgreSQL's custom plan folds depends on their values: errors there are
 * left to run time.
 */
function _foldCase(
  node: ExprNode,
  conds: readonly ExprNode[],
  results: readonly ExprNode[],
  def: ExprNode | undefined,
): ExprNode {
  let decided = true; // every WHEN so far folded to false or NULL
  let conditional = false;
  for (let i = 0; i < conds.length; i++) {
    const c = conds[i];
    if (c.foldError !== undefined) return conditional ? node : { ...node, foldError: c.foldError };
    const always = c.isConst === true && c.ev(null as never) === true;
    if (c.isConst === true && !always) continue;
    if (c.bindConst === true) conditional = true;
    const r = results[i];
    if (r.foldError !== undefined) return conditional ? node : { ...node, foldError: r.foldError };
    if (!always) {
      decided = false;
      continue;
    }
    return decided && r.isConst === true ? foldNow(node) : node;
  }
  if (def?.foldError !== undefined) return conditional ? node : { ...node, foldError: def.foldError };
  return decided && (def === undefined || def.isConst === true) ? foldNow(node) : node;
}

function _coalesce(n: RawNode, scope: ExprScope): ExprNode {
  const args = (n.args as RawNode[]).map((a) => analyzeExpr(a, scope));
  const type = selectCommonType(args, "COALESCE");
  const cs = args.map((a) => coerceTo(a, type, -1, false, scope, a.location));
  const step = (ec: Parameters<ExprNode["ev"]>[0], i: number): EvalResult => {
    for (; i < cs.length; i++) {
      const v = cs[i].ev(ec);
      if (v instanceof Promise) {
        const j = i;
        return v.then((x) => (x !== null ? x : step(ec, j + 1)));
      }
      if (v !== null) return v;
    }
    return null;
  };
  const node: ExprNode = { type, typmod: -1, location: n.location, ev: (ec) => step(ec, 0) };
  // As eval_const_expressions: NULL constants are dropped; the first other constant ends the folding (later
  // arguments are never folded) and is the answer when nothing variable came before it.
  let variable = false;
  let conditional = false; // a parameter before may end it first (PostgreSQL's custom plan)
  for (const a of cs) {
    if (a.foldError !== undefined) return conditional ? node : { ...node, foldError: a.foldError };
    if (a.isConst !== true) {
      variable = true;
      if (a.bindConst === true) conditional = true;
    } else if (a.ev(null as never) !== null) break;
  }
  return variable ? node : foldNow(node);
}

function _minMax(n: RawNode, scope: ExprScope): ExprNode {
  const greatest = n.op === "IS_GREATEST";
  const args = (n.args as RawNode[]).map((a) => analyzeExpr(a, scope));
  const type = selectCommonType(args, greatest ? "GREATEST" : "LEAST");
  const cs = args.map((a) => coerceTo(a, type, -1, false, scope, a.location));
  const cmp = comparatorFor(type, type);
  if (cmp === undefined) {
    throw new SqlError(
      SqlState.UNDEFINED_FUNCTION,
      `could not identify a comparison function for type ${formatType(type, -1)}`,
      {
        position: _pos(n.location),
      },
    );
  }
  const node: ExprNode = {
    type,
    typmod: -1,
    location: n.location,
    ev: (ec) => {
      let best: Datum = null;
      const step = (i: number): EvalResult => {
        for (; i < cs.length; i++) {
          const v = cs[i].ev(ec);
          if (v instanceof Promise) {
            const j = i;
            return v.then((x) => {
              if (x !== null && (best === null || (greatest ? cmp(x, best) > 0 : cmp(x, best) < 0))) best = x;
              return step(j + 1);
            });
          }
          if (v !== null && (best === null || (greatest ? cmp(v, best) > 0 : cmp(v, best) < 0))) best = v;
        }
        return best;
      };
      return step(0);
    },
  };
  return foldNode(node, cs, true);
}

function _funcCall(n: RawNode, scope: ExprScope): ExprNode {
  const names: string[] = n.funcname.map(_str);
  const loc: number = n.location;
  if (names.length > 2) throw notSupported("cross-database reference", loc);
  if (names.length === 2 && names[0] !== "pg_catalog") {
    throw new SqlError(SqlState.INVALID_SCHEMA_NAME, `schema "${names[0]}" does not exist`, { position: _pos(loc) });
  }
  const name = names[names.length - 1];
  if (n.over !== undefined) throw notSupported("window function", loc);
  if (n.agg_star || n.agg_distinct || n.agg_order || n.agg_filter || n.agg_within_group || isAggregateName(name)) {
    throw notSupported("aggregate function", loc);
  }
  if (n.func_variadic) throw notSupported("VARIADIC", loc);
  const rawArgs: RawNode[] = n.args ?? [];
  if (rawArgs.some((a) => a.NamedArgExpr)) throw notSupported("named function argument", loc);
  return makeFunctionCall(name, rawArgs.map((a) => analyzeExpr(a, scope)), loc, scope);
}

function _sqlValueFunction(n: RawNode): ExprNode {
  const loc: number = n.location;
  switch (n.op) {
    case "SVFOP_CURRENT_USER":
    case "SVFOP_CURRENT_ROLE":
    case "SVFOP_USER":
    case "SVFOP_SESSION_USER":
      return { type: TypeOid.NAME, typmod: -1, location: loc, ev: (ec) => ec.s.userName };
    case "SVFOP_CURRENT_CATALOG":
      return { type: TypeOid.NAME, typmod: -1, location: loc, ev: (ec) => ec.s.databaseName };
    case "SVFOP_CURRENT_SCHEMA":
      return { type: TypeOid.NAME, typmod: -1, location: loc, ev: () => "public" };
    case "SVFOP_CURRENT_TIMESTAMP":
      return { type: TypeOid.TIMESTAMPTZ, typmod: -1, location: loc, ev: (ec) => ec.s.transactionStartTs };
    case "SVFOP_CURRENT_TIMESTAMP_N": {
      const p: number = n.typmod;
      const unit = 10n ** BigInt(6 - Math.min(6, Math.max(0, p)));
      return {
        type: TypeOid.TIMESTAMPTZ,
        typmod: p,
        location: loc,
        ev: (ec) => {
          const t = ec.s.transactionStartTs;
          const r = t % unit;
          return t - r + (r * 2n >= unit ? unit : 0n);
        },
      };
    }
    case "SVFOP_CURRENT_DATE":
      throw notSupported("type date", loc);
    case "SVFOP_CURRENT_TIME":
    case "SVFOP_CURRENT_TIME_N":
      throw notSupported("type time with time zone", loc);
    case "SVFOP_LOCALTIME":
    case "SVFOP_LOCALTIME_N":
      throw notSupported("type time", loc);
    default:
      throw notSupported("type timestamp without time zone", loc);
  }
}
