/**
 * datetime.ts — timestamp with time zone and interval: input, output (ISO /
 * postgres styles), binary form and arithmetic.
 *
 * PostgreSQL counterpart: src/backend/utils/adt/timestamp.c and datetime.c
 * (timestamptz_in/out, interval_in/out, timestamptz_pl_interval,
 * timestamp_mi, interval_mul, interval_cmp, EncodeInterval).
 *
 * NOTES
 * A timestamptz is a BigInt of microseconds since 2000-01-01 00:00:00 UTC,
 * as PostgreSQL's (integer_datetimes). An interval is {months, days,
 * micros}. Time zones: `UTC`/`GMT`, fixed offsets and IANA names (through
 * the runtime's Intl tables); formatters are cached per zone. Only the ISO
 * DateStyle and the postgres IntervalStyle are produced; the session refuses
 * to set others (0A000), so output is never silently in another style.
 * Errors are `SqlError`s with PostgreSQL's wording.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import type { RecvBuffer } from "./recv_buffer.ts";

/** Microseconds since 2000-01-01 UTC. */
export type Timestamptz = bigint;

/** An interval value. */
export interface Interval {
  readonly months: number;
  readonly days: number;
  readonly micros: bigint;
}

/** Unix epoch minus PostgreSQL epoch, in microseconds. */
export const PG_EPOCH_UNIX_MICROS = 946684800000000n;
/** `infinity` and `-infinity` as stored (DT_NOEND, DT_NOBEGIN). */
export const TIMESTAMP_INFINITY = 9223372036854775807n;
export const TIMESTAMP_MINUS_INFINITY = -9223372036854775808n;
const USECS_PER_SEC = 1000000n;
const USECS_PER_MINUTE = 60000000n;
const USECS_PER_HOUR = 3600000000n;
const USECS_PER_DAY = 86400000000n;
/** Largest zone-formatter cache (one per distinct TimeZone value seen). */
const TZ_CACHE_MAX = 64;

/** @returns the current time as a timestamptz */
export function timestamptzNow(): Timestamptz {
  return timestamptzFromPerfMs(performance.now());
}

/** The process's time origin in µs since the PostgreSQL epoch (a double: whole µs stay exact for centuries). */
const _PERF_ORIGIN_PG_MICROS = (performance.timeOrigin - Number(PG_EPOCH_UNIX_MICROS / 1000n)) * 1000;

/**
 * A `performance.now()` reading as a timestamptz, so a caller that also needs
 * the monotonic time (a statement's start and its timeout deadline) reads the
 * clock once.
 *
 * @param perfMs a `performance.now()` value
 * @returns the timestamptz
 */
export function timestamptzFromPerfMs(perfMs: number): Timestamptz {
  return BigInt(Math.round(_PERF_ORIGIN_PG_MICROS + perfMs * 1000));
}

/** @returns a timestamptz from Unix epoch milliseconds */
export function timestamptzFromUnixMs(ms: number): Timestamptz {
  return BigInt(Math.round(ms * 1000)) - PG_EPOCH_UNIX_MICROS;
}

// ---- time zones ------------------------------------------------------------

const _tzCache = new Map<string, Intl.DateTimeFormat | number>();

/**
 * Resolves a TimeZone setting: a fixed offset in seconds east of UTC, or an
 * Intl formatter for an IANA zone.
 *
 * @param zone the setting
 * @returns the zone, or undefined when unknown
 */
export function resolveTimeZone(zone: string): Intl.DateTimeFormat | number | undefined {
  const cached = _tzCache.get(zone);
  if (cached !== undefined) return cached;
  let r: Intl.DateTimeFormat | number | undefined;
  const up = zone.toUpperCase();
  if (up === "UTC" || up === "GMT" || up === "Z" || up === "ETC/UTC" || up === "UCT" || up === "ZULU") r = 0;
  else {
    try {
      r = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
        era: "short",
      });
    } catch {
      return undefined;
    }
  }
  if (_tzCache.size >= TZ_CACHE_MAX) _tzCache.clear();
  _tzCache.set(zone, r);
  return r;
}

