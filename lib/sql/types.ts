/**
 * types.ts — the data types denogres implements: oids, names, text and
 * binary I/O, and casts between them.
 *
 * PostgreSQL counterpart: src/include/catalog/pg_type.dat (oids, typlen),
 * format_type() in src/backend/utils/adt/format_type.c, the *in/*out/
 * *recv/*send functions in src/backend/utils/adt/ (bool.c, int.c, int8.c,
 * float.c, numeric.c, varchar.c, name.c, oid.c, timestamp.c), and the cast
 * table pg_cast.dat.
 *
 * NOTES
 * A datum is a plain JS value: boolean (bool), number (int2, int4, oid,
 * xid, float4, float8), bigint (int8, timestamptz), string (text, varchar,
 * name, unknown, inet, regtype), {@link Numeric}, {@link Interval}; SQL NULL
 * is `null`. Types not in this table are refused by name with 0A000 when
 * PostgreSQL has them and 42704 otherwise. Errors are `SqlError`s with
 * PostgreSQL's wording.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { parseBool } from "../config/mod.ts";
import type { RecvBuffer } from "./recv_buffer.ts";
import {
  type Interval,
  intervalIn,
  intervalOut,
  intervalRecv,
  intervalSend,
  type Timestamptz,
  timestamptzIn,
  timestamptzOut,
  timestamptzRecv,
} from "./datetime.ts";
import {
  formatG,
  Numeric,
  numericApplyTypmod,
  numericFromFloat,
  numericFromInt,
  numericIn,
  numericRecv,
  numericSend,
  numericToBigInt,
} from "./numeric.ts";

/** A value of one of the implemented types; `null` is SQL NULL. */
export type Datum = boolean | number | bigint | string | Numeric | Interval | null;

/** Type oids (pg_type.dat). */
export const TypeOid = {
  BOOL: 16,
  NAME: 19,
  INT8: 20,
  INT2: 21,
  INT4: 23,
  TEXT: 25,
  OID: 26,
  XID: 28,
  FLOAT4: 700,
  FLOAT8: 701,
  UNKNOWN: 705,
  INET: 869,
  VARCHAR: 1043,
  TIMESTAMPTZ: 1184,
  INTERVAL: 1186,
  NUMERIC: 1700,
  REGTYPE: 2206,
  VOID: 2278,
} as const;

/** What type I/O needs from the session. */
export interface TypeIoContext {
  /** TimeZone setting. */
  readonly timeZone: string;
  /** extra_float_digits setting. */
  readonly extraFloatDigits: number;
  /** Transaction start, for `now` in timestamp input. */
  readonly nowTs: Timestamptz;
}

/** One implemented type. */
export interface SqlType {
  readonly oid: number;
  /** pg_type.typname, e.g. `int4`. */
  readonly name: string;
  /** format_type() output, e.g. `integer`. */
  readonly display: string;
  /** typlen: bytes, or -1 (varlena), -2 (cstring). */
  readonly len: number;
  /** typcategory: N numeric, S string, B boolean, D date/time, T timespan, U user/other, X unknown, P pseudo. */
  readonly category: string;
  /** Text input (the type's *in function). */
  readonly input: (text: string, typmod: number, ctx: TypeIoContext) => Datum;
  /** Text output (*out). */
  readonly output: (v: NonNullable<Datum>, ctx: TypeIoContext) => string;
  /**
   * Binary input (*recv): reads what it needs from the buffer (past its end: 08P01); the caller refuses bytes left
   * unread.
   */
  readonly recv: (b: RecvBuffer, typmod: number) => Datum;
  /** Binary output (*send). */
  readonly send: (v: NonNullable<Datum>) => Uint8Array;
}

const _enc = new TextEncoder();
const _dec = new TextDecoder("utf-8", { fatal: true });

