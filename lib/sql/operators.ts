/**
 * operators.ts — operator resolution and the built-in operators of the
 * implemented types: arithmetic, comparison, concatenation, pattern
 * matching, date/time arithmetic.
 *
 * PostgreSQL counterpart: src/backend/parser/parse_oper.c (oper_select_candidate,
 * with its "unknown takes the other side's type" rule) and the operator
 * functions of src/backend/utils/adt/ (int.c int4pl…, int8.c, float.c
 * float8pl…, numeric.c, varlena.c textcat/text_lt, like.c, timestamp.c).
 *
 * NOTES
 * Resolution is table-driven over type categories rather than a general
 * pg_operator search, and reproduces PostgreSQL's outcome for the
 * implemented types: int2 < int4 < int8 < numeric < float4 < float8 with
 * the cross-type integer operators, float4 op float4 staying float4, and
 * every float/int mix becoming float8. A missing combination is 42883
 * `operator does not exist: integer || integer`, with PostgreSQL's hint
 * and the operator's position. Overflow and division by zero raise 22003
 * and 22012 with PostgreSQL's messages.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { coerceTo, type ParamScope } from "./coerce.ts";
import {
  type Interval,
  intervalAdd,
  intervalCmp,
  intervalDiv,
  intervalMul,
  intervalNeg,
  timestamptzMinus,
  timestamptzPlusInterval,
} from "./datetime.ts";
import { type ExprNode, foldNode, strict1, strict2 } from "./expr_node.ts";
import {
  Numeric,
  numericAdd,
  numericCmp,
  numericDiv,
  numericMod,
  numericMul,
  numericNeg,
  numericPowInt,
  numericSub,
} from "./numeric.ts";
import { type Datum, formatType, isStringType, NUMERIC_RANK, toFloat, toNumeric, TypeOid } from "./types.ts";

const _COMPARISON = new Set(["=", "<>", "<", ">", "<=", ">="]);
const _ARITH = new Set(["+", "-", "*", "/", "%"]);
const _PATTERN = new Set(["~~", "!~~", "~~*", "!~~*", "~", "!~", "~*", "!~*"]);

function _pos(location: number): number | undefined {
  return location >= 0 ? location + 1 : undefined;
}

function _noOperator(op: string, l: ExprNode | undefined, r: ExprNode, location: number): SqlError {
  const sig = l === undefined
    ? `${op} ${formatType(r.type, -1)}`
    : `${formatType(l.type, -1)} ${op} ${formatType(r.type, -1)}`;
  return new SqlError(SqlState.UNDEFINED_FUNCTION, `operator does not exist: ${sig}`, {
    hint: l === undefined
      ? "No operator matches the given name and argument type. You might need to add an explicit type cast."
      : "No operator matches the given name and argument types. You might need to add explicit type casts.",
    position: _pos(location),
  });
}

function _overflow(type: number): SqlError {
  const what = type === TypeOid.INT2 ? "smallint" : type === TypeOid.INT4 ? "integer" : "bigint";
  return new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `${what} out of range`);
}

function _divZero(): SqlError {
  return new SqlError(SqlState.DIVISION_BY_ZERO, "division by zero");
}

// ---- arithmetic kernels -------------------------------------------------------

function _intArith(op: string, type: number): (a: NonNullable<Datum>, b: NonNullable<Datum>) => Datum {
  const [min, max] = type === TypeOid.INT2 ? [-32768, 32767] : [-2147483648, 2147483647];
  const check = (v: number) => {
    if (v < min || v > max) throw _overflow(type);
    return v;
  };
  switch (op) {
    case "+":
      return (a, b) => check((a as number) + (b as number));
    case "-":
      return (a, b) => check((a as number) - (b as number));
    case "*":
      return (a, b) => check((a as number) * (b as number));
    case "/":
      return (a, b) => {
        if (b === 0) throw _divZero();
        return check(Math.trunc((a as number) / (b as number)));
      };
    default:
      return (a, b) => {
        if (b === 0) throw _divZero();
        return (a as number) % (b as number) || 0;
      };
  }
}

function _int8Arith(op: string): (a: NonNullable<Datum>, b: NonNullable<Datum>) => Datum {
  const big = (v: NonNullable<Datum>) => (typeof v === "bigint" ? v : BigInt(v as number));
  const check = (v: bigint) => {
    if (v < -9223372036854775808n || v > 9223372036854775807n) throw _overflow(TypeOid.INT8);
    return v;
  };
  switch (op) {
    case "+":
      return (a, b) => check(big(a) + big(b));
    case "-":
      return (a, b) => check(big(a) - big(b));
    case "*":
      return (a, b) => check(big(a) * big(b));
    case "/":
      return (a, b) => {
        const d = big(b);
        if (d === 0n) throw _divZero();
        return check(big(a) / d);
      };
    default:
      return (a, b) => {
        const d = big(b);
        if (d === 0n) throw _divZero();
        return big(a) % d;
      };
  }
}

function _floatArith(op: string, isFloat4: boolean): (a: NonNullable<Datum>, b: NonNullable<Datum>) => Datum {
  const fin = (v: number, a: number, b: number, zeroOk: boolean) => {
    const r = isFloat4 ? Math.fround(v) : v;
    if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) {
      throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow");
    }
    if (r === 0 && !zeroOk) throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: underflow");
    return r;
  };
  switch (op) {
    case "+":
      return (a, b) => fin(toFloat(a) + toFloat(b), toFloat(a), toFloat(b), true);
    case "-":
      return (a, b) => fin(toFloat(a) - toFloat(b), toFloat(a), toFloat(b), true);
    case "*":
      return (a, b) => {
        const x = toFloat(a), y = toFloat(b);
        return fin(x * y, x, y, x === 0 || y === 0);
      };
    case "/":
      return (a, b) => {
        const x = toFloat(a), y = toFloat(b);
        if (y === 0 && !Number.isNaN(x)) throw _divZero();
        return fin(x / y, x, 1, x === 0 || !Number.isFinite(y));
      };
    default:
      return (a, b) => {
        const x = toFloat(a), y = toFloat(b);
        if (!Number.isFinite(x) && !Number.isFinite(y)) {
          throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, "invalid argument for power function");
        }
        if (x === 0 && y < 0) {
          throw new SqlError(
            SqlState.INVALID_ARGUMENT_FOR_POWER_FUNCTION,
            "zero raised to a negative power is undefined",
          );
        }
        if (x < 0 && !Number.isInteger(y)) {
          throw new SqlError(
            SqlState.INVALID_ARGUMENT_FOR_POWER_FUNCTION,
            "a negative number raised to a non-integer power yields a complex result",
          );
        }
        return fin(Math.pow(x, y), x, y, x === 0);
      };
  }
}

function _numericArith(op: string, lt: number, rt: number): (a: NonNullable<Datum>, b: NonNullable<Datum>) => Datum {
  const f = { "+": numericAdd, "-": numericSub, "*": numericMul, "/": numericDiv, "%": numericMod }[op as "+"];
  if (op === "^") return (a, b) => numericPowInt(toNumeric(a, lt), toNumeric(b, rt));
  return (a, b) => f(toNumeric(a, lt), toNumeric(b, rt));
}

// ---- comparison kernels --------------------------------------------------------

/** Total order of two non-null values of the same comparison domain, as PostgreSQL's btree support functions. */
export type Comparator = (a: NonNullable<Datum>, b: NonNullable<Datum>) => number;