/** @returns the zone's offset east of UTC, in seconds, at a UTC instant */
function _offsetAt(zone: Intl.DateTimeFormat | number, unixMs: number): number {
  if (typeof zone === "number") return zone;
  const parts = zone.formatToParts(new Date(unixMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  let year = get("year");
  if (parts.find((p) => p.type === "era")?.value === "BC") year = 1 - year;
  const local = Date.UTC(year, get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((local - Math.floor(unixMs / 1000) * 1000) / 1000);
}

/** Broken-down local time. */
interface _Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micros: number;
}

function _daysFromCivil(y: number, m: number, d: number): number {
  return Math.floor(Date.UTC(y, m - 1, d) / 86400000);
}

function _toFields(localMicrosSinceUnix: bigint): _Fields {
  const days = localMicrosSinceUnix >= 0n
    ? localMicrosSinceUnix / USECS_PER_DAY
    : -((-localMicrosSinceUnix + USECS_PER_DAY - 1n) / USECS_PER_DAY);
  const rem = Number(localMicrosSinceUnix - days * USECS_PER_DAY);
  const d = new Date(Number(days) * 86400000);
  const secs = Math.floor(rem / 1000000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: Math.floor(secs / 3600),
    minute: Math.floor((secs % 3600) / 60),
    second: secs % 60,
    micros: rem % 1000000,
  };
}

function _fromFields(f: _Fields): bigint {
  return BigInt(_daysFromCivil(f.year, f.month, f.day)) * USECS_PER_DAY +
    BigInt(f.hour) * USECS_PER_HOUR + BigInt(f.minute) * USECS_PER_MINUTE + BigInt(f.second) * USECS_PER_SEC +
    BigInt(f.micros);
}

/** Converts local wall-clock microseconds (since the Unix epoch, in `zone`) to a UTC timestamptz. */
function _localToUtc(localUnixMicros: bigint, zone: Intl.DateTimeFormat | number): Timestamptz {
  const localMs = Number(localUnixMicros / 1000n);
  let off = _offsetAt(zone, localMs);
  off = _offsetAt(zone, localMs - off * 1000);
  return localUnixMicros - BigInt(off) * USECS_PER_SEC - PG_EPOCH_UNIX_MICROS;
}

// ---- timestamptz I/O ---------------------------------------------------------

function _pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/**
 * Formats a timestamptz in ISO style in a zone: `2024-01-02 03:04:05.5+00`.
 *
 * @param t the value
 * @param zoneName the session's TimeZone
 * @returns the text
 */
export function timestamptzOut(t: Timestamptz, zoneName: string): string {
  if (t === TIMESTAMP_INFINITY) return "infinity";
  if (t === TIMESTAMP_MINUS_INFINITY) return "-infinity";
  const zone = resolveTimeZone(zoneName) ?? 0;
  const unixMicros = t + PG_EPOCH_UNIX_MICROS;
  const off = _offsetAt(zone, Number(unixMicros / 1000n));
  const f = _toFields(unixMicros + BigInt(off) * USECS_PER_SEC);
  const bc = f.year <= 0;
  let s = `${_pad(bc ? 1 - f.year : f.year, 4)}-${_pad(f.month)}-${_pad(f.day)} ${_pad(f.hour)}:${_pad(f.minute)}:${
    _pad(f.second)
  }`;
  if (f.micros !== 0) s += "." + _pad(f.micros, 6).replace(/0+$/, "");
  const a = Math.abs(off);
  s += `${off < 0 ? "-" : "+"}${_pad(Math.floor(a / 3600))}`;
  if (a % 3600 !== 0) s += `:${_pad(Math.floor((a % 3600) / 60))}`;
  if (a % 60 !== 0) s += `:${_pad(a % 60)}`;
  return bc ? `${s} BC` : s;
}

function _badTimestamp(text: string): SqlError {
  return new SqlError(
    SqlState.INVALID_DATETIME_FORMAT,
    `invalid input syntax for type timestamp with time zone: "${text}"`,
  );
}

/**
 * Parses timestamptz input: ISO dates with optional time and zone, and the
 * special words now, today, tomorrow, yesterday, epoch, infinity.
 *
 * @param text the input
 * @param zoneName the session's TimeZone (for values without a zone)
 * @param nowTs the transaction start time (for `now`/`today`)
 * @returns the value
 * @throws {SqlError} 22007 on bad syntax, 22008 on an out-of-range field
 */
export function timestamptzIn(text: string, zoneName: string, nowTs: Timestamptz): Timestamptz {
  const t = text.trim().toLowerCase();
  const zone = resolveTimeZone(zoneName) ?? 0;
  switch (t) {
    case "now":
      return nowTs;
    case "epoch":
      return -PG_EPOCH_UNIX_MICROS;
    case "infinity":
    case "+infinity":
      return TIMESTAMP_INFINITY;
    case "-infinity":
      return TIMESTAMP_MINUS_INFINITY;
    case "today":
    case "tomorrow":
    case "yesterday": {
      const f = _toFields(nowTs + PG_EPOCH_UNIX_MICROS + BigInt(_offsetAt(zone, Number(nowTs / 1000n))) * 1000000n);
      const base = _fromFields({ ...f, hour: 0, minute: 0, second: 0, micros: 0 });
      const shift = t === "tomorrow" ? USECS_PER_DAY : t === "yesterday" ? -USECS_PER_DAY : 0n;
      return _localToUtc(base + shift, zone);
    }
  }
  const m =
    /^(\d{4,})-(\d{1,2})-(\d{1,2})(?:[ t](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(z|utc|gmt|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?|[a-z_]+\/[a-z_/+-]+)?\s*(bc)?$/i
      .exec(text.trim());
  if (m === null) throw _badTimestamp(text);
  let year = Number(m[1]);
  if (m[9] !== undefined) year = 1 - year;
  const f: _Fields = {
    year,
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    micros: Math.round(Number(`0.${m[7] ?? "0"}`) * 1e6),
  };
  const daysInMonth = new Date(Date.UTC(f.year, f.month, 0)).getUTCDate();
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysInMonth) {
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, `date/time field value out of range: "${text}"`);
  }
  if (f.hour > 24 || f.minute > 59 || f.second > 60 || (f.hour === 24 && (f.minute | f.second | f.micros) !== 0)) {
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, `date/time field value out of range: "${text}"`);
  }
  const local = _fromFields(f);
  const z = m[8]?.toLowerCase();
  if (z === undefined) return _localToUtc(local, zone);
  if (z === "z" || z === "utc" || z === "gmt") return local - PG_EPOCH_UNIX_MICROS;
  if (z[0] === "+" || z[0] === "-") {
    const digits = z.slice(1).replaceAll(":", "");
    const hh = Number(
      digits.slice(0, digits.length <= 2 ? digits.length : digits.length - (digits.length > 4 ? 4 : 2)),
    );
    const rest = digits.length <= 2 ? "" : digits.slice(digits.length > 4 ? -4 : -2);
    const mm = rest.length >= 2 ? Number(rest.slice(0, 2)) : 0;
    const ss = rest.length === 4 ? Number(rest.slice(2)) : 0;
    const off = (hh * 3600 + mm * 60 + ss) * (z[0] === "-" ? -1 : 1);
    return local - BigInt(off) * USECS_PER_SEC - PG_EPOCH_UNIX_MICROS;
  }
  const named = resolveTimeZone(m[8]!);
  if (named === undefined) {
    throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `time zone "${m[8]}" not recognized`);
  }
  return _localToUtc(local, named);
}

