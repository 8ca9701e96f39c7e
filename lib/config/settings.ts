/**
 * settings.ts — a cluster's effective configuration: defaults, then
 * environment variables (`PGPORT`), then postgresql.conf, then
 * postgresql.auto.conf, then command-line `-c` options.
 *
 * PostgreSQL counterpart: InitializeGUCOptionsFromEnvironment(),
 * ProcessConfigFile() and set_config_option() in
 * src/backend/utils/misc/guc-file.l and guc.c.
 *
 * NOTES
 * Loading never half-applies: it returns either complete settings or the
 * list of every error found. The phases are PostgreSQL's: options from the
 * environment and the command line are checked first, and the first bad one
 * is an error of its own (FATAL at start, blaming no file); then syntax
 * errors (postgresql.conf first: its errors stop the load), then unknown
 * names (with file and line), then values (without them). The postmaster
 * turns errors at start into FATAL `configuration file "…" contains errors`,
 * naming the file with the last error, and at reload into a LOG line with
 * no change applied. Requires `--allow-read` on the data directory, and
 * `--allow-env=PGPORT` for {@link gucOptionsFromEnvironment}.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { type ConfEntry, parseConfFile } from "./conf_file.ts";
import { findGuc, GUC_DEFINITIONS, type GucDefinition, type GucName } from "./guc_tables.ts";
import { formatGucValue, type GucValue, parseGucValue } from "./guc_values.ts";

/** Where a value came from, lowest priority first (PostgreSQL's GucSource, abridged). */
export type GucSource = "default" | "environment variable" | "file" | "command line" | "session";

/** A parameter set by name and text, from the command line or the environment. */
export interface GucOption {
  readonly name: string;
  readonly value: string;
}

/** One error found in the configuration files, as PostgreSQL logs it. */
export interface ConfigError {
  readonly message: string;
  readonly hint?: string;
}

/** One effective value and its origin. */
export interface GucSetting {
  readonly def: GucDefinition;
  readonly value: GucValue;
  readonly source: GucSource;
  /** File and line for values from a configuration file. */
  readonly file?: string;
  readonly line?: number;
}

/** Errors found in the configuration files; nothing was applied. */
export class ConfigFileError extends Error {
  /** Each error, in PostgreSQL's words (syntax errors and unknown names say their file and line). */
  readonly errors: readonly ConfigError[];
  /**
   * The file PostgreSQL's message names: the one with the last error found
   * (for syntax errors in postgresql.auto.conf, its name relative to the
   * data directory, as PostgreSQL prints it).
   */
  readonly file: string;
  /**
   * @param file the file to name
   * @param errors every error found
   */
  constructor(file: string, errors: readonly ConfigError[]) {
    super(`configuration file "${file}" contains errors`);
    this.name = "ConfigFileError";
    this.file = file;
    this.errors = errors;
  }
}

/**
 * An immutable set of effective parameter values.
 *
 * @example
 * ```ts
 * const s = GucSettings.defaults();
 * s.int("port"); // 5432
 * s.show("shared_buffers"); // "128MB"
 * ```
 */
export class GucSettings {
  readonly #values: ReadonlyMap<string, GucSetting>;

  private constructor(values: ReadonlyMap<string, GucSetting>) {
    this.#values = values;
  }

  /** @returns settings with every parameter at its default */
  static defaults(): GucSettings {
    return new GucSettings(
      new Map(GUC_DEFINITIONS.map((d) => [d.name, { def: d, value: d.default, source: "default" as const }])),
    );
  }

  /**
   * @param name a known parameter
   * @returns its setting with source
   */
  setting(name: GucName): GucSetting {
    const s = this.#values.get(name);
    if (s === undefined) throw new TypeError(`Unknown parameter "${name}"`);
    return s;
  }

  /** @returns the value of a parameter */
  get(name: GucName): GucValue {
    return this.setting(name).value;
  }