function _floatCmp(a: NonNullable<Datum>, b: NonNullable<Datum>): number {
  const x = toFloat(a), y = toFloat(b);
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
  if (Number.isNaN(y)) return -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function _intCmp(a: NonNullable<Datum>, b: NonNullable<Datum>): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function _textCmp(a: NonNullable<Datum>, b: NonNullable<Datum>): number {
  // The "C" collation: code point order.
  const x = a as string, y = b as string;
  if (x === y) return 0;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const cx = x.codePointAt(i)!, cy = y.codePointAt(i)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
    if (cx > 0xffff) i++;
  }
  return x.length < y.length ? -1 : 1;
}

/**
 * Chooses how to compare two types (for comparison operators, ORDER BY,
 * CASE and IN), or undefined when PostgreSQL has no such comparison.
 *
 * @param lt left type
 * @param rt right type
 * @returns the comparator
 */
export function comparatorFor(lt: number, rt: number): Comparator | undefined {
  const rl = NUMERIC_RANK[lt] ?? (lt === TypeOid.OID ? 1 : undefined);
  const rr = NUMERIC_RANK[rt] ?? (rt === TypeOid.OID ? 1 : undefined);
  if (rl !== undefined && rr !== undefined) {
    if ((lt === TypeOid.OID) !== (rt === TypeOid.OID) && (rl > 2 || rr > 2)) return undefined;
    const top = Math.max(rl, rr);
    if (top >= 4) return _floatCmp;
    if (top === 3) return (a, b) => numericCmp(toNumeric(a, lt), toNumeric(b, rt));
    return _intCmp; // number vs bigint compares exactly in JS
  }
  if (isStringType(lt) && isStringType(rt)) return _textCmp;
  if (lt !== rt) return undefined;
  switch (lt) {
    case TypeOid.BOOL:
      return (a, b) => (a === b ? 0 : a ? 1 : -1);
    case TypeOid.TIMESTAMPTZ:
    case TypeOid.XID:
      return _intCmp;
    case TypeOid.INTERVAL:
      return (a, b) => intervalCmp(a as Interval, b as Interval);
    case TypeOid.INET:
    case TypeOid.REGTYPE:
      return _textCmp;
    default:
      return undefined;
  }
}