// ---- interval ---------------------------------------------------------------

function _badInterval(text: string): SqlError {
  return new SqlError(SqlState.INVALID_DATETIME_FORMAT, `invalid input syntax for type interval: "${text}"`);
}

const _UNIT_MICROS: Record<string, [months: number, days: number, micros: number]> = {
  microsecond: [0, 0, 1],
  millisecond: [0, 0, 1000],
  second: [0, 0, 1e6],
  minute: [0, 0, 60e6],
  hour: [0, 0, 3600e6],
  day: [0, 1, 0],
  week: [0, 7, 0],
  month: [1, 0, 0],
  year: [12, 0, 0],
  decade: [120, 0, 0],
  century: [1200, 0, 0],
  millennium: [12000, 0, 0],
};

const _UNIT_ALIASES: Record<string, string> = {
  us: "microsecond",
  usec: "microsecond",
  usecs: "microsecond",
  useconds: "microsecond",
  microseconds: "microsecond",
  ms: "millisecond",
  msec: "millisecond",
  msecs: "millisecond",
  mseconds: "millisecond",
  milliseconds: "millisecond",
  s: "second",
  sec: "second",
  secs: "second",
  seconds: "second",
  m: "minute",
  min: "minute",
  mins: "minute",
  minutes: "minute",
  h: "hour",
  hr: "hour",
  hrs: "hour",
  hours: "hour",
  d: "day",
  days: "day",
  w: "week",
  weeks: "week",
  mon: "month",
  mons: "month",
  months: "month",
  y: "year",
  yr: "year",
  yrs: "year",
  years: "year",
  decades: "decade",
  dec: "decade",
  decs: "decade",
  centuries: "century",
  c: "century",
  cent: "century",
  millennia: "millennium",
  mil: "millennium",
  mils: "millennium",
};

