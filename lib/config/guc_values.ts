/**
 * guc_values.ts — parsing parameter values from text and showing them back.
 *
 * PostgreSQL counterpart: parse_int(), parse_real(), parse_bool(),
 * convert_to_base_unit() and ShowGUCOption() in src/backend/utils/misc/guc.c.
 *
 * NOTES
 * Errors are `SqlError`s with PostgreSQL's wording and SQLSTATE 22023, so the
 * same function serves `SET` (reported to the client), configuration files
 * and the server's command line (logged by the caller).
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import type { GucDefinition, GucUnit, IntGuc } from "./guc_tables.ts";

/** A parameter's value, typed by its definition. */
export type GucValue = boolean | number | string;

const _MEMORY_UNITS_KB: Record<string, number> = { B: 1 / 1024, kB: 1, MB: 1024, GB: 1024 ** 2, TB: 1024 ** 3 };
const _TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60000, h: 3600000, d: 86400000 };
const _BASE_UNIT_KB: Partial<Record<GucUnit, number>> = { B: 1 / 1024, kB: 1, MB: 1024, "8kB": 8 };
const _BASE_UNIT_MS: Partial<Record<GucUnit, number>> = { ms: 1, s: 1000, min: 60000 };
const _MEMORY_HINT = 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".';
const _TIME_HINT = 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".';

function _invalid(def: GucDefinition, raw: string, hint?: string): SqlError {
  return new SqlError(
    SqlState.INVALID_PARAMETER_VALUE,
    `invalid value for parameter "${def.name}": "${raw}"`,
    { hint },
  );
}

function _outOfRange(def: { name: string; min: number; max: number }, shown: string): SqlError {
  return new SqlError(
    SqlState.INVALID_PARAMETER_VALUE,
    `${shown} is outside the valid range for parameter "${def.name}" (${def.min} .. ${def.max})`,
  );
}

/**
 * Parses a boolean as PostgreSQL's parse_bool: on/off, true/false, yes/no,
 * 1/0 and unique prefixes of them, case-insensitively.
 *
 * @param text the value as written
 * @returns the boolean, or `undefined` if the text is not one
 */
export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (t === "") return undefined;
  if ("true".startsWith(t) || "yes".startsWith(t) || t === "1") return true;
  if ("false".startsWith(t) || "no".startsWith(t) || t === "0") return false;
  // "o" alone is ambiguous between on and off.
  if (t.length >= 2 && "on".startsWith(t)) return true;
  if (t.length >= 2 && "off".startsWith(t)) return false;
  return undefined;
}

function _parseIntWithUnit(def: IntGuc, raw: string): number {
  const m = /^\s*([-+]?(?:0x[0-9a-f]+|0[0-7]*|\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?))\s*([a-zA-Z]*)\s*$/i
    .exec(raw);
  if (!m) throw _invalid(def, raw);
  const [, numText, unitText] = m;
  let n: number;
  if (/^[-+]?0x/i.test(numText)) n = parseInt(numText, 16);
  else if (/^[-+]?0[0-7]+$/.test(numText)) n = parseInt(numText, 8);
  else n = Number(numText);
  if (!Number.isFinite(n)) throw _invalid(def, raw);
  if (unitText !== "") {
    const baseKb = def.unit ? _BASE_UNIT_KB[def.unit] : undefined;
    const baseMs = def.unit ? _BASE_UNIT_MS[def.unit] : undefined;
    if (baseKb !== undefined) {
      const f = _MEMORY_UNITS_KB[unitText];
      if (f === undefined) throw _invalid(def, raw, _MEMORY_HINT);
      n = (n * f) / baseKb;
    } else if (baseMs !== undefined) {
      const f = _TIME_UNITS_MS[unitText];
      if (f === undefined) throw _invalid(def, raw, _TIME_HINT);
      n = (n * f) / baseMs;
    } else {
      throw _invalid(def, raw);
    }
  }
  n = Math.round(n);
  if (n < def.min || n > def.max) {
    throw _outOfRange(def, unitText === "" ? String(n) : `${n} ${def.unit ?? ""}`.trim());
  }
  return n;
}

/**
 * Parses a value for a parameter from text (a configuration file, `-c`,
 * `SET`), converting units to the parameter's base unit.
 *
 * @param def the parameter
 * @param raw the value as written (already unquoted)
 * @returns the typed value
 * @throws {SqlError} 22023 with PostgreSQL's message when invalid or out of range
 * @example
 * ```ts
 * parseGucValue(findGuc("shared_buffers")!, "128MB"); // 16384 (8 kB blocks)
 * ```
 */
export function parseGucValue(def: GucDefinition, raw: string): GucValue {
  switch (def.type) {
    case "bool": {
      const b = parseBool(raw);
      if (b === undefined) {
        throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `parameter "${def.name}" requires a Boolean value`);
      }
      return b;
    }
    case "int":
      return _parseIntWithUnit(def, raw);
    case "real": {
      const n = Number(raw.trim());
      if (raw.trim() === "" || !Number.isFinite(n)) throw _invalid(def, raw);
      if (n < def.min || n > def.max) throw _outOfRange(def, String(n));
      return n;
    }
    case "enum": {
      const v = def.values.find((x) => x.toLowerCase() === raw.trim().toLowerCase());
      if (v === undefined) {
        throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "${def.name}": "${raw}"`, {
          hint: `Available values: ${def.values.join(", ")}.`,
        });
      }
      return v;
    }
    case "string":
      return raw;
  }
}

/**
 * Shows a value as `SHOW` does: booleans as on/off, integers with the largest
 * unit that divides them exactly (`128MB`, `5min`).
 *
 * @param def the parameter
 * @param value its typed value
 * @returns the display text
 */
export function formatGucValue(def: GucDefinition, value: GucValue): string {
  if (def.type === "bool") return value ? "on" : "off";
  if (def.type !== "int" || def.unit === undefined || typeof value !== "number" || value <= 0) {
    return String(value);
  }
  const kb = _BASE_UNIT_KB[def.unit];
  if (kb !== undefined) {
    const bytes = value * kb * 1024;
    for (const [u, f] of [["TB", 1024 ** 4], ["GB", 1024 ** 3], ["MB", 1024 ** 2], ["kB", 1024]] as const) {
      if (bytes % f === 0) return `${bytes / f}${u}`;
    }
    return `${bytes}B`;
  }
  const ms = value * (_BASE_UNIT_MS[def.unit] ?? 1);
  for (const [u, f] of [["d", 86400000], ["h", 3600000], ["min", 60000], ["s", 1000]] as const) {
    if (ms % f === 0) return `${ms / f}${u}`;
  }
  return `${ms}ms`;
}
