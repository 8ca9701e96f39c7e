/**
 * coerce.ts — type coercion of expressions: explicit casts, implicit
 * coercion of operator and function arguments, and resolution of untyped
 * literals and parameters.
 *
 * PostgreSQL counterpart: src/backend/parser/parse_coerce.c
 * (coerce_type, can_coerce_type, coerce_to_boolean) and the parameter
 * type inference of parse_param.c (variable_coerce_param_hook).
 *
 * NOTES
 * An untyped string literal is converted once, at analysis, with the target
 * type's input function (errors carry the literal's position, as
 * PostgreSQL's); conversions that depend on session settings (timestamptz)
 * run at evaluation. A parameter of unknown type takes the type it is first
 * coerced to, as PostgreSQL's variable parameters do.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { andThen, constNode, type ExprNode, foldNode, strict1 } from "./expr_node.ts";
import {
  applyTypmod,
  canCoerceImplicitly,
  castDatum,
  type Datum,
  formatType,
  isStringType,
  NUMERIC_RANK,
  requireTypeOid,
  type TypeIoContext,
  TypeOid,
} from "./types.ts";

/** Parameters of the statement being analyzed. */
export interface ParamScope {
  /** Their types: 0 while unknown. */
  readonly paramTypes: number[];
  /**
   * Variable parameters (a Parse message: parse_variable_parameters): a `$n` past the declared ones is added with its
   * type still unknown. Otherwise (a simple query: parse_fixed_parameters) it is 42P02 `there is no parameter $n`.
   */
  readonly variableParams: boolean;
}

/** I/O context for conversions done at analysis time (no session-dependent types are folded). */
const _ANALYZE_IO: TypeIoContext = { timeZone: "UTC", extraFloatDigits: 1, nowTs: 0n };

/**
 * Casts whose result depends on session settings (timestamptz input and output read TimeZone, float output reads
 * extra_float_digits): never folded at analysis, since plans are shared by every session of the process.
 */
function _castSessionDependent(from: number, to: number): boolean {
  if (from === TypeOid.TIMESTAMPTZ || to === TypeOid.TIMESTAMPTZ) return true;
  return isStringType(to) && (from === TypeOid.FLOAT4 || from === TypeOid.FLOAT8);
}

/** Adds the 1-based position to an error raised while converting a literal. */
function _withPosition(e: unknown, location: number): never {
  if (e instanceof SqlError && e.position === undefined && location >= 0) {
    throw new SqlError(e.sqlstate, e.message, {
      severity: e.severity,
      detail: e.detail,
      hint: e.hint,
      position: location + 1,
    });
  }
  throw e;
}

/**
 * Is there a cast from one type to another in this context?
 *
 * @param from source type
 * @param to target type
 * @param explicit explicit cast (`::`, CAST) or implicit coercion
 * @returns true when allowed
 */
export function castAllowed(from: number, to: number, explicit: boolean): boolean {
  if (canCoerceImplicitly(from, to)) return true;
  if (!explicit) return false;
  if (isStringType(from) || isStringType(to)) return from !== TypeOid.VOID && to !== TypeOid.VOID;
  const rf = NUMERIC_RANK[from] ?? (from === TypeOid.OID ? 1 : undefined);
  const rt = NUMERIC_RANK[to] ?? (to === TypeOid.OID ? 1 : undefined);
  if (rf !== undefined && rt !== undefined) return true;
  return (from === TypeOid.BOOL && to === TypeOid.INT4) || (from === TypeOid.INT4 && to === TypeOid.BOOL);
}

/**
 * Coerces an expression to a type.
 *
 * @param node the expression
 * @param to target type oid
 * @param typmod target typmod (-1 none)
 * @param explicit an explicit cast
 * @param scope parameter types (an unknown parameter takes `to`)
 * @param location position of the cast, for errors
 * @returns the coerced expression
 * @throws {SqlError} 42846 cannot cast, 42804 for implicit coercions that do not exist, or a literal's input error
 */
export function coerceTo(
  node: ExprNode,
  to: number,
  typmod: number,
  explicit: boolean,
  scope: ParamScope,
  location: number,
): ExprNode {
  if (node.paramNo !== undefined) {
    const i = node.paramNo - 1;
    // variable_coerce_param_hook: another use of the parameter may have fixed its type already.
    const known = scope.paramTypes[i];
    if (known !== 0 && known !== to) {
      throw new SqlError(SqlState.AMBIGUOUS_PARAMETER, `inconsistent types deduced for parameter $${node.paramNo}`, {
        detail: `${formatType(known, -1)} versus ${formatType(to, -1)}`,
        position: node.location >= 0 ? node.location + 1 : undefined,
      });
    }
    scope.paramTypes[i] = to;
    const param: ExprNode = {
      type: to,
      typmod: -1,
      location: node.location,
      bindConst: true,
      ev: (ec) => ec.params[i],
    };
    if (typmod < 0) return param;
    return { ...strict1(to, param, (v) => applyTypmod(v, to, typmod, explicit), location), typmod, bindConst: true };
  }
  const immutable = !_castSessionDependent(node.type, to);
  return foldNode(_coerce(node, to, typmod, explicit, location), [node], immutable);
}

