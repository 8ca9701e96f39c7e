/**
 * options.ts — initdb's command line: the options PostgreSQL's initdb has
 * that denogres honours, their checks, and the resolved {@link InitdbOptions}.
 *
 * PostgreSQL counterpart: main(), usage(), check_authmethod_valid(),
 * check_need_password() and setup_pgdata() in src/bin/initdb/initdb.c.
 *
 * NOTES
 * Every mistake found here is a usage error (lib/cli's UsageError: one line,
 * a hint, exit 1) and is found before anything is written. Differences from
 * PostgreSQL, each deliberate: the encoding is UTF8 and the locale C, always
 * (other values are refused, naming what is supported); data checksums are
 * always on, so `-k` is accepted and changes nothing; `--auth-local` and
 * `--auth-host` override `-A` whatever their order; only the authentication
 * methods denogres implements are accepted.
 * Requires `--allow-env=PGDATA`.
 *
 * @module
 */

import { Option } from "@commander-js/extra-typings";
import { dataDirectoryFrom, newProgram, UsageError, usePgStyleHelp } from "../cli/mod.ts";
import { findGuc } from "../config/mod.ts";
import { normalize } from "node:path";

/** Authentication methods denogres's client authentication implements (see lib/auth). */
export const AUTH_METHODS = ["trust", "reject", "password", "md5", "scram-sha-256"] as const;
/** One of {@link AUTH_METHODS}. */
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** The only server encoding denogres stores text in. */
export const SERVER_ENCODING = "UTF8";
/** The only locale denogres implements (collation and character classes by code point). */
export const CLUSTER_LOCALE = "C";

/** Smallest and largest `--wal-segsize`, in megabytes (PostgreSQL's WalSegMinSize/WalSegMaxSize). */
export const WAL_SEGMENT_SIZE_MIN_MB = 1;
/** See {@link WAL_SEGMENT_SIZE_MIN_MB}. */
export const WAL_SEGMENT_SIZE_MAX_MB = 1024;

const _NO_DATA_DIR_HINT = "You must identify the directory where the data for this database system will reside.  " +
  "Do this with either the invocation option -D or the environment variable PGDATA.";

// PostgreSQL's server encodings (pg_enc2name_tbl, PG_VALID_BE_ENCODING), normalised as
// pg_char_to_encoding compares them: lower case, letters and digits only.
const _PG_SERVER_ENCODINGS = new Set([
  "sqlascii",
  "eucjp",
  "euccn",
  "euckr",
  "euctw",
  "eucjis2004",
  "utf8",
  "unicode",
  "muleinternal",
  "latin1",
  "latin2",
  "latin3",
  "latin4",
  "latin5",
  "latin6",
  "latin7",
  "latin8",
  "latin9",
  "latin10",
  "win1256",
  "win1258",
  "win866",
  "win874",
  "koi8r",
  "win1251",
  "win1252",
  "iso88595",
  "iso88596",
  "iso88597",
  "iso88598",
  "win1250",
  "win1253",
  "win1254",
  "win1255",
  "win1257",
  "koi8u",
]);

/** initdb's settings, checked and resolved from the command line and environment. */
export interface InitdbOptions {
  /** The data directory, canonical (`./data/` -> `data`), as initdb's messages show it. */
  readonly dataDir: string;
  /** The data directory as the user gave it, for the `ctl -D … start` line. */
  readonly dataDirAsGiven: string;
  /** `-U`: the superuser's name; undefined means the operating-system user's. */
  readonly superuser?: string;
  /** Method for `local` (Unix-socket) lines of pg_hba.conf. */
  readonly authLocal: AuthMethod;
  /** Method for `host` (TCP/IP) lines of pg_hba.conf. */
  readonly authHost: AuthMethod;
  /** True when a method was left to the `trust` default: initdb then warns, as PostgreSQL. */
  readonly authWarning: boolean;
  /** `--pwfile`: read the superuser's password from the first line of this file. */
  readonly pwfile?: string;
  /** `-W`: prompt for the superuser's password. */
  readonly pwprompt: boolean;
  /** `--wal-segsize`, in bytes. */
  readonly walSegmentSizeBytes: number;
  /** True when `-E` was given (then initdb does not say it chose the encoding). */
  readonly encodingGiven: boolean;
  /** `-N`: skip the final fsync of everything written. */
  readonly noSync: boolean;
  /** `-n`: leave the data directory behind after a failure. */
  readonly noClean: boolean;
  /** `--no-instructions`: do not print how to start the server. */
  readonly noInstructions: boolean;
}

