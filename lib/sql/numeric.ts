/**
 * numeric.ts — arbitrary-precision decimal numbers with PostgreSQL's rules
 * for display scale, rounding and division scale.
 *
 * PostgreSQL counterpart: src/backend/utils/adt/numeric.c (numeric_in,
 * numeric_out, add_var, mul_var, div_var, select_div_scale, apply_typmod,
 * numeric_send/recv).
 *
 * NOTES
 * A value is an unscaled BigInt and a display scale: 12.50 is {u: 1250n,
 * scale: 2}. Arithmetic is exact except division, which rounds half away
 * from zero at the scale select_div_scale picks, and multiplication past
 * {@link NUMERIC_DSCALE_MAX} decimals, as PostgreSQL. Every result must fit
 * PostgreSQL's storage (weight, display scale: {@link numericCheckRange}),
 * else 22003. NaN and ±Infinity are kept as special values (PostgreSQL
 * 14+). Errors are `SqlError`s with PostgreSQL's wording. Digits are
 * bounded: inputs are limited to {@link NUMERIC_MAX_DIGITS} digits so a
 * hostile literal cannot make a backend compute forever.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import type { RecvBuffer } from "./recv_buffer.ts";

/** Most significant digits a numeric may have here (PostgreSQL: 131072 before the point, 16383 after). */
export const NUMERIC_MAX_DIGITS = 131072 + 16383;
/** Largest base-10000 weight of a stored numeric (NUMERIC_WEIGHT_MAX): values stay below 10^131072. */
export const NUMERIC_WEIGHT_MAX = 32767;
/** Largest display scale of a stored numeric (NUMERIC_DSCALE_MAX). */
export const NUMERIC_DSCALE_MAX = 0x3fff;
/** Largest display scale (NUMERIC_MAX_DISPLAY_SCALE). */
export const NUMERIC_MAX_DISPLAY_SCALE = 1000;
/** Minimum significant digits of a quotient (NUMERIC_MIN_SIG_DIGITS). */
export const NUMERIC_MIN_SIG_DIGITS = 16;

/** A decimal number, or one of the special values. */
export class Numeric {
  /** Unscaled value (value = u / 10^scale); 0n for specials. */
  readonly u: bigint;
  /** Display scale: digits after the point. */
  readonly scale: number;
  /** "nan", "inf", "-inf" for specials, undefined for finite values. */
  readonly special?: "nan" | "inf" | "-inf";

  /**
   * @param u unscaled value
   * @param scale display scale (>= 0)
   * @param special NaN or an infinity
   */
  constructor(u: bigint, scale: number, special?: "nan" | "inf" | "-inf") {
    this.u = u;
    this.scale = scale;
    this.special = special;
  }

  /** @returns the text form, as numeric_out */
  toString(): string {
    if (this.special === "nan") return "NaN";
    if (this.special === "inf") return "Infinity";
    if (this.special === "-inf") return "-Infinity";
    const neg = this.u < 0n;
    let digits = (neg ? -this.u : this.u).toString();
    if (this.scale === 0) return (neg ? "-" : "") + digits;
    if (digits.length <= this.scale) digits = "0".repeat(this.scale - digits.length + 1) + digits;
    const cut = digits.length - this.scale;
    return `${neg ? "-" : ""}${digits.slice(0, cut)}.${digits.slice(cut)}`;
  }

  /** @returns the nearest double (as numeric_float8) */
  toNumber(): number {
    if (this.special === "nan") return NaN;
    if (this.special === "inf") return Infinity;
    if (this.special === "-inf") return -Infinity;
    return Number(this.toString());
  }
}

const _POW10: bigint[] = [];
function _pow10(n: number): bigint {
  if (n < 64) {
    for (let i = _POW10.length; i <= n; i++) _POW10.push(i === 0 ? 1n : _POW10[i - 1] * 10n);
    return _POW10[n];
  }
  return 10n ** BigInt(n);
}