/** coerceTo for everything but a parameter of unknown type; the caller folds a cast of a constant. */
function _coerce(node: ExprNode, to: number, typmod: number, explicit: boolean, location: number): ExprNode {
  const target = requireTypeOid(to);
  if (node.literal !== undefined && node.type === TypeOid.UNKNOWN) {
    const text = node.literal;
    if (to === TypeOid.TIMESTAMPTZ) {
      return {
        type: to,
        typmod,
        location: node.location,
        ev: (ec) => {
          try {
            return target.input(text, typmod, ec.s.io);
          } catch (e) {
            _withPosition(e, node.location);
          }
        },
      };
    }
    let v: Datum;
    try {
      v = applyTypmod(target.input(text, -1, _ANALYZE_IO)!, to, typmod, explicit);
    } catch (e) {
      _withPosition(e, node.location);
    }
    return constNode(to, typmod, v, node.location);
  }
  if (node.type === to) {
    if (typmod < 0 || typmod === node.typmod) return node;
    return { ...strict1(to, node, (v) => applyTypmod(v, to, typmod, explicit), location), typmod };
  }
  if (!castAllowed(node.type, to, explicit)) {
    const from = formatType(node.type, node.typmod);
    if (explicit) {
      throw new SqlError(SqlState.CANNOT_COERCE, `cannot cast type ${from} to ${formatType(to, typmod)}`, {
        position: location >= 0 ? location + 1 : undefined,
      });
    }
    throw new SqlError(SqlState.DATATYPE_MISMATCH, `cannot cast type ${from} to ${formatType(to, typmod)}`, {
      position: location >= 0 ? location + 1 : undefined,
    });
  }
  const from = node.type;
  const cast = (v: NonNullable<Datum>, io: TypeIoContext) => castDatum(v, from, to, typmod, explicit, io);
  const ev = node.ev;
  if (!_castSessionDependent(from, to)) {
    // Immutable: evaluated with the analysis-time I/O context (which it does not read), so a constant folds.
    return {
      type: to,
      typmod,
      location,
      ev: (ec) => andThen(ev(ec), (x) => (x === null ? null : cast(x, _ANALYZE_IO))),
    };
  }
  return {
    type: to,
    typmod,
    location,
    ev: (ec) => {
      const v = ev(ec);
      if (v instanceof Promise) return v.then((x) => (x === null ? null : cast(x, ec.s.io)));
      return v === null ? null : cast(v, ec.s.io);
    },
  };
}

/**
 * Resolves an expression of unknown type (literal or parameter) to text,
 * as PostgreSQL does for SELECT-list outputs (resolveTargetListUnknowns)
 * and sort keys: a parameter of still unknown type becomes text.
 *
 * @param node the expression
 * @param scope parameter types
 * @returns the node, typed
 * @throws {SqlError} 42P08 when another use of the parameter fixed another type
 */
export function resolveUnknownAsText(node: ExprNode, scope: ParamScope): ExprNode {
  if (node.type !== TypeOid.UNKNOWN) return node;
  return coerceTo(node, TypeOid.TEXT, -1, false, scope, node.location);
}

/**
 * Coerces to boolean for WHERE, AND/OR/NOT, CASE WHEN (coerce_to_boolean).
 *
 * @param node the expression
 * @param what the construct, for the message (`WHERE`, `AND`, `NOT`, `CASE/WHEN`)
 * @param scope parameter types
 * @returns a boolean expression
 * @throws {SqlError} 42804 `argument of AND must be type boolean, not type integer`
 */
export function coerceToBoolean(node: ExprNode, what: string, scope: ParamScope): ExprNode {
  if (node.type === TypeOid.BOOL) return node;
  if (node.type === TypeOid.UNKNOWN) return coerceTo(node, TypeOid.BOOL, -1, false, scope, node.location);
  throw new SqlError(
    SqlState.DATATYPE_MISMATCH,
    `argument of ${what} must be type boolean, not type ${formatType(node.type, node.typmod)}`,
    { position: node.location >= 0 ? node.location + 1 : undefined },
  );
}

/**
 * Chooses the common type of several expressions, as select_common_type
 * for CASE, COALESCE, GREATEST/LEAST, IN and VALUES.
 *
 * @param nodes the expressions
 * @param context the construct for the message (`CASE`, `COALESCE`)
 * @returns the common type oid
 * @throws {SqlError} 42804 `CASE types integer and text cannot be matched`
 */
export function selectCommonType(nodes: readonly ExprNode[], context: string): number {
  let common = TypeOid.UNKNOWN as number;
  let first: ExprNode | undefined;
  for (const n of nodes) {
    if (n.type === TypeOid.UNKNOWN) continue;
    if (common === TypeOid.UNKNOWN) {
      common = n.type;
      first = n;
      continue;
    }
    if (n.type === common) continue;
    if (canCoerceImplicitly(common, n.type) && !canCoerceImplicitly(n.type, common)) {
      common = n.type;
    } else if (!canCoerceImplicitly(n.type, common)) {
      throw new SqlError(
        SqlState.DATATYPE_MISMATCH,
        `${context} types ${formatType(first!.type, -1)} and ${formatType(n.type, -1)} cannot be matched`,
        { position: n.location >= 0 ? n.location + 1 : undefined },
      );
    }
  }
  return common === TypeOid.UNKNOWN ? TypeOid.TEXT : common;
}