function _cmpOp(op: string, cmp: Comparator): (a: NonNullable<Datum>, b: NonNullable<Datum>) => Datum {
  switch (op) {
    case "=":
      return (a, b) => cmp(a, b) === 0;
    case "<>":
      return (a, b) => cmp(a, b) !== 0;
    case "<":
      return (a, b) => cmp(a, b) < 0;
    case ">":
      return (a, b) => cmp(a, b) > 0;
    case "<=":
      return (a, b) => cmp(a, b) <= 0;
    default:
      return (a, b) => cmp(a, b) >= 0;
  }
}

// ---- pattern matching ------------------------------------------------------------

const _likeCache = new Map<string, RegExp>();
const LIKE_CACHE_MAX = 256;

function _likeRegExp(pattern: string, caseless: boolean): RegExp {
  const key = (caseless ? "i" : "c") + pattern;
  let re = _likeCache.get(key);
  if (re !== undefined) return re;
  let src = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      if (i >= pattern.length) {
        throw new SqlError(SqlState.INVALID_ESCAPE_SEQUENCE, "LIKE pattern must not end with escape character");
      }
      src += pattern[i].replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (c === "%") src += "[\\s\\S]*";
    else if (c === "_") src += "[\\s\\S]";
    else src += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  re = new RegExp(`^${src}$`, caseless ? "iu" : "u");
  if (_likeCache.size >= LIKE_CACHE_MAX) _likeCache.clear();
  _likeCache.set(key, re);
  return re;
}

function _patternOp(op: string): (a: NonNullable<Datum>, b: NonNullable<Datum>) => Datum {
  const negate = op.startsWith("!");
  const caseless = op.endsWith("*");
  if (op.includes("~~")) {
    return (a, b) => _likeRegExp(b as string, caseless).test(a as string) !== negate;
  }
  return (a, b) => {
    let re: RegExp;
    try {
      re = new RegExp(b as string, caseless ? "iu" : "u");
    } catch (e) {
      throw new SqlError(SqlState.INVALID_REGULAR_EXPRESSION, `invalid regular expression: ${(e as Error).message}`);
    }
    return re.test(a as string) !== negate;
  };
}

// ---- resolution ---------------------------------------------------------------------

/** Gives an unknown-typed side (literal or parameter) the other side's type, as PostgreSQL's operator lookup. */
function _resolveUnknowns(
  op: string,
  l: ExprNode,
  r: ExprNode,
  scope: ParamScope,
  location: number,
): [ExprNode, ExprNode] {
  const lu = l.type === TypeOid.UNKNOWN, ru = r.type === TypeOid.UNKNOWN;
  if (lu && ru) {
    if (_COMPARISON.has(op) || _PATTERN.has(op) || op === "||") {
      return [
        coerceTo(l, TypeOid.TEXT, -1, false, scope, l.location),
        coerceTo(r, TypeOid.TEXT, -1, false, scope, r.location),
      ];
    }
    throw new SqlError(SqlState.AMBIGUOUS_FUNCTION, `operator is not unique: unknown ${op} unknown`, {
      hint: "Could not choose a best candidate operator. You might need to add explicit type casts.",
      position: _pos(location),
    });
  }
  if (op === "||" || _PATTERN.has(op)) {
    return [
      lu ? coerceTo(l, TypeOid.TEXT, -1, false, scope, l.location) : l,
      ru ? coerceTo(r, TypeOid.TEXT, -1, false, scope, r.location) : r,
    ];
  }
  if (lu) {
    const t = r.type === TypeOid.TIMESTAMPTZ && op === "-" ? TypeOid.INTERVAL : _unknownPartner(op, r.type);
    return [coerceTo(l, t, -1, false, scope, l.location), r];
  }
  if (ru) {
    const t = l.type === TypeOid.TIMESTAMPTZ && (op === "+" || op === "-")
      ? TypeOid.INTERVAL
      : _unknownPartner(op, l.type);
    return [l, coerceTo(r, t, -1, false, scope, r.location)];
  }
  return [l, r];
}