/** The options as commander parses them, before checks. */
export interface InitdbRawOptions {
  auth?: string;
  authHost?: string;
  authLocal?: string;
  pgdata?: string;
  encoding?: string;
  dataChecksums?: true;
  /** A locale name, or false for `--no-locale`. */
  locale?: string | false;
  pwfile?: string;
  username?: string;
  pwprompt?: true;
  walSegsize?: string;
  /** False for `-n/--no-clean`. */
  clean: boolean;
  /** False for `-N/--no-sync`. */
  sync: boolean;
  /** False for `--no-instructions`. */
  instructions: boolean;
}

function _authMethod(value: string | undefined, kind: "local" | "host"): AuthMethod | undefined {
  if (value === undefined) return undefined;
  const m = AUTH_METHODS.find((a) => a === value);
  if (m === undefined) {
    throw new UsageError(
      `invalid authentication method "${value}" for "${kind}" connections`,
      `denogres supports the methods ${AUTH_METHODS.map((a) => `"${a}"`).join(", ")}.`,
    );
  }
  return m;
}

function _needsPassword(m: AuthMethod): boolean {
  return m === "password" || m === "md5" || m === "scram-sha-256";
}

function _checkEncoding(encoding: string | undefined): void {
  if (encoding === undefined) return;
  const normalized = encoding.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (normalized === "utf8" || normalized === "unicode") return;
  if (!_PG_SERVER_ENCODINGS.has(normalized)) {
    throw new UsageError(`"${encoding}" is not a valid server encoding name`);
  }
  throw new UsageError(
    `encoding "${encoding}" is not supported`,
    `denogres stores all text as ${SERVER_ENCODING}; omit -E or use -E ${SERVER_ENCODING}.`,
  );
}

function _checkLocale(locale: string | undefined): void {
  if (locale === undefined || locale === "C" || locale === "POSIX") return;
  throw new UsageError(
    `locale "${locale}" is not supported`,
    `denogres implements the ${CLUSTER_LOCALE} locale only; omit --locale or use --no-locale.`,
  );
}

function _walSegmentSizeBytes(text: string | undefined): number {
  if (text === undefined) return (findGuc("wal_segment_size")?.default as number);
  if (!/^\d+$/.test(text)) throw new UsageError("argument of --wal-segsize must be a number");
  const mb = Number(text);
  if (mb < WAL_SEGMENT_SIZE_MIN_MB || mb > WAL_SEGMENT_SIZE_MAX_MB || (mb & (mb - 1)) !== 0) {
    throw new UsageError(
      `argument of --wal-segsize must be a power of 2 between ${WAL_SEGMENT_SIZE_MIN_MB} and ${WAL_SEGMENT_SIZE_MAX_MB}`,
    );
  }
  return mb * 1024 * 1024;
}

/**
 * Shows a data directory as PostgreSQL's canonicalize_path does: `.`, `..`
 * and doubled slashes resolved, no trailing slash.
 *
 * @param path the path as given
 * @returns the canonical path
 */
export function canonicalizePath(path: string): string {
  const n = normalize(path);
  return n.length > 1 ? n.replace(/\/+$/, "") : n;
}

/**
 * Checks and resolves initdb's options, as PostgreSQL's initdb checks them
 * before writing anything.
 *
 * @param positional the `[DATADIR]` argument, if given
 * @param raw the parsed options
 * @returns the resolved options
 * @throws {UsageError} on any mistake: unknown authentication method, a
 *   password method with no password, a bad `--wal-segsize`, an unsupported
 *   encoding or locale, no data directory
 */
