/**
 * session_gucs.ts — one session's view of the configuration parameters:
 * SET, SET LOCAL, RESET, SHOW, transaction-scoped undo and the
 * ParameterStatus reports of GUC_REPORT parameters.
 *
 * PostgreSQL counterpart: set_config_option(), GetConfigOptionByName(),
 * AtEOXact_GUC(), ResetAllOptions(), ReportChangedGUCOptions() and custom
 * placeholder variables in src/backend/utils/misc/guc.c.
 *
 * NOTES
 * Values start from the server's settings (files and `-c`), then the
 * startup packet's options; that is the RESET value. Changes made inside a
 * transaction remember the value before it: abort restores it, commit keeps
 * the last `SET` and drops `SET LOCAL`. Context rules and messages are
 * PostgreSQL's (55P02 `parameter "x" cannot be changed now`, 42501
 * `permission denied to set parameter "x"`, 42704 `unrecognized
 * configuration parameter "x"`). Display styles other than the ones denogres
 * produces (DateStyle ISO, IntervalStyle postgres, client_encoding UTF8) are
 * refused with 0A000 rather than accepted and ignored. Process-local state.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import {
  formatGucValue,
  type GucContext,
  type GucDefinition,
  type GucSettings,
  type GucValue,
  parseGucValue,
} from "../config/mod.ts";
import { resolveTimeZone } from "./datetime.ts";

/** Largest number of custom (`a.b`) parameters a session may create. */
export const CUSTOM_GUCS_MAX = 1024;

interface _Var {
  readonly def: GucDefinition | undefined; // undefined: a custom placeholder (string)
  readonly name: string;
  value: GucValue;
  /** The value RESET returns to. */
  resetValue: GucValue;
}

interface _Undo {
  /** Value before the transaction touched it. */
  prior: GucValue;
  /** Value of the last non-LOCAL SET in the transaction, kept at commit. */
  sessionValue?: GucValue;
}

/** Who is setting a value, as PostgreSQL's GucContext of the caller. */
export type GucSetContext = "startup" | "session";

const _LIST_PARAMS = new Set(["search_path", "datestyle"]);

/**
 * A session's parameters.
 *
 * @example
 * ```ts
 * const g = new SessionGucs(settings, { isSuperuser: true, userName: "postgres" });
 * g.set("statement_timeout", "5s", { isLocal: false, inTransaction: false });
 * g.show("statement_timeout"); // "5s"
 * ```
 */
export class SessionGucs {
  readonly #vars = new Map<string, _Var>();
  readonly #undo = new Map<string, _Undo>();
  readonly #reported = new Map<string, string>();
  readonly #isSuperuser: boolean;
  #customCount = 0;
  #version = 0;
  #reportedVersion = -1;

  /** Increases whenever any value changes (lets callers cache derived values cheaply). */
  get version(): number {
    return this.#version;
  }

  /**
   * @param settings the server's effective settings
   * @param who the session's user
   */
  constructor(settings: GucSettings, who: { isSuperuser: boolean; userName: string }) {
    this.#isSuperuser = who.isSuperuser;
    for (const s of settings.all()) {
      const name = s.def.name.toLowerCase();
      this.#vars.set(name, { def: s.def, name: s.def.name, value: s.value, resetValue: s.value });
    }
    this.#force("is_superuser", who.isSuperuser);
    this.#force("session_authorization", who.userName);
  }

