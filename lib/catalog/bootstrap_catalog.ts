/**
 * bootstrap_catalog.ts — roles and databases as bootstrap catalog files,
 * until heap catalogs exist: `denogres_catalog/pg_authid.json` and
 * `denogres_catalog/pg_database.json`.
 *
 * PostgreSQL counterpart: the bootstrap rows of pg_authid and pg_database
 * (src/include/catalog/pg_authid.dat, pg_database.dat, written by initdb),
 * and AlterRole() in src/backend/commands/user.c for password changes.
 *
 * NOTES
 * The files live in their own directory, not in `global/`: PostgreSQL's
 * tools take every file in `global/` for a relation segment (pg_checksums
 * fails on `invalid segment number 0 in file name "…pg_database.json"`).
 * Crash behaviour: every write replaces a whole file atomically — write a
 * temporary file in the catalog directory, fsync it, rename it over the old
 * one, fsync the directory — so a reader (any backend, at any time) sees
 * either the old or the new contents, never a torn file, and a crash leaves
 * at most a stray `*.tmp` that the next write replaces. Concurrency:
 * read-modify-write updates (ALTER ROLE in some backend) hold an exclusive
 * flock(2) on the catalog directory for the whole update, so two
 * simultaneous updates never lose one another; readers take no lock (the
 * rename makes them safe).
 * Errors: a malformed file is reported as XX001 data corrupted,
 * naming the file. Requires `--allow-read` and `--allow-write` on the data
 * directory.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { NAME_DATA_LEN } from "../common/limits.ts";

/** One role (a row of pg_authid, the columns denogres uses). */
export interface RoleRow {
  /** Object id; the bootstrap superuser is 10 (BOOTSTRAP_SUPERUSERID). */
  readonly oid: number;
  /** rolname. */
  readonly name: string;
  /** rolsuper. */
  readonly superuser: boolean;
  /** rolcanlogin. */
  readonly canLogin: boolean;
  /** rolpassword: a SCRAM-SHA-256 verifier, or null for none. */
  readonly password: string | null;
}

/** One database (a row of pg_database, the columns denogres uses). */
export interface DatabaseRow {
  /** Object id: template1 1, template0 4, postgres 5, as PostgreSQL 15. */
  readonly oid: number;
  /** datname. */
  readonly name: string;
  /** datdba: owner role oid. */
  readonly ownerOid: number;
  /** datistemplate. */
  readonly isTemplate: boolean;
  /** datallowconn. */
  readonly allowConnections: boolean;
  /** datconnlimit (-1: no limit). */
  readonly connectionLimit: number;
}

/** Oid of the bootstrap superuser (BOOTSTRAP_SUPERUSERID). */
export const BOOTSTRAP_SUPERUSER_OID = 10;
/** First oid handed to roles created after bootstrap (FirstNormalObjectId). */
export const FIRST_NORMAL_OBJECT_ID = 16384;
/** Largest catalog file read, in bytes: a bound against a corrupted or hostile file. */
export const CATALOG_FILE_MAX_BYTES = 16 << 20;

/**
 * The directory of the bootstrap catalog files, relative to the data
 * directory (initdb creates it). Its own directory, since PostgreSQL's tools
 * read every file in `global/` as a relation (see README.md).
 */
export const CATALOG_DIR = "denogres_catalog";
const _AUTHID_FILE = `${CATALOG_DIR}/pg_authid.json`;
const _DATABASE_FILE = `${CATALOG_DIR}/pg_database.json`;
const _FORMAT_VERSION = 1;

/**
 * Writes the bootstrap catalogs of a new cluster: the superuser role and the
 * databases template1 (oid 1), template0 (oid 4, not connectable) and
 * postgres (oid 5). initdb calls this once; the files must not exist yet.
 *
 * @param dataDir the data directory (its {@link CATALOG_DIR} must exist)
 * @param options the superuser's name and optional SCRAM verifier
 * @throws {Deno.errors.AlreadyExists} when the catalogs exist already
 * @example
 * ```ts
 * await bootstrapCatalog("/data", { superuser: "postgres", superuserVerifier: scramBuildVerifier("pw") });
 * ```
 */
export async function bootstrapCatalog(
  dataDir: string,
  options: { superuser: string; superuserVerifier?: string },
): Promise<void> {
  if (options.superuser === "" || new TextEncoder().encode(options.superuser).length >= NAME_DATA_LEN) {
    throw new RangeError(`Invalid superuser name "${options.superuser}"`);
  }
  for (const f of [_AUTHID_FILE, _DATABASE_FILE]) {
    if (await _exists(`${dataDir}/${f}`)) throw new Deno.errors.AlreadyExists(`${dataDir}/${f} exists`);
  }
  const roles: RoleRow[] = [{
    oid: BOOTSTRAP_SUPERUSER_OID,
    name: options.superuser,
    superuser: true,
    canLogin: true,
    password: options.superuserVerifier ?? null,
  }];
  const db = (oid: number, name: string, isTemplate: boolean, allowConnections: boolean): DatabaseRow => ({
    oid,
    name,
    ownerOid: BOOTSTRAP_SUPERUSER_OID,
    isTemplate,
    allowConnections,
    connectionLimit: -1,
  });
  const databases = [db(1, "template1", true, true), db(4, "template0", true, false), db(5, "postgres", false, true)];
  await _writeAtomic(dataDir, _AUTHID_FILE, { version: _FORMAT_VERSION, roles });
  await _writeAtomic(dataDir, _DATABASE_FILE, { version: _FORMAT_VERSION, databases });
}

