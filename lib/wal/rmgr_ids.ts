/**
 * rmgr_ids.ts — resource manager ids, as PostgreSQL 15 numbers them.
 *
 * PostgreSQL counterpart: src/include/access/rmgrlist.h (RM_*_ID) and
 * src/include/access/rmgr.h (RM_MIN_CUSTOM_ID).
 *
 * NOTES
 * The ids are PostgreSQL's so `pg_waldump` names our records correctly. A
 * subsystem that adds a resource manager picks its PostgreSQL id (heap 10,
 * btree 11) or, for one PostgreSQL does not have, a custom id from 128 up.
 * Pure.
 *
 * @module
 */

/** A resource manager id (RmgrId): one byte in every record header. */
export type RmgrId = number;

/** XLOG: checkpoints, full-page images, segment switches. */
export const RM_XLOG_ID: RmgrId = 0;
/** Transactions: commit and abort. */
export const RM_XACT_ID: RmgrId = 1;
/** Storage manager: relation file creation and truncation. */
export const RM_SMGR_ID: RmgrId = 2;
/** Commit log: zeroing of new pg_xact pages. */
export const RM_CLOG_ID: RmgrId = 3;
/** Heap (tables). */
export const RM_HEAP_ID: RmgrId = 10;
/** B-tree indexes. */
export const RM_BTREE_ID: RmgrId = 11;
/** Generic WAL: page deltas for any page layout (generic_xlog). */
export const RM_GENERIC_ID: RmgrId = 20;
/** Highest built-in id of PostgreSQL 15 (RM_MAX_BUILTIN_ID). */
export const RM_MAX_BUILTIN_ID: RmgrId = 21;
/** First id free for custom resource managers (RM_MIN_CUSTOM_ID). */
export const RM_MIN_CUSTOM_ID: RmgrId = 128;
/** Highest resource manager id (RM_MAX_ID). */
export const RM_MAX_ID: RmgrId = 255;
