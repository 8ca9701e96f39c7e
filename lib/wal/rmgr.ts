/**
 * rmgr.ts — the resource manager table: for each RmgrId, its name, its redo
 * function and its description of a record.
 *
 * PostgreSQL counterpart: src/backend/access/transam/rmgr.c (RmgrTable,
 * RegisterCustomRmgr) and src/include/access/xlog_internal.h (RmgrData).
 *
 * NOTES
 * Each subsystem that writes WAL defines one {@link Rmgr} next to its code and
 * adds it to the list in rmgr_list.ts (PostgreSQL's rmgrlist.h), so that
 * the startup process, which imports that list, can replay every record type.
 * Redo runs in the startup process only, one record at a time, with no
 * concurrent writers; it must be idempotent against pages already newer
 * than the record (xlogReadBufferForRedo answers "done" for those). A redo
 * function that meets a record it cannot apply throws; the startup process
 * then stops with a FATAL, as PostgreSQL's PANIC in redo.
 *
 * @module
 */

import type { RmgrId } from "./rmgr_ids.ts";
import type { DecodedXLogRecord } from "./xlog_record.ts";

/** A resource manager (RmgrData). */
export interface Rmgr {
  /** Its id, PostgreSQL's number where PostgreSQL has it. */
  readonly id: RmgrId;
  /** Its name, as pg_waldump prints it (`XLOG`, `Transaction`, `Generic`). */
  readonly name: string;
  /**
   * Replays one record (rm_redo).
   *
   * Lock contract: called with no locks held; returns with none held.
   */
  readonly redo: (rec: DecodedXLogRecord) => void;
  /** Describes a record's contents for logs and tools (rm_desc). */
  readonly desc: (rec: DecodedXLogRecord) => string;
  /** Names a record type from its xl_info (rm_identify), or undefined if unknown. */
  readonly identify: (info: number) => string | undefined;
}

/**
 * Builds the lookup table from a list of resource managers, checking ids are
 * unique.
 *
 * @param list the resource managers
 * @returns a table indexed by RmgrId
 * @throws {TypeError} when two share an id
 */
export function buildRmgrTable(list: readonly Rmgr[]): readonly (Rmgr | undefined)[] {
  const table: (Rmgr | undefined)[] = new Array(256).fill(undefined);
  for (const r of list) {
    if (table[r.id] !== undefined) throw new TypeError(`Duplicate resource manager id ${r.id} ("${r.name}")`);
    table[r.id] = r;
  }
  return table;
}