function _unknownPartner(op: string, other: number): number {
  if (other === TypeOid.INTERVAL && (op === "*" || op === "/")) return TypeOid.FLOAT8;
  return other;
}

/**
 * Resolves `l = r` to coerced operands and their comparator (for IS
 * DISTINCT FROM, which is not strict).
 *
 * @param left left operand
 * @param right right operand
 * @param location the operator's position
 * @param scope parameter types
 * @returns the operands and the comparator
 * @throws {SqlError} 42883 when the types cannot be compared
 */
export function resolveComparison(
  left: ExprNode,
  right: ExprNode,
  location: number,
  scope: ParamScope,
): [ExprNode, ExprNode, Comparator] {
  const [l, r] = _resolveUnknowns("=", left, right, scope, location);
  const cmp = comparatorFor(l.type, r.type);
  if (cmp === undefined) throw _noOperator("=", l, r, location);
  return [l, r, cmp];
}

/**
 * Builds a binary operator expression.
 *
 * @param op the operator as written (`!=` already `<>`)
 * @param left left operand
 * @param right right operand
 * @param location the operator's position
 * @param scope parameter types
 * @returns the typed expression
 * @throws {SqlError} 42883 when no such operator exists
 */
export function makeBinaryOp(
  op: string,
  left: ExprNode,
  right: ExprNode,
  location: number,
  scope: ParamScope,
): ExprNode {
  const [l, r] = _resolveUnknowns(op, left, right, scope, location);
  const lt = l.type, rt = r.type;
  if (_COMPARISON.has(op)) {
    const cmp = comparatorFor(lt, rt);
    if (cmp === undefined) throw _noOperator(op, l, r, location);
    return foldNode(strict2(TypeOid.BOOL, l, r, _cmpOp(op, cmp), location), [l, r], true);
  }
  if (op === "||") {
    if (!isStringType(lt) && !isStringType(rt)) throw _noOperator(op, l, r, location);
    const lo = l.type === TypeOid.TEXT ? l : coerceTo(l, TypeOid.TEXT, -1, true, scope, location);
    const ro = r.type === TypeOid.TEXT ? r : coerceTo(r, TypeOid.TEXT, -1, true, scope, location);
    return foldNode(strict2(TypeOid.TEXT, lo, ro, (a, b) => (a as string) + (b as string), location), [lo, ro], true);
  }
  if (_PATTERN.has(op)) {
    if (!isStringType(lt) || !isStringType(rt)) throw _noOperator(op, l, r, location);
    return foldNode(strict2(TypeOid.BOOL, l, r, _patternOp(op), location), [l, r], true);
  }
  // timestamptz ± interval reads the session's TimeZone (stable in PostgreSQL); every other operator is immutable.
  const zoned = (lt === TypeOid.TIMESTAMPTZ && rt === TypeOid.INTERVAL) ||
    (lt === TypeOid.INTERVAL && rt === TypeOid.TIMESTAMPTZ);
  if (_ARITH.has(op) || op === "^") return foldNode(_arith(op, l, r, location), [l, r], !zoned);
  throw _noOperator(op, l, r, location);
}

function _arith(op: string, l: ExprNode, r: ExprNode, location: number): ExprNode {
  const lt = l.type, rt = r.type;
  const rl = NUMERIC_RANK[lt], rr = NUMERIC_RANK[rt];
  if (rl !== undefined && rr !== undefined) {
    const top = Math.max(rl, rr);
    if (op === "^") {
      if (top === 3) return strict2(TypeOid.NUMERIC, l, r, _numericArith("^", lt, rt), location);
      return strict2(TypeOid.FLOAT8, l, r, _floatArith("^", false), location);
    }
    if (top <= 1) {
      const type = top === 0 ? TypeOid.INT2 : TypeOid.INT4;
      return strict2(type, l, r, _intArith(op, type), location);
    }
    if (top === 2) return strict2(TypeOid.INT8, l, r, _int8Arith(op), location);
    if (top === 3) return strict2(TypeOid.NUMERIC, l, r, _numericArith(op, lt, rt), location);
    if (op === "%") throw _noOperator(op, l, r, location);
    const f4 = lt === TypeOid.FLOAT4 && rt === TypeOid.FLOAT4;
    return strict2(f4 ? TypeOid.FLOAT4 : TypeOid.FLOAT8, l, r, _floatArith(op, f4), location);
  }
  return _dateTimeArith(op, l, r, location);
}