function _badInput(display: string, text: string): SqlError {
  return new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type ${display}: "${text}"`);
}

function _intIn(display: string, min: number, max: number) {
  return (text: string): number => {
    const t = text.trim();
    if (!/^[+-]?\d+$/.test(t)) throw _badInput(display, text);
    const n = Number(t);
    if (n < min || n > max) {
      throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `value "${text}" is out of range for type ${display}`);
    }
    return n;
  };
}

function _fixed(n: number, write: (dv: DataView) => void): Uint8Array {
  const out = new Uint8Array(n);
  write(new DataView(out.buffer));
  return out;
}

/** Formats a double as float8out/float4out with extra_float_digits. */
export function floatOut(v: number, extraFloatDigits: number, isFloat4: boolean): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (extraFloatDigits <= 0) return formatG(v, (isFloat4 ? 6 : 15) + extraFloatDigits);
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  // Shortest digits that read back as the same value.
  let e: string;
  if (isFloat4) {
    e = v.toExponential(0);
    for (let p = 1; p <= 9; p++) {
      e = v.toExponential(p - 1);
      if (Math.fround(Number(e)) === v) break;
    }
  } else {
    e = v.toExponential();
  }
  const [mant, expText] = e.split("e");
  const x = Number(expText);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "").replace(/0+$/, "") || "0";
  const sign = neg ? "-" : "";
  if (x < -4 || x >= (isFloat4 ? 6 : 15)) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${x < 0 ? "-" : "+"}${String(Math.abs(x)).padStart(2, "0")}`;
  }
  if (x < 0) return `${sign}0.${"0".repeat(-x - 1)}${digits}`;
  if (digits.length <= x + 1) return sign + digits + "0".repeat(x + 1 - digits.length);
  return `${sign}${digits.slice(0, x + 1)}.${digits.slice(x + 1)}`;
}

function _floatIn(display: string, isFloat4: boolean) {
  return (text: string): number => {
    const t = text.trim();
    const low = t.toLowerCase();
    let v: number;
    if (low === "nan") v = NaN;
    else if (low === "infinity" || low === "+infinity" || low === "inf" || low === "+inf") v = Infinity;
    else if (low === "-infinity" || low === "-inf") v = -Infinity;
    else {
      if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(t)) throw _badInput(display, text);
      v = Number(t);
      const r = isFloat4 ? Math.fround(v) : v;
      if (!Number.isFinite(r) || (r === 0 && /[1-9]/.test(t.replace(/e.*$/i, "")))) {
        throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `"${text}" is out of range for type ${display}`);
      }
      v = r;
    }
    return v;
  };
}

/** float8in and float4in (numeric_float8/numeric_float4 convert through them, out-of-range message included). */
const _FLOAT8_IN = _floatIn("double precision", false);
const _FLOAT4_IN = _floatIn("real", true);

/** textrecv: the rest of the value, verified UTF-8. */
function _textRecv(b: RecvBuffer): string {
  return b.text();
}

/** namerecv: unlike namein, a name that does not fit is refused, not truncated. */
function _nameRecv(b: RecvBuffer): string {
  const s = b.text();
  if (_enc.encode(s).length >= 64) {
    throw new SqlError(SqlState.NAME_TOO_LONG, "identifier too long", {
      detail: "Identifier must be less than 64 characters.",
    });
  }
  return s;
}

const _textSend = (v: NonNullable<Datum>) => _enc.encode(v as string);

/** Applies varchar(n) to a value: explicit casts truncate, as PostgreSQL's varchar(). */
export function varcharApplyTypmod(s: string, typmod: number, explicit: boolean): string {
  if (typmod < 4) return s;
  const max = typmod - 4;
  const chars = [...s];
  if (chars.length <= max) return s;
  if (!explicit && chars.slice(max).some((c) => c !== " ")) {
    throw new SqlError(SqlState.STRING_DATA_RIGHT_TRUNCATION, `value too long for type character varying(${max})`);
  }
  return chars.slice(0, max).join("");
}

/** Truncates to NAMEDATALEN-1 bytes on a character boundary, as namein. */
function _nameIn(s: string): string {
  const b = _enc.encode(s);
  if (b.length < 64) return s;
  let n = 63;
  while (n > 0 && (b[n] & 0xc0) === 0x80) n--;
  return _dec.decode(b.subarray(0, n));
}

const _text: Omit<SqlType, "oid" | "name" | "display"> = {
  len: -1,
  category: "S",
  input: (t) => t,
  output: (v) => v as string,
  recv: _textRecv,
  send: _textSend,
};

