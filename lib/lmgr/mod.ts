/**
 * The heavyweight lock manager: lock tags and modes, the shared lock table
 * partitioned under the LockManager LWLocks, per-process lock waits,
 * deadlock detection, and the pg_locks snapshot. See README.md.
 *
 * Requires `--allow-ffi` (shared memory, futex).
 *
 * @module
 */
export {
  advisoryTagInt4Pair,
  advisoryTagInt8,
  describeLockTag,
  LOCK_CONFLICTS,
  LOCK_MODE_NAMES,
  LOCK_MODES_MAX,
  LOCK_TAG_TYPE_NAMES,
  lockBit,
  LockMode,
  type LockModeNo,
  lockModesConflict,
  type LockTag,
  lockTagHash,
  LockTagType,
  USER_LOCKMETHOD,
} from "./lock_defs.ts";
export { type HeldLock, LockManager, lockModeName, type LockRequest, type LockWaitHooks } from "./lock.ts";
export { buildWaitsForGraph, deadlockReportDetail, findLockCycle, type WaitInfo } from "./deadlock.ts";
export { type LockStatusRow, lockStatusRows } from "./lock_status.ts";
export { LOCK_PARTITIONS, LOCK_SHMEM_REGIONS, lockEntryCount, lockMaxBackends } from "./lock_sizes.ts";