function _dateTimeArith(op: string, l: ExprNode, r: ExprNode, location: number): ExprNode {
  const lt = l.type, rt = r.type;
  const T = TypeOid.TIMESTAMPTZ, I = TypeOid.INTERVAL;
  if (lt === T && rt === I && (op === "+" || op === "-")) {
    return strict2(T, l, r, (a, b, ec) => {
      const iv = op === "+" ? (b as Interval) : intervalNeg(b as Interval);
      return timestamptzPlusInterval(a as bigint, iv, ec.s.io.timeZone);
    }, location);
  }
  if (lt === I && rt === T && op === "+") return _dateTimeArith("+", r, l, location);
  if (lt === T && rt === T && op === "-") {
    return strict2(I, l, r, (a, b) => timestamptzMinus(a as bigint, b as bigint), location);
  }
  if (lt === I && rt === I && (op === "+" || op === "-")) {
    return strict2(
      I,
      l,
      r,
      (a, b) => intervalAdd(a as Interval, op === "+" ? (b as Interval) : intervalNeg(b as Interval)),
      location,
    );
  }
  if (lt === I && NUMERIC_RANK[rt] !== undefined && (op === "*" || op === "/")) {
    return strict2(
      I,
      l,
      r,
      (a, b) => (op === "*" ? intervalMul(a as Interval, toFloat(b)) : intervalDiv(a as Interval, toFloat(b))),
      location,
    );
  }
  if (NUMERIC_RANK[lt] !== undefined && rt === I && op === "*") {
    return strict2(I, l, r, (a, b) => intervalMul(b as Interval, toFloat(a)), location);
  }
  throw _noOperator(op, l, r, location);
}

/**
 * Builds a prefix operator expression (`-x`, `+x`).
 *
 * @param op the operator
 * @param arg the operand
 * @param location the operator's position
 * @param scope parameter types
 * @returns the typed expression
 * @throws {SqlError} 42883 when no such operator exists
 */
export function makeUnaryOp(op: string, arg: ExprNode, location: number, scope: ParamScope): ExprNode {
  return foldNode(_unaryOp(op, arg, location, scope), [arg], true);
}

function _unaryOp(op: string, arg: ExprNode, location: number, scope: ParamScope): ExprNode {
  let a = arg;
  if (a.type === TypeOid.UNKNOWN) {
    if (a.paramNo === undefined) {
      throw new SqlError(SqlState.AMBIGUOUS_FUNCTION, `operator is not unique: ${op} unknown`, {
        hint: "Could not choose a best candidate operator. You might need to add an explicit type cast.",
        position: _pos(location),
      });
    }
    a = coerceTo(a, TypeOid.FLOAT8, -1, false, scope, location);
  }
  const t = a.type;
  if (op === "+" && (NUMERIC_RANK[t] !== undefined || t === TypeOid.INTERVAL)) return a;
  if (op === "-") {
    if (t === TypeOid.INT2 || t === TypeOid.INT4) {
      return strict1(t, a, (v) => {
        if (v === (t === TypeOid.INT2 ? -32768 : -2147483648)) throw _overflow(t);
        return -(v as number) || 0;
      }, location);
    }
    if (t === TypeOid.INT8) {
      return strict1(t, a, (v) => {
        if (v === -9223372036854775808n) throw _overflow(t);
        return -(v as bigint);
      }, location);
    }
    if (t === TypeOid.NUMERIC) return strict1(t, a, (v) => numericNeg(v as Numeric), location);
    if (t === TypeOid.FLOAT4 || t === TypeOid.FLOAT8) return strict1(t, a, (v) => -(v as number), location);
    if (t === TypeOid.INTERVAL) return strict1(t, a, (v) => intervalNeg(v as Interval), location);
  }
  throw _noOperator(op, undefined, a, location);
}
