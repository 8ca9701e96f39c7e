/**
 * backend_type.ts — the kinds of process that hold a process-array slot, as
 * `pg_stat_activity.backend_type` names them.
 *
 * PostgreSQL counterpart: BackendType and GetBackendTypeDesc() in
 * src/backend/utils/init/miscinit.c.
 *
 * NOTES
 * Pure data. Stored in shared memory as `index + 1` (0 = no process), so the
 * order is part of the layout: append only, and bump SHMEM_LAYOUT_VERSION.
 *
 * @module
 */

/** Backend types, PostgreSQL's descriptions. */
export const BACKEND_TYPES = [
  "client backend",
  "autovacuum launcher",
  "autovacuum worker",
  "background writer",
  "checkpointer",
  "startup",
  "walwriter",
] as const;
/** A backend type, as pg_stat_activity shows it. */
export type BackendType = (typeof BACKEND_TYPES)[number];

/** Auxiliary processes: one each, with a fixed process-array slot. */
export const AUX_BACKEND_TYPES = [
  "startup",
  "checkpointer",
  "background writer",
  "walwriter",
  "autovacuum launcher",
] as const satisfies readonly BackendType[];
/** An auxiliary process type. */
export type AuxBackendType = (typeof AUX_BACKEND_TYPES)[number];

/**
 * @param type a backend type
 * @returns its index in {@link BACKEND_TYPES}
 * @throws {TypeError} for an unknown type
 */
export function backendTypeIndex(type: BackendType): number {
  const i = (BACKEND_TYPES as readonly string[]).indexOf(type);
  if (i < 0) throw new TypeError(`Unknown backend type "${type}"`);
  return i;
}