const _TYPES: SqlType[] = [
  {
    oid: TypeOid.BOOL,
    name: "bool",
    display: "boolean",
    len: 1,
    category: "B",
    input: (t) => {
      const b = parseBool(t);
      if (b === undefined) throw _badInput("boolean", t);
      return b;
    },
    output: (v) => (v ? "t" : "f"),
    recv: (b) => b.byte() !== 0,
    send: (v) => new Uint8Array([v ? 1 : 0]),
  },
  {
    oid: TypeOid.INT2,
    name: "int2",
    display: "smallint",
    len: 2,
    category: "N",
    input: _intIn("smallint", -32768, 32767),
    output: (v) => String(v),
    recv: (b) => b.int16(),
    send: (v) => _fixed(2, (dv) => dv.setInt16(0, v as number)),
  },
  {
    oid: TypeOid.INT4,
    name: "int4",
    display: "integer",
    len: 4,
    category: "N",
    input: _intIn("integer", -2147483648, 2147483647),
    output: (v) => String(v),
    recv: (b) => b.int32(),
    send: (v) => _fixed(4, (dv) => dv.setInt32(0, v as number)),
  },
  {
    oid: TypeOid.INT8,
    name: "int8",
    display: "bigint",
    len: 8,
    category: "N",
    input: (text) => {
      const t = text.trim();
      if (!/^[+-]?\d+$/.test(t)) throw _badInput("bigint", text);
      const n = BigInt(t);
      if (n < -9223372036854775808n || n > 9223372036854775807n) {
        throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `value "${text}" is out of range for type bigint`);
      }
      return n;
    },
    output: (v) => String(v),
    recv: (b) => b.int64(),
    send: (v) => _fixed(8, (dv) => dv.setBigInt64(0, v as bigint)),
  },
  {
    oid: TypeOid.FLOAT4,
    name: "float4",
    display: "real",
    len: 4,
    category: "N",
    input: _FLOAT4_IN,
    output: (v, ctx) => floatOut(v as number, ctx.extraFloatDigits, true),
    recv: (b) => b.float32(),
    send: (v) => _fixed(4, (dv) => dv.setFloat32(0, v as number)),
  },
  {
    oid: TypeOid.FLOAT8,
    name: "float8",
    display: "double precision",
    len: 8,
    category: "N",
    input: _FLOAT8_IN,
    output: (v, ctx) => floatOut(v as number, ctx.extraFloatDigits, false),
    recv: (b) => b.float64(),
    send: (v) => _fixed(8, (dv) => dv.setFloat64(0, v as number)),
  },
  {
    oid: TypeOid.NUMERIC,
    name: "numeric",
    display: "numeric",
    len: -1,
    category: "N",
    input: (t, typmod) => numericApplyTypmod(numericIn(t), typmod),
    output: (v) => (v as Numeric).toString(),
    recv: (b, typmod) => numericApplyTypmod(numericRecv(b), typmod),
    send: (v) => numericSend(v as Numeric),
  },
  { oid: TypeOid.TEXT, name: "text", display: "text", ..._text },
  {
    oid: TypeOid.VARCHAR,
    name: "varchar",
    display: "character varying",
    ..._text,
    input: (t, typmod) => varcharApplyTypmod(t, typmod, false),
    recv: (b, typmod) => varcharApplyTypmod(_textRecv(b), typmod, false),
  },
  {
    oid: TypeOid.NAME,
    name: "name",
    display: "name",
    ..._text,
    len: 64,
    input: (t) => _nameIn(t),
    recv: _nameRecv,
  },
  {
    oid: TypeOid.UNKNOWN,
    name: "unknown",
    display: "unknown",
    ..._text,
    len: -2,
    category: "X",
  },
  {
    oid: TypeOid.OID,
    name: "oid",
    display: "oid",
    len: 4,
    category: "N",
    input: (text) => {
      const t = text.trim();
      if (!/^[+-]?\d+$/.test(t)) throw _badInput("oid", text);
      const n = Number(t);
      if (n < -2147483648 || n > 4294967295) {
        throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `value "${text}" is out of range for type oid`);
      }
      return n < 0 ? n + 4294967296 : n;
    },
    output: (v) => String(v),
    recv: (b) => b.uint32(),
    send: (v) => _fixed(4, (dv) => dv.setUint32(0, v as number)),
  },
  {
    oid: TypeOid.XID,
    name: "xid",
    display: "xid",
    len: 4,
    category: "U",
    input: (text) => {
      const n = Number(text.trim());
      if (!Number.isInteger(n) || n < 0 || n > 4294967295) throw _badInput("xid", text);
      return n;
    },
    output: (v) => String(v),
    recv: (b) => b.uint32(),
    send: (v) => _fixed(4, (dv) => dv.setUint32(0, v as number)),
  },
  {
    oid: TypeOid.TIMESTAMPTZ,
    name: "timestamptz",
    display: "timestamp with time zone",
    len: 8,
    category: "D",
    input: (t, _typmod, ctx) => timestamptzIn(t, ctx.timeZone, ctx.nowTs),
    output: (v, ctx) => timestamptzOut(v as bigint, ctx.timeZone),
    recv: (b) => timestamptzRecv(b.int64()),
    send: (v) => _fixed(8, (dv) => dv.setBigInt64(0, v as bigint)),
  },
  {
    oid: TypeOid.INTERVAL,
    name: "interval",
    display: "interval",
    len: 16,
    category: "T",
    input: (t) => intervalIn(t),
    output: (v) => intervalOut(v as Interval),
    recv: (b) => intervalRecv(b),
    send: (v) => intervalSend(v as Interval),
  },
  {
    oid: TypeOid.INET,
    name: "inet",
    display: "inet",
    len: -1,
    category: "I",
    input: (text) => {
      const t = text.trim();
      if (!/^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9a-f:]+(\/\d{1,3})?)$/i.test(t)) throw _badInput("inet", text);
      return t;
    },
    output: (v) => v as string,
    recv: () => {
      throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "binary input of type inet is not supported");
    },
    send: (v) => _inetSend(v as string),
  },
  {
    oid: TypeOid.REGTYPE,
    name: "regtype",
    display: "regtype",
    len: 4,
    category: "N",
    input: (t) => {
      const found = findTypeByName(t.trim().toLowerCase());
      if (found === undefined) throw new SqlError(SqlState.UNDEFINED_OBJECT, `type "${t}" does not exist`);
      return found.display;
    },
    output: (v) => v as string,
    recv: (b) => typeByOid(b.uint32())?.display ?? "-",
    send: (v) => _fixed(4, (dv) => dv.setUint32(0, findTypeByName(v as string)?.oid ?? 0)),
  },
  {
    oid: TypeOid.VOID,
    name: "void",
    display: "void",
    len: 4,
    category: "P",
    input: () => "",
    output: () => "",
    recv: () => "",
    send: () => new Uint8Array(0),
  },
];

