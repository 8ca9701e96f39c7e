/**
 * lwlock_names.ts — the LWLock tranches (names shown as wait events) and the
 * main LWLock array: the individual named locks and the partitioned tranches
 * that live in the "LWLocks" region.
 *
 * PostgreSQL counterpart: src/backend/storage/lmgr/lwlocknames.txt and the
 * builtin tranche list (BuiltinTrancheNames) in lwlock.c.
 *
 * NOTES
 * Pure data. A tranche id is an index into {@link LWLOCK_TRANCHE_NAMES}; it
 * is stored in each lock so a waiter can publish `LWLock`/<tranche name> in
 * pg_stat_activity. Individual locks show without their "Lock" suffix, as in
 * PostgreSQL 15 (`ProcArrayLock` waits show as `ProcArray`). Locks embedded
 * in other regions (buffer content locks, WAL insertion locks) take a tranche
 * from {@link EMBEDDED_LWLOCK_TRANCHES} and are initialised by their owner
 * with `lwlockInitialize`. Append new names at the end of a list.
 *
 * @module
 */

/** Individual locks of the main array, PostgreSQL's names (lwlocknames.txt). */
export const INDIVIDUAL_LWLOCKS = [
  "OidGenLock",
  "XidGenLock",
  "ProcArrayLock",
  "WALBufMappingLock",
  "WALWriteLock",
  "ControlFileLock",
  "XactSLRULock",
  "CheckpointerCommLock",
  "AutovacuumLock",
  "AutovacuumScheduleLock",
  "RelationMappingLock",
] as const;
/** An individual lock's name. */
export type IndividualLWLockName = (typeof INDIVIDUAL_LWLOCKS)[number];

/** Partitions of the buffer mapping table (NUM_BUFFER_PARTITIONS). */
export const BUFFER_MAPPING_PARTITIONS = 128;
/** Partitions of the heavyweight lock table (NUM_LOCK_PARTITIONS). */
export const LOCK_MANAGER_PARTITIONS = 16;

/** Partitioned tranches whose locks live in the main array, with their counts. */
export const MAIN_LWLOCK_TRANCHES = [
  { name: "BufferMapping", count: BUFFER_MAPPING_PARTITIONS },
  { name: "LockManager", count: LOCK_MANAGER_PARTITIONS },
] as const;
/** A partitioned main-array tranche's name. */
export type MainLWLockTrancheName = (typeof MAIN_LWLOCK_TRANCHES)[number]["name"];

/** Tranches of locks that live inside other regions (initialised by their owners). */
export const EMBEDDED_LWLOCK_TRANCHES = [
  "BufferContent",
  "WALInsert",
  "XactBuffer",
  "CommitTsBuffer",
  // Storage: serialises extending one relation (PostgreSQL's heavyweight "extend" lock, as an LWLock here).
  "RelationExtension",
] as const;
/** An embedded tranche's name. */
export type EmbeddedLWLockTrancheName = (typeof EMBEDDED_LWLOCK_TRANCHES)[number];

/**
 * Every tranche name, indexed by tranche id. Id 0 means "never initialised"
 * (a zeroed lock), so a forgotten `lwlockInitialize` shows up in wait events.
 */
export const LWLOCK_TRANCHE_NAMES: readonly string[] = [
  "unassigned",
  ...INDIVIDUAL_LWLOCKS.map((n) => n.replace(/Lock$/, "")),
  ...MAIN_LWLOCK_TRANCHES.map((t) => t.name),
  ...EMBEDDED_LWLOCK_TRANCHES,
];

/**
 * Returns a tranche's id.
 *
 * @param name an individual lock (`"ProcArrayLock"`) or tranche (`"BufferContent"`) name
 * @returns its tranche id
 * @throws {TypeError} for an unknown name
 */
export function lwlockTrancheId(
  name: IndividualLWLockName | MainLWLockTrancheName | EmbeddedLWLockTrancheName,
): number {
  const id = LWLOCK_TRANCHE_NAMES.indexOf(name.replace(/Lock$/, ""));
  if (id < 0) throw new TypeError(`Unknown LWLock tranche "${name}"`);
  return id;
}

/** Locks in the main array: individual ones, then each partitioned tranche. */
export const MAIN_LWLOCK_COUNT = INDIVIDUAL_LWLOCKS.length +
  MAIN_LWLOCK_TRANCHES.reduce((n, t) => n + t.count, 0);
/** Each main-array lock gets its own cache line (PostgreSQL's LWLOCK_PADDED_SIZE). */
export const MAIN_LWLOCK_STRIDE_BYTES = 64;

/**
 * Index of a lock in the main array.
 *
 * @param name an individual lock or a partitioned tranche
 * @param partition the partition, for a partitioned tranche
 * @returns the index (multiply by {@link MAIN_LWLOCK_STRIDE_BYTES} for the offset in the region)
 * @throws {RangeError} for a partition out of range
 */
export function mainLWLockIndex(name: IndividualLWLockName | MainLWLockTrancheName, partition = 0): number {
  const individual = (INDIVIDUAL_LWLOCKS as readonly string[]).indexOf(name);
  if (individual >= 0) return individual;
  let base = INDIVIDUAL_LWLOCKS.length;
  for (const t of MAIN_LWLOCK_TRANCHES) {
    if (t.name === name) {
      if (!Number.isInteger(partition) || partition < 0 || partition >= t.count) {
        throw new RangeError(`Partition ${partition} of LWLock tranche "${name}" is out of range`);
      }
      return base + partition;
    }
    base += t.count;
  }
  throw new TypeError(`Unknown main LWLock "${name}"`);
}

/**
 * Tranche id of the lock at a main-array index.
 *
 * @param index 0 .. MAIN_LWLOCK_COUNT - 1
 * @returns its tranche id
 */
export function mainLWLockTrancheOf(index: number): number {
  if (index < INDIVIDUAL_LWLOCKS.length) return 1 + index;
  let base = INDIVIDUAL_LWLOCKS.length;
  for (const [i, t] of MAIN_LWLOCK_TRANCHES.entries()) {
    if (index < base + t.count) return 1 + INDIVIDUAL_LWLOCKS.length + i;
    base += t.count;
  }
  throw new RangeError(`Main LWLock index ${index} is out of range`);
}