  /** @returns an integer parameter's value, in its base unit */
  int(name: GucName): number {
    return this.#number(name);
  }

  /** @returns a real parameter's value */
  real(name: GucName): number {
    return this.#number(name);
  }

  /** @returns a boolean parameter's value */
  bool(name: GucName): boolean {
    const v = this.get(name);
    if (typeof v !== "boolean") throw new TypeError(`Parameter "${name}" is not a boolean`);
    return v;
  }

  /** @returns a string or enum parameter's value */
  str(name: GucName): string {
    const v = this.get(name);
    if (typeof v !== "string") throw new TypeError(`Parameter "${name}" is not a string`);
    return v;
  }

  /** @returns the value as `SHOW` displays it (`128MB`, `on`) */
  show(name: GucName): string {
    const s = this.setting(name);
    return formatGucValue(s.def, s.value);
  }

  /** @returns every setting, in table order */
  all(): GucSetting[] {
    return [...this.#values.values()];
  }

  /**
   * Returns new settings with one value replaced; checks nothing about
   * context (callers decide who may change what).
   *
   * @param name the parameter
   * @param value already parsed and validated
   * @param source where it came from
   * @returns the new settings
   */
  with(name: GucName, value: GucValue, source: GucSource, where?: { file: string; line: number }): GucSettings {
    const def = this.setting(name).def;
    const next = new Map(this.#values);
    next.set(name, { def, value, source, ...where });
    return new GucSettings(next);
  }

  #number(name: GucName): number {
    const v = this.get(name);
    if (typeof v !== "number") throw new TypeError(`Parameter "${name}" is not a number`);
    return v;
  }
}

/** Parses one value as set_config_option() does at postmaster start; any context but `internal` may be set. */
function _parseSetting(def: GucDefinition, value: string): GucValue {
  if (def.context === "internal") {
    throw new SqlError(SqlState.CANT_CHANGE_RUNTIME_PARAM, `parameter "${def.name}" cannot be changed`);
  }
  return parseGucValue(def, value);
}

/**
 * Checks an option of the command line or the environment as PostgreSQL's
 * SetConfigOption() does at postmaster start.
 *
 * @param option the parameter's name (any case) and value as written
 * @returns its definition and parsed value
 * @throws {SqlError} `unrecognized configuration parameter "…"`, `parameter "…" cannot be changed`, or the value's error
 */
export function checkGucOption(option: GucOption): { def: GucDefinition; value: GucValue } {
  const def = findGuc(option.name);
  if (def === undefined) {
    throw new SqlError(SqlState.UNDEFINED_OBJECT, `unrecognized configuration parameter "${option.name}"`);
  }
  return { def, value: _parseSetting(def, option.value) };
}

/** Environment variables that set a parameter, as InitializeGUCOptionsFromEnvironment() (PGDATESTYLE and PGCLIENTENCODING not yet). */
const _ENVIRONMENT_PARAMETERS: readonly (readonly [string, GucName])[] = [["PGPORT", "port"]];

/**
 * Returns the parameters the environment sets, as PostgreSQL's postmaster
 * reads them: `PGPORT` sets `port` below the configuration files and the
 * command line. A variable set to the empty string counts (and is an
 * invalid port, as in PostgreSQL).
 *
 * @param getenv reads a variable (default `Deno.env.get`)
 * @returns the options, for {@link loadSettings}'s `environment`
 */
export function gucOptionsFromEnvironment(
  getenv: (name: string) => string | undefined = (name) => Deno.env.get(name),
): GucOption[] {
  const out: GucOption[] = [];
  for (const [variable, name] of _ENVIRONMENT_PARAMETERS) {
    const value = getenv(variable);
    if (value !== undefined) out.push({ name, value });
  }
  return out;
}

async function _readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** The entries of both files, or the syntax errors that stop the load (PostgreSQL does not go on past them). */
async function _readConfFiles(dataDir: string): Promise<ConfEntry[]> {
  const mainFile = `${dataDir}/postgresql.conf`;
  const main = parseConfFile(await Deno.readTextFile(mainFile), mainFile);
  if (main.errors.length > 0) throw new ConfigFileError(mainFile, main.errors.map((e) => ({ message: e.message })));
  const autoText = await _readOptional(`${dataDir}/postgresql.auto.conf`);
  if (autoText === undefined) return main.entries;
  const auto = parseConfFile(autoText, `${dataDir}/postgresql.auto.conf`);
  if (auto.errors.length > 0) {
    // PostgreSQL names this one by its relative name (PG_AUTOCONF_FILENAME) in the FATAL, not the path.
    throw new ConfigFileError("postgresql.auto.conf", auto.errors.map((e) => ({ message: e.message })));
  }
  return [...main.entries, ...auto.entries];
}

/**
 * The line that counts for each parameter (the last; an earlier one is ignored, as in PostgreSQL).
 *
 * @throws {ConfigFileError} naming every unknown parameter: names are checked before any value
 */
function _lastEntries(entries: readonly ConfEntry[]): Map<string, ConfEntry> {
  const errors: ConfigError[] = [];
  let errorFile = "";
  const lastEntry = new Map<string, ConfEntry>();
  for (const entry of entries) {
    const def = findGuc(entry.name);
    if (def === undefined) {
      errors.push({
        message: `unrecognized configuration parameter "${entry.name}" in file "${entry.file}" line ${entry.line}`,
      });
      errorFile = entry.file;
    } else {
      lastEntry.set(def.name, entry);
    }
  }
  if (errors.length > 0) throw new ConfigFileError(errorFile, errors);
  return lastEntry;
}

/** Applies the files' entries over `settings` as ProcessConfigFile() at start: names first, then the last value of each. */
function _applyConfEntries(settings: GucSettings, entries: readonly ConfEntry[]): GucSettings {
  const errors: ConfigError[] = [];
  let errorFile = "";
  const lastEntry = _lastEntries(entries);
  for (const entry of entries) {
    const def = findGuc(entry.name)!;
    if (lastEntry.get(def.name) !== entry) continue;
    try {
      const value = _parseSetting(def, entry.value);
      settings = settings.with(def.name as GucName, value, "file", { file: entry.file, line: entry.line });
    } catch (e) {
      if (!(e instanceof SqlError)) throw e;
      errors.push({ message: e.message, hint: e.hint });
      errorFile = entry.file;
    }
  }
  if (errors.length > 0) throw new ConfigFileError(errorFile, errors);
  return settings;
}

/**
 * Loads a data directory's configuration: defaults, `environment` options,
 * `postgresql.conf` (required), `postgresql.auto.conf` (optional), then
 * `commandLine` options.
 *
 * @param dataDir the data directory
 * @param commandLine `-c name=value` options and flags such as `-p`, in order
 * @param environment options from {@link gucOptionsFromEnvironment}
 * @returns the effective settings
 * @throws {SqlError} for the first bad option of `environment` or `commandLine`, before any file is read
 * @throws {ConfigFileError} listing the files' errors; nothing is applied
 * @throws {Deno.errors.NotFound} when postgresql.conf is missing
 */
export async function loadSettings(
  dataDir: string,
  commandLine: readonly GucOption[] = [],
  environment: readonly GucOption[] = [],
): Promise<GucSettings> {
  let settings = GucSettings.defaults();
  for (const option of environment) {
    const { def, value } = checkGucOption(option);
    settings = settings.with(def.name as GucName, value, "environment variable");
  }
  const fromCommandLine = commandLine.map(checkGucOption);
  settings = _applyConfEntries(settings, await _readConfFiles(dataDir));
  for (const { def, value } of fromCommandLine) settings = settings.with(def.name as GucName, value, "command line");
  return settings;
}

/** What a reload (SIGHUP) did, for the caller to log: PostgreSQL's ProcessConfigFile() in a running process. */
export interface ReloadOutcome {
  /** The settings to run with from now on. */
  readonly settings: GucSettings;
  /** What to log, in PostgreSQL's order: parameters removed from the files first, then each file line's outcome. */
  readonly messages: readonly ConfigError[];
  /** Whether some reloadable parameter's value changed. */
  readonly changed: boolean;
  /**
   * When some line could not be applied (a bad value, a restart-only
   * parameter changed), the file that had the last of them: the caller logs
   * `configuration file "…" contains errors; unaffected changes were applied`.
   */
  readonly errorFile?: string;
}

/**
 * Re-reads the configuration files over the running settings, as
 * PostgreSQL's ProcessConfigFile(PGC_SIGHUP): a syntax error or an unknown
 * parameter changes nothing (thrown); otherwise every line that can be
 * applied is, a bad value keeps the parameter as it was, a changed
 * restart-only parameter keeps its running value and says so, a parameter
 * no longer in the files goes back to its default (or its environment
 * value). Command-line values are never replaced.
 *
 * @param running the settings in force
 * @param dataDir the data directory
 * @param environment options from {@link gucOptionsFromEnvironment} (what a parameter removed from the files returns to)
 * @returns the new settings and what to log
 * @throws {ConfigFileError} for syntax errors or unknown parameters; nothing is applied
 * @throws {Deno.errors.NotFound} when postgresql.conf is missing
 */
export async function reloadSettings(
  running: GucSettings,
  dataDir: string,
  environment: readonly GucOption[] = [],
): Promise<ReloadOutcome> {
  const entries = await _readConfFiles(dataDir);
  const last = _lastEntries(entries);
  const messages: ConfigError[] = [];
  let errorFile: string | undefined;
  let changed = false;
  let settings = running;
  const fromEnvironment = new Map(environment.map((o) => {
    const { def, value } = checkGucOption(o);
    return [def.name, value] as const;
  }));
  /**
   * Applies one new value (true when it changed), or keeps the running one of a restart-only parameter, which is an
   * error against `file`.
   */
  const apply = (
    def: GucDefinition,
    value: GucValue,
    source: GucSource,
    where: { file: string; line: number } | undefined,
    file: string,
  ): boolean => {
    const name = def.name as GucName;
    const old = running.setting(name);
    if (old.value !== value && (def.context === "postmaster" || def.context === "internal")) {
      messages.push({ message: `parameter "${name}" cannot be changed without restarting the server` });
      errorFile = file;
      return false;
    }
    settings = settings.with(name, value, source, where);
    if (old.value === value) return false;
    changed = true;
    return true;
  };
  const mainFile = `${dataDir}/postgresql.conf`;
  for (const old of running.all()) {
    if (old.source !== "file" || last.has(old.def.name)) continue;
    const envValue = fromEnvironment.get(old.def.name);
    const restartOnly = old.def.context === "postmaster" || old.def.context === "internal";
    if (!restartOnly) {
      messages.push({ message: `parameter "${old.def.name}" removed from configuration file, reset to default` });
    }
    apply(
      old.def,
      envValue ?? old.def.default,
      envValue === undefined ? "default" : "environment variable",
      undefined,
      mainFile,
    );
  }
  for (const entry of entries) {
    const def = findGuc(entry.name)!;
    if (last.get(def.name) !== entry || running.setting(def.name as GucName).source === "command line") continue;
    let value: GucValue;
    try {
      value = _parseSetting(def, entry.value);
    } catch (e) {
      if (!(e instanceof SqlError)) throw e;
      messages.push({ message: e.message, hint: e.hint });
      errorFile = entry.file;
      continue;
    }
    if (apply(def, value, "file", { file: entry.file, line: entry.line }, entry.file)) {
      messages.push({ message: `parameter "${def.name}" changed to "${formatGucValue(def, value)}"` });
    }
  }
  return { settings, messages, changed, errorFile };
}
