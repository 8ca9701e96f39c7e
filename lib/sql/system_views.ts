/**
 * system_views.ts — the relations SELECT can read while denogres has no
 * tables: PostgreSQL's statistics views, each a virtual relation whose rows
 * are read from shared memory (and the bootstrap catalog) once per
 * statement.
 *
 * PostgreSQL counterpart: the views of src/backend/catalog/system_views.sql
 * over the pg_stat_get_*() functions of src/backend/utils/adt/pgstatfuncs.c.
 *
 * NOTES
 * A view has PostgreSQL 15's column names and types, in its order, and a
 * `rows()` that reads the current values without taking a lock (a process
 * array snapshot, atomic counter loads); rows of one statement are
 * consistent per row, not across rows, as in PostgreSQL. A column
 * denogres truly has nothing for is NULL, never an invented number. Names
 * resolve unqualified or in `pg_catalog`, as PostgreSQL's search_path does.
 *
 * @module
 */

import { PG_LOCKS } from "./advisory_lock.ts";
import type { ExecSession } from "./exec_context.ts";
import type { ScopeColumn } from "./expr.ts";
import { PG_STAT_ACTIVITY } from "./pg_stat_activity.ts";
import { PG_STAT_BGWRITER, PG_STAT_DATABASE, PG_STAT_WAL } from "./pg_stat_counters.ts";
import type { Datum } from "./types.ts";

/** A virtual relation: a system view denogres computes instead of storing. */
export interface SystemView {
  /** Its name in pg_catalog. */
  readonly name: string;
  /** PostgreSQL 15's columns, in order. */
  readonly columns: readonly ScopeColumn[];
  /** Its rows for this session now, each in column order. */
  rows(s: ExecSession): Datum[][] | Promise<Datum[][]>;
}

/** Every system view, by name. */
export const SYSTEM_VIEWS: ReadonlyMap<string, SystemView> = new Map(
  [PG_STAT_ACTIVITY, PG_STAT_BGWRITER, PG_STAT_WAL, PG_STAT_DATABASE, PG_LOCKS].map((v) => [v.name, v]),
);

/**
 * Finds a system view by the name a query used.
 *
 * @param schema the schema given, if any
 * @param name the relation name
 * @returns the view, or undefined when there is no such relation
 */
export function findSystemView(schema: string | undefined, name: string): SystemView | undefined {
  if (schema !== undefined && schema !== "pg_catalog") return undefined;
  return SYSTEM_VIEWS.get(name);
}
