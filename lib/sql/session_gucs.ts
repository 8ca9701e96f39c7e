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

/**
 * Where a value came from, lowest priority first (PostgreSQL's GucSource, reduced): the server's settings (defaults,
 * files, command line), the client's startup packet, a SET in the session. A reload replaces only `server` values.
 */
type _Source = "server" | "client" | "session";

interface _Sourced {
  value: GucValue;
  source: _Source;
}

interface _Var {
  readonly def: GucDefinition | undefined; // undefined: a custom placeholder (string)
  readonly name: string;
  value: GucValue;
  source: _Source;
  /** The value RESET returns to. */
  resetValue: GucValue;
  resetSource: _Source;
}

interface _Undo {
  /** Value before the transaction touched it. */
  prior: _Sourced;
  /** Value of the last non-LOCAL SET (or RESET) in the transaction, kept at commit. */
  session?: _Sourced;
}

/**
 * Parameters of the transaction in progress (PostgreSQL's XactIsoLevel, XactReadOnly): a SET lasts until the
 * transaction ends, as SET LOCAL; otherwise they show the `default_…` parameter that each transaction starts with.
 */
const _PER_TRANSACTION: ReadonlyMap<string, string> = new Map([
  ["transaction_isolation", "default_transaction_isolation"],
  ["transaction_read_only", "default_transaction_read_only"],
]);

/** Contexts whose values a reload changes in a running session (PostgreSQL ignores `backend` ones there). */
const _RELOADABLE_CONTEXTS: ReadonlySet<GucContext> = new Set(["sighup", "superuser", "user"]);

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
      this.#vars.set(name, {
        def: s.def,
        name: s.def.name,
        value: s.value,
        source: "server",
        resetValue: s.value,
        resetSource: "server",
      });
    }
    this.#force("is_superuser", who.isSuperuser);
    this.#force("session_authorization", who.userName);
  }

  #force(name: string, value: GucValue): void {
    const v = this.#vars.get(name);
    if (v !== undefined) {
      v.value = value;
      v.resetValue = value;
      v.source = v.resetSource = "client";
    }
  }

  /** @returns the shown value of a parameter, or undefined when it does not exist */
  show(name: string): string | undefined {
    const v = this.#current(name.toLowerCase());
    if (v === undefined) return undefined;
    return v.def === undefined ? String(v.value) : formatGucValue(v.def, v.value);
  }

  /** @returns the canonical spelling of a parameter's name (`TimeZone`), or undefined */
  canonicalName(name: string): string | undefined {
    return this.#vars.get(name.toLowerCase())?.name;
  }

  /** @returns a parameter's typed value (for the session's own use: TimeZone, statement_timeout…) */
  value(name: string): GucValue {
    const v = this.#current(name.toLowerCase());
    if (v === undefined) throw new TypeError(`Unknown parameter "${name}"`);
    return v.value;
  }

  /** A parameter's entry, or for a per-transaction one not set in this transaction, its `default_…` one. */
  #current(key: string): _Var | undefined {
    const defaultKey = _PER_TRANSACTION.get(key);
    return this.#vars.get(defaultKey !== undefined && !this.#undo.has(key) ? defaultKey : key);
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
    const next: _Sourced = raw === null
      ? { value: v.resetValue, source: v.resetSource }
      : { value: this.#parse(v, raw), source: opts.context === "startup" ? "client" : "session" };
    this.#version++;
    if (opts.context === "startup") {
      v.value = v.resetValue = next.value;
      v.source = v.resetSource = next.source;
      return this.show(key)!;
    }
    if (opts.inTransaction) {
      const u = this.#undoOf(key, v);
      if (!opts.isLocal && !_PER_TRANSACTION.has(key)) u.session = next;
    }
    v.value = next.value;
    v.source = next.source;
    return this.show(key)!;
  }

  /** RESET ALL: every user-settable parameter back to its reset value. */
  resetAll(inTransaction: boolean): void {
    this.#version++;
    for (const [key, v] of this.#vars) {
      if (v.def !== undefined && (v.def.context !== "user" && v.def.context !== "superuser")) continue;
      if (v.def?.context === "superuser" && !this.#isSuperuser) continue;
      if (v.value === v.resetValue && v.source === v.resetSource) continue;
      if (inTransaction) this.#undoOf(key, v).session = { value: v.resetValue, source: v.resetSource };
      v.value = v.resetValue;
      v.source = v.resetSource;
    }
  }

  #undoOf(key: string, v: _Var): _Undo {
    let u = this.#undo.get(key);
    if (u === undefined) this.#undo.set(key, u = { prior: { value: v.value, source: v.source } });
    return u;
  }

  /**
   * Applies the server's settings after a configuration reload (SIGHUP), as
   * PostgreSQL's ProcessConfigFile() in a backend: a value that came from the
   * server's settings takes the new one, in force, as RESET's target and as
   * what a transaction in progress would restore; a value the client gave
   * at connection start or a SET gave stays. Parameters that only a new
   * connection (or a restart) may change are left alone.
   *
   * @param settings the server's settings just reloaded
   */
  reload(settings: GucSettings): void {
    for (const s of settings.all()) {
      if (!_RELOADABLE_CONTEXTS.has(s.def.context)) continue;
      const key = s.def.name.toLowerCase();
      const v = this.#vars.get(key)!;
      if (v.resetSource === "server") v.resetValue = s.value;
      if (v.source === "server" && v.value !== s.value) {
        v.value = s.value;
        this.#version++;
      }
      const u = this.#undo.get(key);
      if (u?.prior.source === "server") u.prior.value = s.value;
      if (u?.session?.source === "server") u.session.value = s.value;
    }
  }

  /** End of transaction: commit keeps SETs and drops SET LOCALs; abort restores everything. */
  atEndOfTransaction(committed: boolean): void {
    if (this.#undo.size === 0) return;
    this.#version++;
    for (const [key, u] of this.#undo) {
      const v = this.#vars.get(key)!;
      const kept = committed && u.session !== undefined ? u.session : u.prior;
      v.value = kept.value;
      v.source = kept.source;
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
      .map((v) => ({ name: v.name, setting: this.show(v.name)!, description: v.def!.description }));
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
    const v: _Var = {
      def: undefined,
      name: name.toLowerCase(),
      value: "",
      source: "server",
      resetValue: "",
      resetSource: "server",
    };
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