function _badInput(text: string): SqlError {
  return new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type numeric: "${text}"`);
}

/**
 * Parses numeric input as numeric_in: optional sign, digits with an optional
 * point, optional exponent; NaN, Infinity; surrounding whitespace.
 *
 * @param text the input
 * @returns the value
 * @throws {SqlError} 22P02 on bad syntax, 22003 when too large
 */
export function numericIn(text: string): Numeric {
  const t = text.trim();
  const low = t.toLowerCase();
  if (low === "nan") return new Numeric(0n, 0, "nan");
  if (low === "infinity" || low === "+infinity" || low === "inf" || low === "+inf") return new Numeric(0n, 0, "inf");
  if (low === "-infinity" || low === "-inf") return new Numeric(0n, 0, "-inf");
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (m === null || (m[2] === "" && (m[3] ?? "") === "")) throw _badInput(text);
  const intPart = m[2];
  const frac = m[3] ?? "";
  if (intPart.length + frac.length > NUMERIC_MAX_DIGITS) throw _overflowInput();
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  // set_var_from_str: an exponent of INT_MAX/2 or more is out of range before anything else.
  if (!Number.isSafeInteger(exp) || Math.abs(exp) >= 1073741823) throw _overflowInput();
  const digits = intPart + frac;
  let u = BigInt(digits || "0");
  const shift = frac.length - exp; // value = u * 10^-shift
  const scale = Math.max(0, shift);
  // make_result's range check, done before any power of ten is built.
  if (scale > NUMERIC_DSCALE_MAX) throw _overflowInput();
  if (u !== 0n) {
    const significant = digits.length - (/^0*/.exec(digits)![0].length);
    if (Math.floor((significant - 1 - shift) / 4) > NUMERIC_WEIGHT_MAX) throw _overflowInput();
    if (shift < 0) u *= _pow10(-shift);
  }
  return new Numeric(m[1] === "-" ? -u : u, scale);
}

const _RANGE_FAST = 10n ** 64n;

/**
 * make_result's check that a value fits numeric's storage: weight at most
 * {@link NUMERIC_WEIGHT_MAX}, display scale at most {@link NUMERIC_DSCALE_MAX}.
 *
 * @param a the value
 * @returns a
 * @throws {SqlError} 22003 `value overflows numeric format`
 */
export function numericCheckRange(a: Numeric): Numeric {
  if (a.special !== undefined) return a;
  if (a.scale > NUMERIC_DSCALE_MAX) throw _overflowInput();
  if (a.u > -_RANGE_FAST && a.u < _RANGE_FAST) return a;
  const abs = a.u < 0n ? -a.u : a.u;
  if (Math.floor((abs.toString().length - 1 - a.scale) / 4) > NUMERIC_WEIGHT_MAX) throw _overflowInput();
  return a;
}

function _overflowInput(): SqlError {
  return new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format");
}

/** @returns a numeric from a safe integer or bigint */
export function numericFromInt(v: number | bigint): Numeric {
  return new Numeric(BigInt(v), 0);
}

/**
 * Converts a double as float8_numeric: 15 significant digits (`%.15g`).
 *
 * @param v the double
 * @returns the numeric
 */
export function numericFromFloat(v: number): Numeric {
  if (Number.isNaN(v)) return new Numeric(0n, 0, "nan");
  if (v === Infinity) return new Numeric(0n, 0, "inf");
  if (v === -Infinity) return new Numeric(0n, 0, "-inf");
  return numericIn(formatG(v, 15));
}

/**
 * Formats a double as C's `%.<precision>g` (used for float output with
 * extra_float_digits <= 0 and for float-to-numeric casts).
 *
 * @param v the double (finite)
 * @param precision significant digits
 * @returns the text
 */
export function formatG(v: number, precision: number): string {
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const e = v.toExponential(precision - 1); // d.ddde±x
  const [mant, expText] = e.split("e");
  const x = Number(expText);
  if (x < -4 || x >= precision) {
    const m = mant.includes(".") ? mant.replace(/0+$/, "").replace(/\.$/, "") : mant;
    return `${m}e${x < 0 ? "-" : "+"}${String(Math.abs(x)).padStart(2, "0")}`;
  }
  const fixed = v.toFixed(Math.max(0, precision - 1 - x));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

/** @returns -1, 0 or 1 (NaN sorts above everything, as PostgreSQL) */
export function numericCmp(a: Numeric, b: Numeric): number {
  const ra = _specialRank(a);
  const rb = _specialRank(b);
  if (ra !== 0 || rb !== 0) return ra === rb ? 0 : ra < rb ? -1 : 1;
  const [x, y] = _align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function _specialRank(a: Numeric): number {
  return a.special === "nan" ? 3 : a.special === "inf" ? 2 : a.special === "-inf" ? -2 : 0;
}

function _align(a: Numeric, b: Numeric): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.u, b.u, a.scale];
  if (a.scale < b.scale) return [a.u * _pow10(b.scale - a.scale), b.u, b.scale];
  return [a.u, b.u * _pow10(a.scale - b.scale), a.scale];
}

const _NAN = new Numeric(0n, 0, "nan");

function _infSign(a: Numeric): number {
  return a.special === "inf" ? 1 : a.special === "-inf" ? -1 : 0;
}

function _sign(a: Numeric): number {
  if (a.special !== undefined) return _infSign(a);
  return a.u < 0n ? -1 : a.u > 0n ? 1 : 0;
}

function _inf(sign: number): Numeric {
  return new Numeric(0n, 0, sign > 0 ? "inf" : "-inf");
}

/** @returns a + b */
export function numericAdd(a: Numeric, b: Numeric): Numeric {
  if (a.special !== undefined || b.special !== undefined) {
    if (a.special === "nan" || b.special === "nan") return _NAN;
    const sa = _infSign(a);
    const sb = _infSign(b);
    if (sa !== 0 && sb !== 0 && sa !== sb) return _NAN;
    return _inf(sa !== 0 ? sa : sb);
  }
  const [x, y, s] = _align(a, b);
  return numericCheckRange(new Numeric(x + y, s));
}

/** @returns -a */
export function numericNeg(a: Numeric): Numeric {
  if (a.special === "nan") return a;
  if (a.special !== undefined) return _inf(-_infSign(a));
  return new Numeric(-a.u, a.scale);
}

/** @returns a - b */
export function numericSub(a: Numeric, b: Numeric): Numeric {
  return numericAdd(a, numericNeg(b));
}

/** @returns a * b (scale: the sum of the scales, rounded to at most NUMERIC_DSCALE_MAX as numeric_mul) */
export function numericMul(a: Numeric, b: Numeric): Numeric {
  if (a.special !== undefined || b.special !== undefined) {
    if (a.special === "nan" || b.special === "nan") return _NAN;
    const s = _sign(a) * _sign(b);
    return s === 0 ? _NAN : _inf(s);
  }
  const scale = a.scale + b.scale;
  const r = new Numeric(a.u * b.u, scale);
  return numericCheckRange(scale > NUMERIC_DSCALE_MAX ? numericRound(r, NUMERIC_DSCALE_MAX) : r);
}

function _divByZero(): SqlError {
  return new SqlError(SqlState.DIVISION_BY_ZERO, "division by zero");
}

/** Base-10000 weight and first digit of a nonzero finite value (as numeric.c's NumericVar). */
function _weightAndFirstDigit(a: Numeric): [number, number] {
  const abs = a.u < 0n ? -a.u : a.u;
  if (abs === 0n) return [0, 0];
  const e10 = abs.toString().length - 1 - a.scale; // exponent of the leading decimal digit
  const weight = Math.floor(e10 / 4);
  const shift = a.scale + 4 * weight;
  const first = shift >= 0 ? abs / _pow10(shift) : abs * _pow10(-shift);
  return [weight, Number(first % 10000n)];
}

/** The result scale of a / b (select_div_scale). */
export function numericDivScale(a: Numeric, b: Numeric): number {
  const [w1, f1] = _weightAndFirstDigit(a);
  const [w2, f2] = _weightAndFirstDigit(b);
  let qweight = w1 - w2;
  if (f1 <= f2) qweight--;
  let rscale = NUMERIC_MIN_SIG_DIGITS - qweight * 4;
  rscale = Math.max(rscale, a.scale, b.scale, 0);
  return Math.min(rscale, NUMERIC_MAX_DISPLAY_SCALE);
}

/** @returns round(x / y) half away from zero */
function _divRound(x: bigint, y: bigint): bigint {
  let q = x / y;
  const r = x % y;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= (y < 0n ? -y : y)) q += (x < 0n) !== (y < 0n) ? -1n : 1n;
  return q;
}

/** @returns a / b at PostgreSQL's result scale */
export function numericDiv(a: Numeric, b: Numeric): Numeric {
  if (a.special !== undefined || b.special !== undefined) {
    if (a.special === "nan" || b.special === "nan") return _NAN;
    if (a.special !== undefined) {
      if (b.special !== undefined) return _NAN;
      if (b.u === 0n) throw _divByZero();
      return _inf(_infSign(a) * _sign(b));
    }
    return new Numeric(0n, 0);
  }
  if (b.u === 0n) throw _divByZero();
  const rscale = numericDivScale(a, b);
  const num = a.u * _pow10(b.scale + rscale);
  const den = b.u * _pow10(a.scale);
  return numericCheckRange(new Numeric(_divRound(num, den), rscale));
}

/** @returns a % b (truncating; scale is the larger input scale) */
export function numericMod(a: Numeric, b: Numeric): Numeric {
  if (a.special !== undefined || b.special !== undefined) {
    if (a.special === "nan" || b.special === "nan") return _NAN;
    if (a.special !== undefined) {
      if (b.special === undefined && b.u === 0n) throw _divByZero();
      return _NAN;
    }
    return a;
  }
  if (b.u === 0n) throw _divByZero();
  const [x, y, s] = _align(a, b);
  return new Numeric(x % y, s);
}

/**
 * Rounds to a scale, half away from zero (numeric_round / apply_typmod).
 *
 * @param a the value
 * @param scale digits after the point (>= 0)
 * @returns the rounded value with exactly that display scale
 */
export function numericRound(a: Numeric, scale: number): Numeric {
  if (a.special !== undefined) return a;
  if (scale >= a.scale) return new Numeric(a.u * _pow10(scale - a.scale), scale);
  return new Numeric(_divRound(a.u, _pow10(a.scale - scale)), scale);
}

/**
 * Applies a `numeric(precision, scale)` type modifier, as apply_typmod.
 *
 * @param a the value
 * @param typmod PostgreSQL's packed typmod ((precision << 16 | scale) + 4), or -1
 * @returns the rounded value
 * @throws {SqlError} 22003 numeric field overflow
 */
export function numericApplyTypmod(a: Numeric, typmod: number): Numeric {
  if (typmod < 4) return a;
  const precision = ((typmod - 4) >> 16) & 0xffff;
  const scale = (typmod - 4) & 0xffff;
  if (a.special === "inf" || a.special === "-inf") {
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow", {
      detail: `A field with precision ${precision}, scale ${scale} cannot hold an infinite value.`,
    });
  }
  if (a.special !== undefined) return a;
  const r = numericRound(a, scale);
  const maxDigits = precision - scale;
  const abs = r.u < 0n ? -r.u : r.u;
  if (abs !== 0n && abs >= _pow10(maxDigits + scale)) {
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow", {
      detail: `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${
        maxDigits > 0 ? `10^${maxDigits}` : "1"
      }.`,
    });
  }
  return r;
}

/**
 * Rounds to an integer half away from zero, for casts to integer types.
 *
 * @param a the value
 * @returns the integer, or undefined for NaN/Infinity
 */
export function numericToBigInt(a: Numeric): bigint | undefined {
  if (a.special !== undefined) return undefined;
  return numericRound(a, 0).u;
}

/** @returns the base-10000 wire form (numeric_send) */
export function numericSend(a: Numeric): Uint8Array {
  const NUMERIC_POS = 0x0000, NUMERIC_NEG = 0x4000, NUMERIC_NAN = 0xc000, NUMERIC_PINF = 0xd000, NUMERIC_NINF = 0xf000;
  let sign = NUMERIC_POS;
  let digits: number[] = [];
  let weight = 0;
  if (a.special !== undefined) {
    sign = a.special === "nan" ? NUMERIC_NAN : a.special === "inf" ? NUMERIC_PINF : NUMERIC_NINF;
  } else {
    if (a.u < 0n) sign = NUMERIC_NEG;
    const abs = a.u < 0n ? -a.u : a.u;
    // Align to base-10000 groups: pad the fraction to a multiple of 4 digits.
    const fracPad = (4 - (a.scale % 4)) % 4;
    const s = (abs * _pow10(fracPad)).toString();
    const fracGroups = (a.scale + fracPad) / 4;
    const padded = "0".repeat((4 - (s.length % 4)) % 4) + s;
    for (let i = 0; i < padded.length; i += 4) digits.push(Number(padded.slice(i, i + 4)));
    weight = digits.length - fracGroups - 1;
    while (digits.length > 0 && digits[0] === 0) {
      digits.shift();
      weight--;
    }
    while (digits.length > 0 && digits[digits.length - 1] === 0) digits.pop();
    if (digits.length === 0) weight = 0;
  }
  const out = new Uint8Array(8 + 2 * digits.length);
  const dv = new DataView(out.buffer);
  dv.setInt16(0, digits.length);
  dv.setInt16(2, weight);
  dv.setUint16(4, sign);
  dv.setInt16(6, a.scale);
  digits.forEach((d, i) => dv.setInt16(8 + 2 * i, d));
  digits = [];
  return out;
}

/**
 * Reads the base-10000 wire form (numeric_recv): digit count, weight,
 * sign, display scale, digits; digits the scale hides are truncated.
 *
 * @param b the value's bytes
 * @returns the value
 * @throws {SqlError} 08P01 when short; 22P03 on a bad sign, scale or digit; 22003 out of numeric's range
 */
export function numericRecv(b: RecvBuffer): Numeric {
  const bad = (m: string) => new SqlError(SqlState.INVALID_BINARY_REPRESENTATION, m);
  const n = b.uint16();
  const weight = b.int16();
  const sign = b.uint16();
  if (sign !== 0 && sign !== 0x4000 && sign !== 0xc000 && sign !== 0xd000 && sign !== 0xf000) {
    throw bad('invalid sign in external "numeric" value');
  }
  const dscale = b.uint16();
  if ((dscale & 0x3fff) !== dscale) throw bad('invalid scale in external "numeric" value');
  const groups: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const d = b.int16();
    if (d < 0 || d >= 10000) throw bad('invalid digit in external "numeric" value');
    groups[i] = String(d).padStart(4, "0");
  }
  const u = n === 0 ? 0n : BigInt(groups.join(""));
  if (sign === 0xc000) return _NAN;
  if (sign === 0xd000) return _inf(1);
  if (sign === 0xf000) return _inf(-1);
  // u is in units of 10000^(weight - n + 1); convert to 10^-dscale, truncating (trunc_var).
  const exp10 = 4 * (weight - n + 1) + dscale;
  const v = exp10 >= 0 ? u * _pow10(exp10) : u / _pow10(-exp10);
  return numericCheckRange(new Numeric(sign === 0x4000 ? -v : v, dscale));
}

/**
 * Raises to an integral power as power_var_int, at PostgreSQL's result
 * scale for integral exponents: max(16, base scale).
 *
 * @param base the base
 * @param exp the exponent (must be integral)
 * @returns base ^ exp
 * @throws {SqlError} 0A000 for a fractional exponent, 2201F for 0 ^ negative, 22003 when too large
 */
export function numericPowInt(base: Numeric, exp: Numeric): Numeric {
  if (base.special === "nan" || exp.special === "nan") {
    if (exp.special === undefined && exp.u === 0n) return new Numeric(1n, 0);
    if (base.special === undefined && base.u === _pow10(base.scale)) return new Numeric(1n, 0);
    return _NAN;
  }
  if (base.special !== undefined || exp.special !== undefined) {
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "infinite numeric powers are not supported");
  }
  const e = numericRound(exp, 0);
  if (numericCmp(e, exp) !== 0) {
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "numeric powers with a fractional exponent are not supported");
  }
  const n = e.u;
  if (base.u === 0n && n < 0n) {
    throw new SqlError(SqlState.INVALID_ARGUMENT_FOR_POWER_FUNCTION, "zero raised to a negative power is undefined");
  }
  const rscale = Math.min(Math.max(NUMERIC_MIN_SIG_DIGITS, base.scale), NUMERIC_MAX_DISPLAY_SCALE);
  const absN = n < 0n ? -n : n;
  const digits = (base.u < 0n ? -base.u : base.u).toString().length;
  if (absN > 1000000n || BigInt(digits) * absN > 200000n) {
    if ((base.u < 0n ? -base.u : base.u) !== _pow10(base.scale)) throw _overflowInput();
  }
  const pw = base.u ** absN;
  const pscale = base.scale * Number(absN);
  if (n >= 0n) return numericRound(new Numeric(pw, pscale), rscale);
  if (pw === 0n) throw _divByZero();
  // 1 / (pw / 10^pscale) = 10^pscale / pw, rounded to rscale.
  return new Numeric(_divRound(_pow10(pscale + rscale), pw), rscale);
}