/**
 * Reads every role.
 *
 * @param dataDir the data directory
 * @returns the roles, in oid order
 * @throws {SqlError} XX001 when the file is malformed
 */
export async function readRoles(dataDir: string): Promise<RoleRow[]> {
  const doc = await _readJson(dataDir, _AUTHID_FILE);
  const roles = (doc as { roles?: unknown }).roles;
  if (!Array.isArray(roles) || !roles.every(_isRoleRow)) throw _corrupt(dataDir, _AUTHID_FILE);
  return roles;
}

/**
 * Reads every database.
 *
 * @param dataDir the data directory
 * @returns the databases, in oid order
 * @throws {SqlError} XX001 when the file is malformed
 */
export async function readDatabases(dataDir: string): Promise<DatabaseRow[]> {
  const doc = await _readJson(dataDir, _DATABASE_FILE);
  const dbs = (doc as { databases?: unknown }).databases;
  if (!Array.isArray(dbs) || !dbs.every(_isDatabaseRow)) throw _corrupt(dataDir, _DATABASE_FILE);
  return dbs;
}

/**
 * Sets or clears a role's password verifier (`ALTER ROLE … PASSWORD`),
 * replacing the roles file atomically.
 *
 * @param dataDir the data directory
 * @param roleName the role
 * @param verifier a SCRAM-SHA-256 verifier, or null for `PASSWORD NULL`
 * @throws {SqlError} 42704 `role "…" does not exist`
 */
export async function alterRolePassword(dataDir: string, roleName: string, verifier: string | null): Promise<void> {
  await _withCatalogLock(dataDir, async () => {
    const roles = await readRoles(dataDir);
    const i = roles.findIndex((r) => r.name === roleName);
    if (i < 0) throw new SqlError(SqlState.UNDEFINED_OBJECT, `role "${roleName}" does not exist`);
    roles[i] = { ...roles[i], password: verifier };
    await _writeAtomic(dataDir, _AUTHID_FILE, { version: _FORMAT_VERSION, roles });
  });
}

/** Runs `fn` holding an exclusive flock on the catalog directory (released on exit, also by the kernel if we die). */
async function _withCatalogLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const dir = await Deno.open(`${dataDir}/${CATALOG_DIR}`, { read: true });
  try {
    await dir.lock(true);
    return await fn();
  } finally {
    dir.close();
  }
}

function _isRoleRow(r: unknown): r is RoleRow {
  const x = r as RoleRow;
  return typeof x === "object" && x !== null && Number.isInteger(x.oid) && typeof x.name === "string" &&
    typeof x.superuser === "boolean" && typeof x.canLogin === "boolean" &&
    (x.password === null || typeof x.password === "string");
}

function _isDatabaseRow(d: unknown): d is DatabaseRow {
  const x = d as DatabaseRow;
  return typeof x === "object" && x !== null && Number.isInteger(x.oid) && typeof x.name === "string" &&
    Number.isInteger(x.ownerOid) && typeof x.isTemplate === "boolean" && typeof x.allowConnections === "boolean" &&
    Number.isInteger(x.connectionLimit);
}

function _corrupt(dataDir: string, file: string, cause?: unknown): SqlError {
  return new SqlError(SqlState.DATA_CORRUPTED, `catalog file "${dataDir}/${file}" is corrupted`, { cause });
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function _readJson(dataDir: string, file: string): Promise<unknown> {
  const path = `${dataDir}/${file}`;
  const st = await Deno.stat(path);
  if (st.size > CATALOG_FILE_MAX_BYTES) throw _corrupt(dataDir, file);
  const text = await Deno.readTextFile(path);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw _corrupt(dataDir, file, e);
  }
  if (typeof doc !== "object" || doc === null || (doc as { version?: unknown }).version !== _FORMAT_VERSION) {
    throw _corrupt(dataDir, file);
  }
  return doc;
}

/** Writes `file` (relative to dataDir) atomically: temp file, fsync, rename, fsync of the directory. */
async function _writeAtomic(dataDir: string, file: string, doc: unknown): Promise<void> {
  const path = `${dataDir}/${file}`;
  const tmp = `${path}.${Deno.pid}.tmp`;
  const bytes = new TextEncoder().encode(JSON.stringify(doc, null, 1) + "\n");
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o600 });
  try {
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
    await f.sync();
  } finally {
    f.close();
  }
  await Deno.rename(tmp, path);
  const dir = await Deno.open(path.slice(0, path.lastIndexOf("/")), { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}