export function resolveInitdbOptions(positional: string | undefined, raw: InitdbRawOptions): InitdbOptions {
  if (raw.pwprompt && raw.pwfile !== undefined) {
    throw new UsageError("password prompt and password file cannot be specified together");
  }
  const authLocal = _authMethod(raw.authLocal, "local") ?? _authMethod(raw.auth, "local");
  const authHost = _authMethod(raw.authHost, "host") ?? _authMethod(raw.auth, "host");
  const local = authLocal ?? "trust";
  const host = authHost ?? "trust";
  if (_needsPassword(local) && _needsPassword(host) && !raw.pwprompt && raw.pwfile === undefined) {
    throw new UsageError("must specify a password for the superuser to enable password authentication");
  }
  const walSegmentSizeBytes = _walSegmentSizeBytes(raw.walSegsize);
  if (raw.username !== undefined && raw.username.startsWith("pg_")) {
    throw new UsageError(`superuser name "${raw.username}" is disallowed; role names cannot begin with "pg_"`);
  }
  _checkEncoding(raw.encoding);
  _checkLocale(raw.locale === false ? CLUSTER_LOCALE : raw.locale);
  if (raw.pgdata !== undefined && positional !== undefined) {
    throw new UsageError(`too many command-line arguments (first is "${positional}")`);
  }
  const given = dataDirectoryFrom(raw.pgdata ?? positional, _NO_DATA_DIR_HINT);
  return {
    dataDir: canonicalizePath(given),
    dataDirAsGiven: given,
    superuser: raw.username === "" ? undefined : raw.username,
    authLocal: local,
    authHost: host,
    authWarning: authLocal === undefined || authHost === undefined,
    pwfile: raw.pwfile,
    pwprompt: raw.pwprompt === true,
    walSegmentSizeBytes,
    encodingGiven: raw.encoding !== undefined,
    noSync: !raw.sync,
    noClean: !raw.clean,
    noInstructions: !raw.instructions,
  };
}

/**
 * Builds initdb's command line with PostgreSQL's options and help text.
 *
 * @param action runs with the resolved options once they pass every check
 * @returns the commander program, ready for lib/cli's runProgram
 * @example
 * ```ts
 * await runProgram(initdbProgram(async (o) => Deno.exit(await initdbMain(o))), Deno.args);
 * ```
 */
export function initdbProgram(action: (options: InitdbOptions) => Promise<void>) {
  const less = "Less commonly used options:";
  const program = newProgram("initdb", "initializes a denogres database cluster")
    .argument("[datadir]")
    .option("-A, --auth <method>", "default authentication method for local connections")
    .option("--auth-host <method>", "default authentication method for local TCP/IP connections")
    .option("--auth-local <method>", "default authentication method for local-socket connections")
    .option("-D, --pgdata <datadir>", "location for this database cluster")
    .option("-E, --encoding <encoding>", `set default encoding for new databases (${SERVER_ENCODING} only)`)
    .option("-k, --data-checksums", "use data page checksums (always on in denogres)")
    .option("--locale <locale>", `set default locale for new databases (${CLUSTER_LOCALE} only)`)
    .option("--no-locale", `equivalent to --locale=${CLUSTER_LOCALE}`)
    .option("--pwfile <file>", "read password for the new superuser from file")
    .option("-U, --username <name>", "database superuser name")
    .option("-W, --pwprompt", "prompt for a password for the new superuser")
    .option("--wal-segsize <size>", "size of WAL segments, in megabytes")
    .addOption(new Option("-n, --no-clean", "do not clean up after errors").helpGroup(less))
    .addOption(new Option("-N, --no-sync", "do not wait for changes to be written safely to disk").helpGroup(less))
    .addOption(new Option("--no-instructions", "do not print instructions for next steps").helpGroup(less))
    .action(async (datadir, raw) => {
      await action(resolveInitdbOptions(datadir, raw));
    });
  usePgStyleHelp(program, {
    summary: "initdb initializes a denogres database cluster.",
    usage: ["initdb [OPTION]... [DATADIR]"],
    footer: "If the data directory is not specified, the environment variable PGDATA\nis used.",
  });
  return program;
}