/**
 * Parses interval input in PostgreSQL's verbose form: `[@] quantity unit
 * [quantity unit...] [hh:mm[:ss[.frac]]] [ago]`.
 *
 * @param text the input
 * @returns the interval
 * @throws {SqlError} 22007 on bad syntax
 */
export function intervalIn(text: string): Interval {
  let months = 0, days = 0, micros = 0;
  let s = text.trim().toLowerCase();
  if (s.startsWith("@")) s = s.slice(1).trim();
  let ago = false;
  if (/\bago$/.test(s)) {
    ago = true;
    s = s.slice(0, -3).trim();
  }
  if (s === "") throw _badInterval(text);
  const tokens = s.match(/[+-]?(?:\d+\.?\d*|\.\d+)(?::\d+(?::\d+(?:\.\d+)?)?)?|[a-z]+/g) ?? [];
  if (tokens.join("").replace(/\s/g, "") !== s.replace(/[\s,]/g, "")) throw _badInterval(text);
  let sawField = false;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (/^[+-]?\d*:/.test(tok) || /^[+-]?\d+:\d/.test(tok)) {
      micros += _parseTimeToken(tok, text);
      sawField = true;
      continue;
    }
    if (!/^[+-]?(?:\d|\.\d)/.test(tok)) throw _badInterval(text);
    const qty = Number(tok);
    const unitTok = tokens[i + 1];
    if (unitTok === undefined || /^[+-]?[\d.]/.test(unitTok)) {
      // A bare number is seconds, as PostgreSQL.
      micros += qty * 1e6;
      sawField = true;
      continue;
    }
    i++;
    const unit = _UNIT_MICROS[unitTok] ? unitTok : _UNIT_ALIASES[unitTok];
    const u = unit === undefined ? undefined : _UNIT_MICROS[unit];
    if (u === undefined) throw _badInterval(text);
    // Fractions spill down: months -> days (30), days -> time (24 h), as PostgreSQL's AdjustFractDays/Seconds.
    const m = qty * u[0];
    const wholeMonths = Math.trunc(m);
    const d = qty * u[1] + (m - wholeMonths) * 30;
    const wholeDays = Math.trunc(d);
    months += wholeMonths;
    days += wholeDays;
    micros += qty * u[2] + (d - wholeDays) * 86400e6;
    sawField = true;
  }
  if (!sawField) throw _badInterval(text);
  const r = { months, days, micros: BigInt(Math.round(micros)) };
  return ago ? intervalNeg(r) : r;
}

