/**
 * auth_cache.ts — what authentication reads, loaded before a client
 * arrives: pg_hba.conf (parsed once, again after each postmaster reload)
 * and the role and database catalogs (parsed once, again only when their
 * files were replaced).
 *
 * PostgreSQL counterpart: load_hba() (the postmaster parses pg_hba.conf at
 * start and on SIGHUP; forked backends inherit the parsed lines), and the
 * catalog caches (syscache) with their invalidation: a new connection sees
 * every committed ALTER ROLE.
 *
 * NOTES
 * pg_hba.conf: a backend is started with the postmaster's hba generation
 * (`--hba-generation`, how many times the postmaster has loaded the file) and
 * parses the file then; each hand-off header carries the generation at
 * accept time, and a backend whose copy is older re-reads the file before
 * authenticating. So an edit takes effect for connections accepted after
 * `ctl reload`, as in PostgreSQL, with one difference: a backend started
 * after the edit but before the reload already sees it.
 * Catalogs: the files are replaced atomically by rename (lib/catalog), so
 * the (inode, size, mtime, ctime) of each file identifies its contents; one
 * stat per file per connection decides whether the cached rows are current,
 * and ALTER ROLE … PASSWORD in any backend is seen by the next connection.
 * Errors: an unreadable or invalid pg_hba.conf is logged and refuses the
 * connection with FATAL `could not load pg_hba.conf`, as PostgreSQL's
 * backends do when the postmaster's copy is missing.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { type HbaLine, parseHbaFile } from "../auth/mod.ts";
import { CATALOG_DIR, type DatabaseRow, readDatabases, readRoles, type RoleRow } from "../catalog/mod.ts";
import { elog } from "../log/mod.ts";

interface _FileStamp {
  ino: number | null;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

function _stamp(path: string): _FileStamp | undefined {
  try {
    const st = Deno.statSync(path);
    return { ino: st.ino, size: st.size, mtimeMs: st.mtime?.getTime() ?? -1, ctimeMs: st.ctime?.getTime() ?? -1 };
  } catch {
    return undefined; // the reader reports the error
  }
}

function _sameStamp(a: _FileStamp | undefined, b: _FileStamp | undefined): boolean {
  return a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs;
}

/** The parsed pg_hba.conf of this backend process. */
export class HbaCache {
  readonly #dataDir: string;
  #lines: HbaLine[] | undefined;
  #generation: number | undefined;

  /**
   * @param dataDir the data directory
   * @param generation the postmaster's hba generation when this process was started (undefined: unknown)
   */
  constructor(dataDir: string, generation: number | undefined) {
    this.#dataDir = dataDir;
    this.#generation = generation;
  }

  /**
   * Parses the file now (a spare backend, before any client), keeping an
   * error for the first connection to report.
   */
  async preload(): Promise<void> {
    this.#lines = await _loadHba(this.#dataDir).catch(() => undefined);
  }

  /**
   * The lines to authenticate a connection against.
   *
   * @param generation the postmaster's hba generation at accept time (undefined: re-read the file)
   * @returns the parsed lines
   * @throws {SqlError} FATAL `could not load pg_hba.conf` (the reasons are logged)
   */
  async lines(generation: number | undefined): Promise<HbaLine[]> {
    if (this.#lines === undefined || generation === undefined || generation !== this.#generation) {
      this.#lines = undefined;
      this.#lines = await _loadHba(this.#dataDir);
      this.#generation = generation;
    }
    return this.#lines;
  }
}

async function _loadHba(dataDir: string): Promise<HbaLine[]> {
  const path = `${dataDir}/pg_hba.conf`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    elog("LOG", `could not open configuration file "${path}": ${(e as Error).message}`);
    throw new SqlError(SqlState.INTERNAL_ERROR, "could not load pg_hba.conf", { severity: "FATAL" });
  }
  const { lines, errors } = parseHbaFile(text);
  for (const err of errors) {
    elog("LOG", err.message, {
      context: `line ${err.lineNumber} of configuration file "${path}"`,
      sqlstate: SqlState.CONFIG_FILE_ERROR,
    });
  }
  if (errors.length > 0) {
    throw new SqlError(SqlState.INTERNAL_ERROR, "could not load pg_hba.conf", { severity: "FATAL" });
  }
  return lines;
}

/** The role and database catalogs as this process last read them. */
export class CatalogCache {
  readonly #dataDir: string;
  #roles: RoleRow[] | undefined;
  #rolesStamp: _FileStamp | undefined;
  #databases: DatabaseRow[] | undefined;
  #databasesStamp: _FileStamp | undefined;

  /** @param dataDir the data directory */
  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  /** Reads both catalogs now (a spare backend, before any client); errors wait for the first connection. */
  async preload(): Promise<void> {
    await Promise.all([this.roles(), this.databases()]).catch(() => {});
  }

  /**
   * @returns every role, current as of this call
   * @throws {SqlError} XX001 when the file is malformed
   */
  async roles(): Promise<RoleRow[]> {
    const stamp = _stamp(`${this.#dataDir}/${CATALOG_DIR}/pg_authid.json`);
    if (this.#roles === undefined || !_sameStamp(stamp, this.#rolesStamp)) {
      this.#roles = await readRoles(this.#dataDir);
      this.#rolesStamp = stamp;
    }
    return this.#roles;
  }

  /**
   * @returns every database, current as of this call
   * @throws {SqlError} XX001 when the file is malformed
   */
  async databases(): Promise<DatabaseRow[]> {
    const stamp = _stamp(`${this.#dataDir}/${CATALOG_DIR}/pg_database.json`);
    if (this.#databases === undefined || !_sameStamp(stamp, this.#databasesStamp)) {
      this.#databases = await readDatabases(this.#dataDir);
      this.#databasesStamp = stamp;
    }
    return this.#databases;
  }
}
