/**
 * rmgr_list.ts — every resource manager denogres replays, in one list.
 *
 * PostgreSQL counterpart: src/include/access/rmgrlist.h.
 *
 * NOTES
 * A subsystem that writes WAL adds its `Rmgr` here (one import, one entry),
 * with PostgreSQL's id where PostgreSQL has one (heap 10, btree 11). Only
 * the startup process imports this file, so other processes do not load
 * every redo routine.
 *
 * @module
 */

import { XACT_RMGR } from "../xact/xact.ts";
import { GENERIC_RMGR } from "./generic_xlog.ts";
import { buildRmgrTable, type Rmgr } from "./rmgr.ts";
import { XLOG_RMGR } from "./xlog_rmgr.ts";

/** The resource managers, PostgreSQL's ids. */
export const RMGR_LIST: readonly Rmgr[] = [XLOG_RMGR, XACT_RMGR, GENERIC_RMGR];

/** Lookup table indexed by RmgrId. */
export const RMGR_TABLE: readonly (Rmgr | undefined)[] = buildRmgrTable(RMGR_LIST);