function _inetSend(v: string): Uint8Array {
  const [addr, bitsText] = v.split("/");
  const parts = addr.split(".").map(Number);
  if (parts.length !== 4) {
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "binary output of IPv6 inet values is not supported");
  }
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  return new Uint8Array([2, bits, 0, 4, ...parts]);
}

const _byOid = new Map<number, SqlType>(_TYPES.map((t) => [t.oid, t]));
const _byName = new Map<string, SqlType>(_TYPES.map((t) => [t.name, t]));
for (
  const [alias, name] of [
    ["int", "int4"],
    ["integer", "int4"],
    ["smallint", "int2"],
    ["bigint", "int8"],
    ["real", "float4"],
    ["double precision", "float8"],
    ["float", "float8"],
    ["boolean", "bool"],
    ["decimal", "numeric"],
    ["character varying", "varchar"],
    ["timestamp with time zone", "timestamptz"],
  ] as const
) _byName.set(alias, _byName.get(name)!);

/** Types PostgreSQL 15 has that denogres does not implement yet (named in the 0A000 message). */
const _KNOWN_UNSUPPORTED = new Set([
  "bpchar",
  "char",
  "character",
  "date",
  "time",
  "timetz",
  "timestamp",
  "bytea",
  "json",
  "jsonb",
  "uuid",
  "money",
  "point",
  "line",
  "lseg",
  "box",
  "path",
  "polygon",
  "circle",
  "cidr",
  "macaddr",
  "macaddr8",
  "bit",
  "varbit",
  "tsvector",
  "tsquery",
  "xml",
  "regclass",
  "regproc",
  "regprocedure",
  "regoper",
  "regoperator",
  "regnamespace",
  "regrole",
  "regconfig",
  "regdictionary",
  "cid",
  "tid",
  "xid8",
  "pg_lsn",
  "int4range",
  "int8range",
  "numrange",
  "tsrange",
  "tstzrange",
  "daterange",
  "record",
  "anyelement",
  "anyarray",
  "cstring",
  "refcursor",
  "txid_snapshot",
  "pg_snapshot",
]);

/** @returns the type with that oid, if implemented */
export function typeByOid(oid: number): SqlType | undefined {
  return _byOid.get(oid);
}

/** @returns the type with that name (typname or a SQL alias), if implemented */
export function findTypeByName(name: string): SqlType | undefined {
  return _byName.get(name);
}