function _parseTimeToken(tok: string, text: string): number {
  const neg = tok.startsWith("-");
  const parts = tok.replace(/^[+-]/, "").split(":");
  if (parts.length < 2 || parts.length > 3) throw _badInterval(text);
  const h = Number(parts[0]);
  const m = Number(parts[1]);
  const sec = parts.length === 3 ? Number(parts[2]) : 0;
  if (!Number.isFinite(h) || m > 59 || sec >= 60) throw _badInterval(text);
  const v = (h * 3600 + m * 60) * 1e6 + sec * 1e6;
  return neg ? -v : v;
}

/**
 * Formats an interval in the postgres IntervalStyle: `1 year 2 mons 3 days 04:05:06.5`.
 *
 * @param v the interval
 * @returns the text
 */
export function intervalOut(v: Interval): string {
  const year = Math.trunc(v.months / 12);
  const mon = v.months % 12;
  let out = "";
  let isZero = true;
  let isBefore = false;
  const part = (value: number, unit: string) => {
    if (value === 0) return;
    out += `${isZero ? "" : " "}${isBefore && value > 0 ? "+" : ""}${value} ${unit}${value !== 1 ? "s" : ""}`;
    isBefore = value < 0;
    isZero = false;
  };
  part(year, "year");
  part(mon, "mon");
  part(v.days, "day");
  if (isZero || v.micros !== 0n) {
    const minus = v.micros < 0n;
    const abs = minus ? -v.micros : v.micros;
    const hours = abs / USECS_PER_HOUR;
    const mins = (abs % USECS_PER_HOUR) / USECS_PER_MINUTE;
    const secs = (abs % USECS_PER_MINUTE) / USECS_PER_SEC;
    const frac = abs % USECS_PER_SEC;
    out += `${isZero ? "" : " "}${minus ? "-" : isBefore ? "+" : ""}${_pad(Number(hours))}:${_pad(Number(mins))}:${
      _pad(Number(secs))
    }`;
    if (frac !== 0n) out += "." + _pad(Number(frac), 6).replace(/0+$/, "");
  }
  return out;
}

/** @returns -v */
export function intervalNeg(v: Interval): Interval {
  return { months: -v.months, days: -v.days, micros: -v.micros };
}

function _checkInterval(v: Interval): Interval {
  if (
    v.months > 2147483647 || v.months < -2147483648 || v.days > 2147483647 || v.days < -2147483648 ||
    v.micros > 9223372036854775807n || v.micros < -9223372036854775808n
  ) {
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, "interval out of range");
  }
  return v;
}

/** @returns a + b */
export function intervalAdd(a: Interval, b: Interval): Interval {
  return _checkInterval({ months: a.months + b.months, days: a.days + b.days, micros: a.micros + b.micros });
}

/**
 * Multiplies an interval by a number, spilling fractions down as interval_mul.
 *
 * @param v the interval
 * @param f the factor
 * @returns the product
 */
export function intervalMul(v: Interval, f: number): Interval {
  if (!Number.isFinite(f)) throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, "interval out of range");
  const m = v.months * f;
  const months = Math.trunc(m);
  const d = v.days * f + (m - months) * 30;
  const days = Math.trunc(d);
  const micros = Number(v.micros) * f + (d - days) * 86400e6;
  if (!Number.isFinite(micros) || Math.abs(micros) > 9.2e18) {
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, "interval out of range");
  }
  return _checkInterval({ months, days, micros: BigInt(Math.round(micros)) });
}

/** @returns v / f */
export function intervalDiv(v: Interval, f: number): Interval {
  if (f === 0) throw new SqlError(SqlState.DIVISION_BY_ZERO, "division by zero");
  return intervalMul(v, 1 / f);
}

