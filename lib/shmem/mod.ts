/**
 * Shared memory: the segment and its layout registry, spinlocks, LWLocks,
 * latches, futex waits, the process array, wait events, statistics counters
 * and postmaster signals. See README.md for the invariants and call sequences.
 *
 * Requires `--allow-ffi`.
 *
 * @module
 */
export {
  type AttachShmemOptions,
  attachShmemSegment,
  type CreateShmemOptions,
  createShmemSegment,
  makeShmemSegmentName,
  resetShmemSegment,
  type ShmemProcessLocal,
  ShmemSegment,
  unlinkShmemSegment,
} from "./segment.ts";
export {
  SHMEM_HEADER_BYTES,
  SHMEM_LAYOUT_VERSION,
  SHMEM_REGIONS_MAX,
  type ShmemRegion,
  type ShmemState,
} from "./header.ts";
export {
  alignUp,
  computeShmemLayout,
  SHMEM_REGION_ALIGN_MIN_BYTES,
  SHMEM_REGIONS,
  SHMEM_SIZE_ALIGN_BYTES,
  type ShmemLayout,
  type ShmemRegionSpec,
} from "./layout.ts";
export { removeStaleShmemSegment, shmemSegmentUsers } from "./stale_segment.ts";
export { FUTEX_WAKE_ALL, futexWait, futexWaitAsync, type FutexWaitResult, futexWake } from "./futex.ts";
export {
  atomicCompareExchange64,
  atomicFetchAdd64,
  atomicMonotonicAdvance64,
  atomicRead64,
  atomicWrite64,
} from "./atomics.ts";
export {
  SPIN_DELAY_MAX_MS,
  SPIN_DELAY_MIN_MS,
  SPIN_DELAYS_MAX,
  SpinDelay,
  SPINLOCK_SIZE_BYTES,
  spinLockAcquire,
  spinLockFree,
  spinLockRelease,
  SPINS_PER_DELAY,
  StuckSpinlockError,
} from "./spin.ts";
export {
  LWLOCK_SIZE_BYTES,
  LWLOCK_WAIT_POLL_MS,
  lwlockAcquire,
  lwlockAcquireOrWait,
  lwlockConditionalAcquire,
  lwlockHeldByMe,
  lwlockHeldByMeInMode,
  lwlockInitialize,
  type LWLockMode,
  lwlockRelease,
  lwlockReleaseAll,
  LWLOCKS_HELD_MAX,
  lwlockTrancheName,
  mainLWLock,
} from "./lwlock.ts";
export {
  BUFFER_MAPPING_PARTITIONS,
  EMBEDDED_LWLOCK_TRANCHES,
  type EmbeddedLWLockTrancheName,
  INDIVIDUAL_LWLOCKS,
  type IndividualLWLockName,
  LOCK_MANAGER_PARTITIONS,
  LWLOCK_TRANCHE_NAMES,
  lwlockTrancheId,
  MAIN_LWLOCK_TRANCHES,
  type MainLWLockTrancheName,
} from "./lwlock_names.ts";
export { setLatch, waitLatch, type WaitLatchResult } from "./latch.ts";
export { AUX_BACKEND_TYPES, type AuxBackendType, BACKEND_TYPES, type BackendType } from "./backend_type.ts";
export {
  BACKEND_STATES,
  type BackendSessionInfo,
  type BackendState,
  CRASHED_ACTIVITY_BUFFER_BYTES,
  pgstatBestart,
  pgstatGetCrashedBackendActivity,
  pgstatReportActivity,
  pgstatReportAppname,
  pgstatReportXactTimestamp,
  PROC_SNAPSHOT_RETRIES_MAX,
  procArrayAuxProcNo,
  procArrayCheckCancelKey,
  procArrayClaimSlot,
  procArrayDelayChkptEnd,
  procArrayDelayChkptStart,
  procArrayDelayingChkpt,
  procArrayFindPid,
  procArrayHaveFreeSlots,
  procArrayMaxConnections,
  procArrayReleaseSlot,
  procArraySetXid,
  procArraySetXmin,
  procArraySnapshot,
  procArrayStillDelayingChkpt,
  procArrayXids,
  type ProcSlotClaim,
  type ProcSlotSnapshot,
} from "./proc_array.ts";
export { procArraySlotCount } from "./proc_array_layout.ts";
export {
  describeWaitEvent,
  pgstatReportWaitEnd,
  pgstatReportWaitStart,
  WAIT_EVENT_NAMES,
  waitEventInfo,
  type WaitEventType,
} from "./wait_event.ts";
export {
  type DatabaseStats,
  pgstatCountCheckpointer,
  pgstatCountIo,
  pgstatCountWal,
  pgstatCountXact,
  pgstatReportCheckpoint,
  pgstatReportChecksumFailure,
  pgstatResetShared,
  pgstatSnapshot,
  type StatsSnapshot,
} from "./stats.ts";
export {
  CHECKPOINTER_COUNTERS,
  type CheckpointerCounter,
  DATABASE_COUNTERS,
  DATABASE_STATS_MAX,
  type DatabaseCounter,
  IO_COUNTERS,
  type IoCounter,
  STATS_RESET_TARGETS,
  type StatsResetTarget,
  WAL_COUNTERS,
  type WalCounter,
  XACT_COUNTERS,
  type XactCounter,
} from "./stats_layout.ts";
export { checkPostmasterSignal, PM_SIGNAL_REASONS, type PmSignalReason, sendPostmasterSignal } from "./pmsignal.ts";
