/**
 * settings.ts — a cluster's effective configuration: defaults, then
 * postgresql.conf, then postgresql.auto.conf, then command-line `-c` options.
 *
 * PostgreSQL counterpart: ProcessConfigFile() and set_config_option() in
 * src/backend/utils/misc/guc-file.l and guc.c.
 *
 * NOTES
 * Loading never half-applies: it returns either complete settings or the
 * list of every error found, each naming its file and line. The postmaster
 * turns errors at start into FATAL `configuration file "…" contains errors`,
 * and at reload into a LOG line with no change applied, as PostgreSQL does.
 * Requires `--allow-read` on the data directory.
 *
 * @module
 */

import { SqlError } from "../common/errors.ts";
import { type ConfEntry, parseConfFile } from "./conf_file.ts";
import { findGuc, GUC_DEFINITIONS, type GucDefinition, type GucName } from "./guc_tables.ts";
import { formatGucValue, type GucValue, parseGucValue } from "./guc_values.ts";

/** Where a value came from, lowest priority first (PostgreSQL's GucSource, abridged). */
export type GucSource = "default" | "file" | "command line" | "session";

/** One effective value and its origin. */
export interface GucSetting {
  readonly def: GucDefinition;
  readonly value: GucValue;
  readonly source: GucSource;
  /** File and line for values from a configuration file. */
  readonly file?: string;
  readonly line?: number;
}

/** Errors found while loading configuration; nothing was applied. */
export class ConfigFileError extends Error {
  /** Each error, with file and line where known. */
  readonly errors: readonly string[];
  /** The main configuration file's path. */
  readonly file: string;
  /**
   * @param file the main configuration file
   * @param errors every error found
   */
  constructor(file: string, errors: readonly string[]) {
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

function _apply(
  settings: GucSettings,
  entry: ConfEntry | { name: string; value: string },
  source: GucSource,
  errors: string[],
): GucSettings {
  const where = "file" in entry ? ` in file "${entry.file}" line ${entry.line}` : "";
  const def = findGuc(entry.name);
  if (def === undefined) {
    errors.push(`unrecognized configuration parameter "${entry.name}"${where}`);
    return settings;
  }
  if (def.context === "internal") {
    errors.push(`parameter "${def.name}" cannot be changed${where}`);
    return settings;
  }
  try {
    const value = parseGucValue(def, entry.value);
    const pos = "file" in entry ? { file: entry.file, line: entry.line } : undefined;
    return settings.with(def.name as GucName, value, source, pos);
  } catch (e) {
    if (!(e instanceof SqlError)) throw e;
    errors.push(`${e.message}${where}`);
    return settings;
  }
}

async function _readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * Loads a data directory's configuration: defaults, `postgresql.conf`
 * (required), `postgresql.auto.conf` (optional), then `commandLine` options.
 *
 * @param dataDir the data directory
 * @param commandLine `-c name=value` options and flags such as `-p`, in order
 * @returns the effective settings
 * @throws {ConfigFileError} listing every error; nothing is applied
 * @throws {Deno.errors.NotFound} when postgresql.conf is missing
 */
export async function loadSettings(
  dataDir: string,
  commandLine: readonly { name: string; value: string }[] = [],
): Promise<GucSettings> {
  const mainFile = `${dataDir}/postgresql.conf`;
  const errors: string[] = [];
  let settings = GucSettings.defaults();
  for (const [file, required] of [[mainFile, true], [`${dataDir}/postgresql.auto.conf`, false]] as const) {
    const text = required ? await Deno.readTextFile(file) : await _readOptional(file);
    if (text === undefined) continue;
    const parsed = parseConfFile(text, file);
    errors.push(...parsed.errors.map((e) => e.message));
    for (const entry of parsed.entries) settings = _apply(settings, entry, "file", errors);
  }
  for (const opt of commandLine) settings = _apply(settings, opt, "command line", errors);
  if (errors.length > 0) throw new ConfigFileError(mainFile, errors);
  return settings;
}

/** What a reload changes, for the postmaster to log and apply. */
export interface ReloadDiff {
  /** Reloadable parameters whose value changed: `parameter "x" changed to "y"`. */
  readonly changed: readonly { name: GucName; value: string }[];
  /** Postmaster-context parameters changed in the file: need a restart. */
  readonly needRestart: readonly GucName[];
  /** The settings to use from now on (restart-only values kept as they were). */
  readonly settings: GucSettings;
}

/**
 * Compares freshly loaded settings with the running ones, as PostgreSQL's
 * reload does: reloadable changes apply, `postmaster` ones wait for a restart.
 *
 * @param running the settings in force
 * @param loaded the settings just read from the files
 * @returns what changed and the settings to run with
 */
export function diffForReload(running: GucSettings, loaded: GucSettings): ReloadDiff {
  const changed: { name: GucName; value: string }[] = [];
  const needRestart: GucName[] = [];
  let next = loaded;
  for (const s of loaded.all()) {
    const name = s.def.name as GucName;
    const old = running.setting(name);
    if (old.value === s.value) continue;
    if (s.def.context === "postmaster" || s.def.context === "internal") {
      needRestart.push(name);
      next = next.with(
        name,
        old.value,
        old.source,
        old.file === undefined ? undefined : { file: old.file, line: old.line ?? 0 },
      );
    } else {
      changed.push({ name, value: loaded.show(name) });
    }
  }
  return { changed, needRestart, settings: next };
}
