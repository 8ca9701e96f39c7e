/**
 * data_dir.ts — the checks a data directory must pass before the postmaster
 * uses it, and `postmaster.opts`.
 *
 * PostgreSQL counterpart: checkDataDir() and ValidatePgVersion() in
 * src/backend/utils/init/miscinit.c, CreateOptsFile() in postmaster.c.
 *
 * NOTES
 * Every failure is an `SqlError` with severity FATAL and PostgreSQL's
 * wording, for the postmaster to log before exiting 1. Requires
 * `--allow-read`, `--allow-write` (postmaster.opts) and `--allow-sys`
 * (the effective uid).
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { PG_MAJOR_VERSION, PG_SERVER_VERSION } from "../common/limits.ts";

/** Permission bits that must be clear on a data directory (PostgreSQL's PG_MODE_MASK_GROUP: no group write, nothing for others). */
const _MODE_MASK_GROUP = 0o027;
/** Name of the file that records how the postmaster was started. */
export const OPTS_FILE_NAME = "postmaster.opts";

function _fatal(message: string, fields: { detail?: string; hint?: string } = {}): SqlError {
  return new SqlError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, message, { severity: "FATAL", ...fields });
}

/**
 * Checks that `dataDir` exists, is a directory owned by this user with mode
 * 0700 or 0750, and holds a `PG_VERSION` of our major version.
 *
 * @param dataDir absolute path of the data directory
 * @throws {SqlError} FATAL with PostgreSQL's message for the first failed check
 */
export function checkDataDir(dataDir: string): void {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(dataDir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw _fatal(`data directory "${dataDir}" does not exist`);
    throw _fatal(`could not read permissions of directory "${dataDir}": ${(e as Error).message}`);
  }
  if (!st.isDirectory) throw _fatal(`specified data directory "${dataDir}" is not a directory`);
  if (st.uid !== Deno.uid()) {
    throw _fatal(`data directory "${dataDir}" has wrong ownership`, {
      hint: "The server must be started by the user that owns the data directory.",
    });
  }
  if (((st.mode ?? 0) & _MODE_MASK_GROUP) !== 0) {
    throw _fatal(`data directory "${dataDir}" has invalid permissions`, {
      detail: "Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).",
    });
  }
  validatePgVersion(dataDir);
}

/**
 * Checks `PG_VERSION`, as PostgreSQL's ValidatePgVersion.
 *
 * @param dataDir the data directory
 * @throws {SqlError} FATAL when missing, unreadable or of another major version
 */
export function validatePgVersion(dataDir: string): void {
  const path = `${dataDir}/PG_VERSION`;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw _fatal(`"${dataDir}" is not a valid data directory`, { detail: `File "${path}" is missing.` });
    }
    throw _fatal(`could not open file "${path}": ${(e as Error).message}`);
  }
  const m = /^\s*(\d+)(?:\.\d+)?/.exec(text);
  if (m === null) {
    throw _fatal(`"${dataDir}" is not a valid data directory`, {
      detail: `File "${path}" does not contain valid data.`,
      hint: "You might need to initdb.",
    });
  }
  if (Number(m[1]) !== PG_MAJOR_VERSION) {
    throw _fatal("database files are incompatible with server", {
      detail: `The data directory was initialized by PostgreSQL version ${text.trim()}, ` +
        `which is not compatible with this version ${PG_SERVER_VERSION}.`,
    });
  }
}

/**
 * Writes `postmaster.opts`: the program, then each argument in double
 * quotes, on one line (PostgreSQL's CreateOptsFile). `ctl restart` reads it.
 *
 * @param dataDir the data directory
 * @param program the program's path
 * @param args the command-line arguments as given
 */
export function writeOptsFile(dataDir: string, program: string, args: readonly string[]): void {
  const line = [program, ...args.map((a) => `"${a}"`)].join(" ");
  Deno.writeTextFileSync(`${dataDir}/${OPTS_FILE_NAME}`, `${line}\n`, { mode: 0o600 });
}