/**
 * Resolves a type name as written, distinguishing types PostgreSQL has but
 * denogres does not (0A000) from names that are no type at all (42704).
 *
 * @param name lower-case type name (without schema)
 * @param position 1-based position for the error
 * @returns the type
 * @throws {SqlError} 0A000 or 42704
 */
export function lookupTypeName(name: string, position?: number): SqlType {
  const t = _byName.get(name);
  if (t !== undefined) return t;
  if (_KNOWN_UNSUPPORTED.has(name)) {
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `type ${name} is not supported`, { position });
  }
  throw new SqlError(SqlState.UNDEFINED_OBJECT, `type "${name}" does not exist`, { position });
}

/** @returns the implemented type with that oid, or throws 0A000 naming the oid */
export function requireTypeOid(oid: number): SqlType {
  const t = _byOid.get(oid);
  if (t === undefined) throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `data type with oid ${oid} is not supported`);
  return t;
}

/** Numeric-category types in PostgreSQL's implicit-cast order (int2 < int4 < int8 < numeric < float4 < float8). */
export const NUMERIC_RANK: Readonly<Record<number, number>> = {
  [TypeOid.INT2]: 0,
  [TypeOid.INT4]: 1,
  [TypeOid.INT8]: 2,
  [TypeOid.NUMERIC]: 3,
  [TypeOid.FLOAT4]: 4,
  [TypeOid.FLOAT8]: 5,
};

/** @returns true for text, varchar, name and unknown */
export function isStringType(oid: number): boolean {
  return oid === TypeOid.TEXT || oid === TypeOid.VARCHAR || oid === TypeOid.NAME || oid === TypeOid.UNKNOWN;
}

/**
 * Can a value of `from` be converted to `to` implicitly (pg_cast with
 * castcontext 'i'), as when resolving operator arguments?
 *
 * @param from source type oid
 * @param to target type oid
 * @returns true when implicit
 */
export function canCoerceImplicitly(from: number, to: number): boolean {
  if (from === to || from === TypeOid.UNKNOWN) return true;
  const rf = NUMERIC_RANK[from];
  const rt = NUMERIC_RANK[to];
  if (rf !== undefined && rt !== undefined) return rf < rt;
  if (from === TypeOid.OID && rt !== undefined) return rt >= 2; // oid -> int8 … (via int4 casts)
  if ((from === TypeOid.VARCHAR || from === TypeOid.NAME) && to === TypeOid.TEXT) return true;
  if (from === TypeOid.TEXT && to === TypeOid.VARCHAR) return true;
  if (from === TypeOid.TEXT && to === TypeOid.NAME) return true;
  return false;
}

function _intRange(oid: number): [bigint, bigint, string] | undefined {
  if (oid === TypeOid.INT2) return [-32768n, 32767n, "smallint out of range"];
  if (oid === TypeOid.INT4) return [-2147483648n, 2147483647n, "integer out of range"];
  if (oid === TypeOid.INT8) return [-9223372036854775808n, 9223372036854775807n, "bigint out of range"];
  if (oid === TypeOid.OID) return [0n, 4294967295n, "OID out of range"];
  return undefined;
}

/** Converts an exact integer to an integer type, checking its range. */
function _toIntType(n: bigint, to: number): number | bigint {
  const r = _intRange(to)!;
  if (n < r[0] || n > r[1]) throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, r[2]);
  return to === TypeOid.INT8 ? n : Number(n);
}

/** @returns a numeric-category datum as a Numeric */
export function toNumeric(v: Datum, from: number): Numeric {
  if (v instanceof Numeric) return v;
  if (typeof v === "bigint") return numericFromInt(v);
  if (from === TypeOid.FLOAT4 || from === TypeOid.FLOAT8) return numericFromFloat(v as number);
  return numericFromInt(v as number);
}

/** @returns a numeric-category datum as a double */
export function toFloat(v: Datum): number {
  if (v instanceof Numeric) return _FLOAT8_IN(v.toString());
  return Number(v);
}

/**
 * Casts a non-null datum between implemented types, as PostgreSQL's casts
 * (pg_cast) and I/O conversion casts.
 *
 * @param v the value (not null)
 * @param from its type oid
 * @param to the target type oid
 * @param typmod the target typmod (-1 for none)
 * @param explicit true for an explicit cast (`::`, CAST): varchar truncates, bool<->int allowed
 * @param ctx session settings for I/O
 * @returns the converted value
 * @throws {SqlError} 42846 when no cast exists, or the target type's input error
 */
