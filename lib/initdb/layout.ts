/**
 * layout.ts — the subdirectories of a new data directory and PG_VERSION.
 *
 * PostgreSQL counterpart: subdirs[] and create_data_directory()/
 * write_version_file() in src/bin/initdb/initdb.c.
 *
 * NOTES
 * The layout is PostgreSQL 15's, so PostgreSQL's tools (pg_controldata,
 * pg_waldump, backup tools) find things where they expect them; folders
 * denogres does not use yet are created empty for the same reason. Every
 * directory gets mode 0700 (umask notwithstanding). Errors are InitdbError
 * with PostgreSQL's wording. Requires `--allow-write` on the data directory.
 *
 * @module
 */

import { CATALOG_DIR } from "../catalog/mod.ts";
import { PG_MAJOR_VERSION } from "../common/limits.ts";
import { DATA_DIR_MODE, DATA_FILE_MODE } from "./data_dir.ts";
import { InitdbError, osErrorText } from "./initdb_error.ts";

/** Oids of the three databases a new cluster has (lib/catalog invariant 3): their `base/<oid>` folders. */
export const BOOTSTRAP_DATABASE_OIDS = { template1: 1, template0: 4, postgres: 5 } as const;

/**
 * Every subdirectory of a new data directory, parents before children, with
 * what it holds.
 */
export const DATA_SUBDIRECTORIES: readonly { readonly path: string; readonly holds: string }[] = [
  { path: "global", holds: "pg_control (and, later, the shared catalogs' relation files)" },
  { path: "pg_wal", holds: "write-ahead log segments" },
  { path: "pg_wal/archive_status", holds: "WAL archiving status (PostgreSQL layout)" },
  { path: "pg_commit_ts", holds: "commit timestamps (PostgreSQL layout)" },
  { path: "pg_dynshmem", holds: "dynamic shared memory files (PostgreSQL layout)" },
  { path: "pg_notify", holds: "LISTEN/NOTIFY queue (PostgreSQL layout)" },
  { path: "pg_serial", holds: "committed serializable transactions (PostgreSQL layout)" },
  { path: "pg_snapshots", holds: "exported snapshots (PostgreSQL layout)" },
  { path: "pg_subtrans", holds: "subtransaction parents (PostgreSQL layout)" },
  { path: "pg_twophase", holds: "prepared transactions (PostgreSQL layout)" },
  { path: "pg_multixact", holds: "multitransaction status (PostgreSQL layout)" },
  { path: "pg_multixact/members", holds: "multitransaction members" },
  { path: "pg_multixact/offsets", holds: "multitransaction offsets" },
  { path: "base", holds: "one folder per database" },
  { path: `base/${BOOTSTRAP_DATABASE_OIDS.template1}`, holds: "template1" },
  { path: `base/${BOOTSTRAP_DATABASE_OIDS.template0}`, holds: "template0" },
  { path: `base/${BOOTSTRAP_DATABASE_OIDS.postgres}`, holds: "postgres" },
  { path: "pg_replslot", holds: "replication slots (PostgreSQL layout)" },
  { path: "pg_tblspc", holds: "tablespace links (PostgreSQL layout)" },
  { path: "pg_stat", holds: "cumulative statistics saved at shutdown" },
  { path: "pg_stat_tmp", holds: "temporary statistics files" },
  { path: "pg_xact", holds: "transaction commit status" },
  { path: "pg_logical", holds: "logical decoding status (PostgreSQL layout)" },
  { path: "pg_logical/mappings", holds: "logical rewrite mappings" },
  { path: "pg_logical/snapshots", holds: "logical decoding snapshots" },
  // denogres's own, last; not in global/: PostgreSQL's tools (pg_checksums) read every file there as a relation segment.
  { path: CATALOG_DIR, holds: "denogres's bootstrap catalog files, roles and databases (lib/catalog)" },
];

/**
 * Creates every subdirectory of {@link DATA_SUBDIRECTORIES}, mode 0700.
 *
 * @param dataDir an existing, empty data directory
 * @throws {InitdbError} `could not create directory "…": …`
 */
export function createSubdirectories(dataDir: string): void {
  for (const { path } of DATA_SUBDIRECTORIES) {
    const full = `${dataDir}/${path}`;
    try {
      Deno.mkdirSync(full, { mode: DATA_DIR_MODE });
      Deno.chmodSync(full, DATA_DIR_MODE);
    } catch (e) {
      throw new InitdbError(`could not create directory "${full}": ${osErrorText(e)}`, { cause: e });
    }
  }
}

/**
 * Writes a file initdb owns (mode 0600), with PostgreSQL's error wording.
 *
 * @param path the file to create (must not exist)
 * @param text its contents
 * @throws {InitdbError} `could not write file "…": …`
 */
export function writeDataFile(path: string, text: string): void {
  try {
    Deno.writeTextFileSync(path, text, { createNew: true, mode: DATA_FILE_MODE });
    Deno.chmodSync(path, DATA_FILE_MODE);
  } catch (e) {
    throw new InitdbError(`could not write file "${path}": ${osErrorText(e)}`, { cause: e });
  }
}

/**
 * Writes `PG_VERSION`: the major version, which every PostgreSQL tool and
 * the server check before touching the directory.
 *
 * @param dataDir the data directory
 */
export function writeVersionFile(dataDir: string): void {
  writeDataFile(`${dataDir}/PG_VERSION`, `${PG_MAJOR_VERSION}\n`);
}