/** @returns the interval's span in microseconds with months as 30 days (interval_cmp_value) */
export function intervalSpan(v: Interval): bigint {
  return BigInt(v.months) * 30n * USECS_PER_DAY + BigInt(v.days) * USECS_PER_DAY + v.micros;
}

/** @returns -1, 0 or 1 */
export function intervalCmp(a: Interval, b: Interval): number {
  const x = intervalSpan(a);
  const y = intervalSpan(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Adds an interval to a timestamptz as timestamptz_pl_interval: months and
 * days in the session's zone (calendar arithmetic), then the time part.
 *
 * @param t the timestamp
 * @param v the interval
 * @param zoneName the session's TimeZone
 * @returns the sum
 */
export function timestamptzPlusInterval(t: Timestamptz, v: Interval, zoneName: string): Timestamptz {
  if (t === TIMESTAMP_INFINITY || t === TIMESTAMP_MINUS_INFINITY) return t;
  let r = t;
  if (v.months !== 0 || v.days !== 0) {
    const zone = resolveTimeZone(zoneName) ?? 0;
    const unixMicros = r + PG_EPOCH_UNIX_MICROS;
    const off = _offsetAt(zone, Number(unixMicros / 1000n));
    const f = _toFields(unixMicros + BigInt(off) * USECS_PER_SEC);
    if (v.months !== 0) {
      const total = f.year * 12 + (f.month - 1) + v.months;
      f.year = Math.floor(total / 12);
      f.month = total - f.year * 12 + 1;
      const dim = new Date(Date.UTC(f.year, f.month, 0)).getUTCDate();
      if (f.day > dim) f.day = dim;
    }
    const local = _fromFields(f) + BigInt(v.days) * USECS_PER_DAY;
    r = _localToUtc(local, zone);
  }
  return r + v.micros;
}

/**
 * Subtracts timestamps as timestamp_mi: the difference as time, with whole
 * days moved to the days field (interval_justify_hours).
 *
 * @param a minuend
 * @param b subtrahend
 * @returns the interval
 */
export function timestamptzMinus(a: Timestamptz, b: Timestamptz): Interval {
  if (
    a === TIMESTAMP_INFINITY || a === TIMESTAMP_MINUS_INFINITY || b === TIMESTAMP_INFINITY ||
    b === TIMESTAMP_MINUS_INFINITY
  ) {
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, "cannot subtract infinite timestamps");
  }
  const diff = a - b;
  const days = diff / USECS_PER_DAY;
  return { months: 0, days: Number(days), micros: diff - days * USECS_PER_DAY };
}

/** @returns the 16-byte binary form (time int64, days int32, months int32) */
export function intervalSend(v: Interval): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setBigInt64(0, v.micros);
  dv.setInt32(8, v.days);
  dv.setInt32(12, v.months);
  return out;
}

/**
 * interval_recv: time int64, days int32, months int32.
 *
 * @param b the value's bytes
 * @returns the interval
 * @throws {SqlError} 08P01 when short
 */
export function intervalRecv(b: RecvBuffer): Interval {
  const micros = b.int64();
  const days = b.int32();
  return { micros, days, months: b.int32() };
}

/** First valid timestamp (MIN_TIMESTAMP, 4714-11-24 00:00:00 BC UTC). */
const MIN_TIMESTAMP = -211813488000000000n;
/** First timestamp past the valid range (END_TIMESTAMP, 294277-01-01 00:00:00 UTC). */
const END_TIMESTAMP = 9223371331200000000n;

/**
 * timestamptz_recv's range check on a received int64.
 *
 * @param t microseconds since 2000-01-01 UTC, or ±infinity
 * @returns t
 * @throws {SqlError} 22008 `timestamp out of range`
 */
export function timestamptzRecv(t: bigint): Timestamptz {
  if (t === TIMESTAMP_INFINITY || t === TIMESTAMP_MINUS_INFINITY) return t;
  if (t < MIN_TIMESTAMP || t >= END_TIMESTAMP) {
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, "timestamp out of range");
  }
  return t;
}