export function castDatum(
  v: NonNullable<Datum>,
  from: number,
  to: number,
  typmod: number,
  explicit: boolean,
  ctx: TypeIoContext,
): NonNullable<Datum> {
  if (from === to) return applyTypmod(v, to, typmod, explicit);
  const target = requireTypeOid(to);
  const source = requireTypeOid(from);
  if (from === TypeOid.UNKNOWN || (isStringType(from) && explicit) || (isStringType(from) && isStringType(to))) {
    if (isStringType(to)) {
      return applyTypmod(to === TypeOid.NAME ? target.input(v as string, -1, ctx)! : v, to, typmod, explicit);
    }
    return target.input(v as string, typmod, ctx)!;
  }
  if (isStringType(to)) {
    // bool -> text is booltext ("true"), not boolout ("t").
    const text = from === TypeOid.BOOL ? (v ? "true" : "false") : source.output(v, ctx);
    return applyTypmod(to === TypeOid.NAME ? target.input(text, -1, ctx)! : text, to, typmod, explicit);
  }
  const rf = NUMERIC_RANK[from] ?? (from === TypeOid.OID ? 1.5 : undefined);
  const rt = NUMERIC_RANK[to] ?? (to === TypeOid.OID ? 1.5 : undefined);
  if (rf !== undefined && rt !== undefined) return applyTypmod(_castNumeric(v, from, to), to, typmod, explicit);
  if (explicit && from === TypeOid.BOOL && to === TypeOid.INT4) return v ? 1 : 0;
  if (explicit && from === TypeOid.INT4 && to === TypeOid.BOOL) return v !== 0;
  throw new SqlError(SqlState.CANNOT_COERCE, `cannot cast type ${source.display} to ${target.display}`);
}

function _castNumeric(v: NonNullable<Datum>, from: number, to: number): NonNullable<Datum> {
  if (to === TypeOid.FLOAT8) return toFloat(v);
  if (to === TypeOid.FLOAT4) {
    // numeric_float4 reads the numeric's text with float4in; float84 checks both ways out of range.
    if (v instanceof Numeric) return _FLOAT4_IN(v.toString());
    const d = Number(v);
    const f = Math.fround(d);
    if (!Number.isFinite(f) && Number.isFinite(d)) {
      throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow");
    }
    if (f === 0 && d !== 0) throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: underflow");
    return f;
  }
  if (to === TypeOid.NUMERIC) return toNumeric(v, from);
  // To an integer type (or oid).
  let n: bigint;
  if (typeof v === "bigint") n = v;
  else if (v instanceof Numeric) {
    const r = numericToBigInt(v);
    if (r === undefined) {
      throw new SqlError(
        SqlState.FEATURE_NOT_SUPPORTED,
        `cannot convert ${v.special === "nan" ? "NaN" : "infinity"} to ${requireTypeOid(to).display}`,
      );
    }
    n = r;
  } else if (from === TypeOid.FLOAT4 || from === TypeOid.FLOAT8) {
    const f = v as number;
    if (!Number.isFinite(f)) throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, _intRange(to)![2]);
    // rint(): round half to even.
    const r = Math.round(f);
    n = BigInt(Math.abs(f % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r);
  } else n = BigInt(v as number);
  return _toIntType(n, to);
}

/**
 * Applies a type modifier (varchar(n), numeric(p,s)); other types ignore it.
 *
 * @param v the value
 * @param type type oid
 * @param typmod the modifier, -1 for none
 * @param explicit explicit casts truncate varchar silently
 * @returns the adjusted value
 */
export function applyTypmod(
  v: NonNullable<Datum>,
  type: number,
  typmod: number,
  explicit: boolean,
): NonNullable<Datum> {
  if (typmod < 0) return v;
  if (type === TypeOid.VARCHAR) return varcharApplyTypmod(v as string, typmod, explicit);
  if (type === TypeOid.NUMERIC) return numericApplyTypmod(v as Numeric, typmod);
  return v;
}

/** @returns format_type with a typmod: `character varying(3)`, `numeric(5,2)` */
export function formatType(oid: number, typmod: number): string {
  const t = typeByOid(oid);
  const base = t?.display ?? `oid ${oid}`;
  if (typmod < 4) return base;
  if (oid === TypeOid.VARCHAR) return `${base}(${typmod - 4})`;
  if (oid === TypeOid.NUMERIC) return `${base}(${((typmod - 4) >> 16) & 0xffff},${(typmod - 4) & 0xffff})`;
  return base;
}
