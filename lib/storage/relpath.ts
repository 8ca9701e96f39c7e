/**
 * relpath.ts — how a relation's storage is named: tablespace, database and
 * relation file number, forks, and the file paths they map to.
 *
 * PostgreSQL counterpart: src/include/storage/relfilenode.h (RelFileNode;
 * RelFileLocator from 16 on), src/common/relpath.c (relpathperm, forkNames).
 *
 * NOTES
 * Paths are relative to the data directory, exactly as PostgreSQL's, and
 * appear in error messages (`invalid page in block 3 of relation
 * base/5/16384`). Only the default (`base/`) and global (`global/`)
 * tablespaces exist. Pure.
 *
 * @module
 */

import { assert } from "../common/assert.ts";

/** OID of the default tablespace (DEFAULTTABLESPACE_OID, `base/`). */
export const DEFAULT_TABLESPACE_OID = 1663;
/** OID of the global tablespace (GLOBALTABLESPACE_OID, `global/`). */
export const GLOBAL_TABLESPACE_OID = 1664;

/** Identifies a relation's files (RelFileNode / RelFileLocator). */
export interface RelFileLocator {
  /** Tablespace OID: {@link DEFAULT_TABLESPACE_OID} or {@link GLOBAL_TABLESPACE_OID}. */
  readonly spcOid: number;
  /** Database OID (0 for shared relations). */
  readonly dbOid: number;
  /** Relation file number (relfilenode). */
  readonly relNumber: number;
}

/** A relation fork (ForkNumber). */
export type ForkNumber = 0 | 1 | 2 | 3;
/** The main data fork. */
export const MAIN_FORKNUM: ForkNumber = 0;
/** The free space map fork. */
export const FSM_FORKNUM: ForkNumber = 1;
/** The visibility map fork. */
export const VISIBILITYMAP_FORKNUM: ForkNumber = 2;
/** The init fork of unlogged relations. */
export const INIT_FORKNUM: ForkNumber = 3;
/** Highest fork number (MAX_FORKNUM). */
export const MAX_FORKNUM = 3;
/** Fork name suffixes, as PostgreSQL's forkNames. */
export const FORK_NAMES = ["main", "fsm", "vm", "init"] as const;

/**
 * The path of a relation fork's first segment file (relpathperm).
 *
 * @param rl the relation
 * @param fork the fork (default main)
 * @returns e.g. `base/5/16384`, `base/5/16384_fsm`, `global/1262`
 */
export function relPath(rl: RelFileLocator, fork: ForkNumber = MAIN_FORKNUM): string {
  const suffix = fork === MAIN_FORKNUM ? "" : `_${FORK_NAMES[fork]}`;
  if (rl.spcOid === GLOBAL_TABLESPACE_OID) {
    assert(rl.dbOid === 0, "shared relations have database OID 0");
    return `global/${rl.relNumber}${suffix}`;
  }
  assert(rl.spcOid === DEFAULT_TABLESPACE_OID, "only the default and global tablespaces exist");
  return `base/${rl.dbOid}/${rl.relNumber}${suffix}`;
}

/**
 * @param a a relation
 * @param b another
 * @returns whether both name the same files (RelFileLocatorEquals)
 */
export function relFileLocatorEquals(a: RelFileLocator, b: RelFileLocator): boolean {
  return a.relNumber === b.relNumber && a.dbOid === b.dbOid && a.spcOid === b.spcOid;
}