  #force(name: string, value: GucValue): void {
    const v = this.#vars.get(name);
    if (v !== undefined) {
      v.value = value;
      v.resetValue = value;
    }
  }

  /** @returns the shown value of a parameter, or undefined when it does not exist */
  show(name: string): string | undefined {
    const v = this.#vars.get(name.toLowerCase());
    if (v === undefined) return undefined;
    return v.def === undefined ? String(v.value) : formatGucValue(v.def, v.value);
  }

  /** @returns the canonical spelling of a parameter's name (`TimeZone`), or undefined */
  canonicalName(name: string): string | undefined {
    return this.#vars.get(name.toLowerCase())?.name;
  }

  /** @returns a parameter's typed value (for the session's own use: TimeZone, statement_timeout…) */
  value(name: string): GucValue {
    const v = this.#vars.get(name.toLowerCase());
    if (v === undefined) throw new TypeError(`Unknown parameter "${name}"`);
    return v.value;
  }

  /**
   * Sets a parameter (SET, set_config, startup options).
   *
   * @param name the parameter, as written
   * @param raw the value as text, or null for RESET/DEFAULT
   * @param opts LOCAL or not, whether a transaction is open, and who sets it
   * @returns the shown value afterwards
   * @throws {SqlError} 42704, 55P02, 42501, 22023, 0A000 as PostgreSQL's
   */
  set(
    name: string,
    raw: string | null,
    opts: { isLocal: boolean; inTransaction: boolean; context?: GucSetContext },
  ): string {
    const key = name.toLowerCase();
    let v = this.#vars.get(key);
    if (v === undefined) v = this.#placeholder(name);
    if (v.def !== undefined) this.#checkContext(v.def, opts.context ?? "session");
    const value = raw === null ? v.resetValue : this.#parse(v, raw);
    this.#version++;
    if (opts.context === "startup") {
      v.value = value;
      v.resetValue = value;
      return this.show(key)!;
    }
    if (opts.inTransaction) {
      let u = this.#undo.get(key);
      if (u === undefined) this.#undo.set(key, u = { prior: v.value });
      if (!opts.isLocal) u.sessionValue = value;
    }
    v.value = value;
    return this.show(key)!;
  }

  /** RESET ALL: every user-settable parameter back to its reset value. */
  resetAll(inTransaction: boolean): void {
    this.#version++;
    for (const [key, v] of this.#vars) {
      if (v.def !== undefined && (v.def.context !== "user" && v.def.context !== "superuser")) continue;
      if (v.def?.context === "superuser" && !this.#isSuperuser) continue;
      if (v.value === v.resetValue) continue;
      if (inTransaction) {
        let u = this.#undo.get(key);
        if (u === undefined) this.#undo.set(key, u = { prior: v.value });
        u.sessionValue = v.resetValue;
      }
      v.value = v.resetValue;
    }
  }

  /** End of transaction: commit keeps SETs and drops SET LOCALs; abort restores everything. */
  atEndOfTransaction(committed: boolean): void {
    if (this.#undo.size === 0) return;
    this.#version++;
    for (const [key, u] of this.#undo) {
      const v = this.#vars.get(key)!;
      v.value = committed && u.sessionValue !== undefined ? u.sessionValue : u.prior;
    }
    this.#undo.clear();
  }

  /**
   * Reported (GUC_REPORT) parameters whose shown value differs from the last
   * report, marking them reported (ReportChangedGUCOptions). The first call
   * returns all of them, in PostgreSQL's (alphabetical) order.
   *
   * @returns name/value pairs to send as ParameterStatus
   */
  takeReportChanges(): [string, string][] {
    if (this.#reportedVersion === this.#version) return [];
    this.#reportedVersion = this.#version;
    const out: [string, string][] = [];
    for (const v of this.#reportedVars()) {
      const shown = formatGucValue(v.def!, v.value);
      if (this.#reported.get(v.name) === shown) continue;
      this.#reported.set(v.name, shown);
      out.push([v.name, shown]);
    }
    return out;
  }

  #reportedVarsCache: _Var[] | undefined;
  #reportedVars(): _Var[] {
    this.#reportedVarsCache ??= [...this.#vars.values()]
      .filter((v) => v.def?.report === true)
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    return this.#reportedVarsCache;
  }

  /** @returns every parameter for SHOW ALL, sorted by name as PostgreSQL lists them */
  showAll(): { name: string; setting: string; description: string }[] {
    return [...this.#vars.values()]
      .filter((v) => v.def !== undefined)
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
      .map((v) => ({ name: v.name, setting: formatGucValue(v.def!, v.value), description: v.def!.description }));
  }

  #placeholder(name: string): _Var {
    if (!name.includes(".")) {
      throw new SqlError(SqlState.UNDEFINED_OBJECT, `unrecognized configuration parameter "${name}"`);
    }
    if (!/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)+$/.test(name)) {
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid configuration parameter name "${name}"`, {
        detail: "Custom parameter names must be two or more simple identifiers separated by dots.",
      });
    }
    if (this.#customCount >= CUSTOM_GUCS_MAX) {
      throw new SqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, `too many custom configuration parameters`);
    }
    this.#customCount++;
    const v: _Var = { def: undefined, name: name.toLowerCase(), value: "", resetValue: "" };
    this.#vars.set(name.toLowerCase(), v);
    return v;
  }

  #checkContext(def: GucDefinition, by: GucSetContext): void {
    const ctx: GucContext = def.context;
    const deny = (msg: string, code: string = SqlState.CANT_CHANGE_RUNTIME_PARAM) => {
      throw new SqlError(code, msg, by === "startup" ? { severity: "FATAL" } : {});
    };
    if (def.name === "session_authorization" && by === "session") {
      throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "SET SESSION AUTHORIZATION is not supported");
    }
    switch (ctx) {
      case "internal":
        return deny(`parameter "${def.name}" cannot be changed`);
      case "postmaster":
        return deny(`parameter "${def.name}" cannot be changed without restarting the server`);
      case "sighup":
        return deny(`parameter "${def.name}" cannot be changed now`);
      case "superuser-backend":
      case "backend":
        if (by === "session") return deny(`parameter "${def.name}" cannot be set after connection start`);
        if (ctx === "superuser-backend" && !this.#isSuperuser) {
          return deny(`permission denied to set parameter "${def.name}"`, SqlState.INSUFFICIENT_PRIVILEGE);
        }
        return;
      case "superuser":
        if (!this.#isSuperuser) {
          return deny(`permission denied to set parameter "${def.name}"`, SqlState.INSUFFICIENT_PRIVILEGE);
        }
        return;
      case "user":
        return;
    }
  }

  #parse(v: _Var, raw: string): GucValue {
    if (v.def === undefined) return raw;
    const value = parseGucValue(v.def, raw);
    return _checkSpecial(v.def, value);
  }
}

/** Values denogres accepts only in the forms it implements (see module notes). */
function _checkSpecial(def: GucDefinition, value: GucValue): GucValue {
  const s = String(value);
  switch (def.name) {
    case "TimeZone": {
      if (resolveTimeZone(s) === undefined) {
        throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "TimeZone": "${s}"`);
      }
      return /^(utc|gmt|z|etc\/utc|uct|zulu)$/i.test(s) ? "UTC" : s;
    }
    case "DateStyle": {
      const parts = s.split(",").map((p) => p.trim().toUpperCase()).filter((p) => p !== "");
      const order = parts.find((p) =>
        ["MDY", "DMY", "YMD", "US", "EURO", "EUROPEAN", "NONEURO", "NONEUROPEAN"].includes(p)
      );
      const style = parts.find((p) =>
        !["MDY", "DMY", "YMD", "US", "EURO", "EUROPEAN", "NONEURO", "NONEUROPEAN"].includes(p)
      );
      if (style !== undefined && style !== "ISO") {
        if (["POSTGRES", "SQL", "GERMAN"].includes(style)) {
          throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `DateStyle "${style}" is not supported`);
        }
        throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "DateStyle": "${s}"`, {
          detail: `Unrecognized key word: "${style.toLowerCase()}".`,
        });
      }
      const o = order === undefined
        ? "MDY"
        : order.startsWith("EURO") || order === "DMY"
        ? "DMY"
        : order === "YMD"
        ? "YMD"
        : "MDY";
      return `ISO, ${o}`;
    }
    case "IntervalStyle":
      if (s !== "postgres") throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `IntervalStyle "${s}" is not supported`);
      return value;
    case "client_encoding": {
      const enc = s.toUpperCase().replace(/[-_]/g, "");
      if (enc === "UTF8" || enc === "UNICODE") return "UTF8";
      // SQL_ASCII means "no conversion": bytes pass as they are, which is what a UTF8 server does for it.
      if (enc === "SQLASCII") return "SQL_ASCII";
      throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `client_encoding "${s}" is not supported`, {
        detail: "denogres only converts UTF8.",
      });
    }
    default:
      return value;
  }
}

/**
 * Is this parameter a list (values of a multi-valued SET are joined with ", ")?
 *
 * @param name lower-case name
 * @returns true for search_path, DateStyle and custom parameters
 */
export function isListParameter(name: string): boolean {
  return _LIST_PARAMS.has(name) || name.includes(".");
}
