/**
 * lock_sizes.ts — the lock manager's shared-memory regions: their size
 * formulas (for lib/shmem's one layout registry) and the byte layout of
 * their entries.
 *
 * PostgreSQL counterpart: LockShmemSize() and NLOCKENTS() of
 * src/backend/storage/lmgr/lock.c; the LOCK, PROCLOCK and PGPROC wait
 * fields of src/include/storage/lock.h and proc.h.
 *
 * NOTES
 * Pure: sizes depend only on settings and constants, and this file imports
 * nothing that imports lib/shmem, so lib/shmem/layout.ts can import it. The
 * same formulas are in lib/shmem/README.md's region table. Zeroed memory is
 * a valid empty table (no initialisation pass: the crash reset's fresh
 * segment is an empty table), and the geometry is recovered from the region
 * sizes recorded in the segment header, so attachers need no settings.
 * See README.md.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import type { GucSettings } from "../config/mod.ts";
// Pure and free of imports back into lib/shmem's layout (as layout.ts itself imports it).
import { procArraySlotCount } from "../shmem/proc_array_layout.ts";

/** Lock table partitions (NUM_LOCK_PARTITIONS); equals lib/shmem's LOCK_MANAGER_PARTITIONS. */
export const LOCK_PARTITIONS = 16;
/** Region header of the lock table, in bytes (free-list spinlock, high-water marks, free-list heads). */
export const LOCK_TABLE_HEADER_BYTES = 64;
/** One hash bucket: the index + 1 of its first LOCK, 0 = empty. */
export const LOCK_BUCKET_BYTES = 4;
/** One LOCK entry: tag, masks, counts, holder list, wait queue (two cache lines). */
export const LOCK_ENTRY_BYTES = 128;
/** One PROCLOCK entry: lock, process, held modes, list links. */
export const PROCLOCK_ENTRY_BYTES = 32;
/** PROCLOCK entries per LOCK entry (PostgreSQL sizes its proclock hash at 2 x NLOCKENTS). */
export const PROCLOCKS_PER_LOCK = 2;
/** Region header of the per-process wait state, in bytes. */
export const LOCK_WAITS_HEADER_BYTES = 64;
/** Per-process wait state, in bytes (one cache line per process-array slot). */
export const LOCK_WAIT_SLOT_BYTES = 64;
/** Largest number of LOCK entries: indexes + 1 of PROCLOCKs (2 per LOCK) must fit an i32. */
export const LOCK_ENTRIES_MAX = 0x3fffffff;

/** Lock table header fields (i32 offsets from the region start). */
export const LockTableHeader = {
  freeListLock: 0, // spinlock over the four words below
  lockHighWater: 4, // LOCK entries ever handed out
  lockFreeHead: 8, // index + 1 of the first free LOCK, 0 = none
  procLockHighWater: 12,
  procLockFreeHead: 16,
} as const;

/** LOCK entry fields (byte offsets from the entry; i32 unless noted). */
export const LockOffset = {
  field1: 0, // u32
  field2: 4, // u32
  field3: 8, // u32
  word4: 12, // field4 | type << 16 | method << 24; 0 = entry free
  hashNext: 16, // index + 1 of the next LOCK of the bucket (or of the free list)
  grantMask: 20,
  waitMask: 24,
  nRequested: 28,
  nGranted: 32,
  procLockHead: 36, // index + 1 of the first PROCLOCK
  waitHead: 40, // procNo + 1 of the first waiter
  waitTail: 44,
  requested: 64, // i32[9], mode 1..8 at 64 + 4 * (mode - 1)
  granted: 96, // i32[9]
} as const;

/** PROCLOCK entry fields (byte offsets; i32). */
export const ProcLockOffset = {
  lock: 0, // index + 1 of the LOCK; 0 = entry free
  procNo: 4,
  holdMask: 8,
  next: 12, // index + 1 of the next PROCLOCK of the lock (or of the free list)
  prev: 16,
} as const;

/** Per-process wait state fields (byte offsets from the slot; i32 unless noted). */
export const LockWaitOffset = {
  status: 0, // LockWaitStatus
  lock: 4, // index + 1 of the LOCK waited for
  procLock: 8, // index + 1 of the waiter's PROCLOCK
  mode: 12, // mode waited for
  heldMask: 16, // modes the waiter already holds on that lock (PGPROC.heldLocks)
  next: 20, // procNo + 1 of the next waiter in the lock's queue
  prev: 24,
  lxid: 28, // local transaction id, published while this process holds a lock (pg_locks' virtualtransaction)
  waitStartMs: 32, // f64 epoch ms of the wait's start, 0 = not waiting
} as const;

/** A process's wait state (PGPROC.waitStatus). */
export const LockWaitStatus = { none: 0, waiting: 1, granted: 2 } as const;

/**
 * PostgreSQL's MaxBackends as denogres has it: client backends, autovacuum
 * workers and the autovacuum launcher (denogres has no background workers
 * and no WAL senders, PostgreSQL's other two terms).
 *
 * @param s the postmaster's settings
 * @returns MaxBackends
 */
export function lockMaxBackends(s: GucSettings): number {
  return s.int("max_connections") + s.int("autovacuum_max_workers") + 1;
}

/**
 * LOCK entries (NLOCKENTS): `max_locks_per_transaction * MaxBackends`.
 *
 * @param s the postmaster's settings
 * @returns the number of LOCK entries
 * @throws {SqlError} 54000 `requested shared memory size overflows size_t` above {@link LOCK_ENTRIES_MAX}
 */
export function lockEntryCount(s: GucSettings): number {
  const n = s.int("max_locks_per_transaction") * lockMaxBackends(s);
  if (n > LOCK_ENTRIES_MAX) {
    throw new SqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, "requested shared memory size overflows size_t");
  }
  return n;
}

/** @returns hash buckets for `n` LOCK entries: n rounded up to a multiple of the partitions (a bucket maps to one partition) */
export function lockBucketCount(n: number): number {
  return Math.ceil(n / LOCK_PARTITIONS) * LOCK_PARTITIONS;
}

/** @returns the lock table's size in bytes for `n` LOCK entries */
export function lockTableBytesFor(n: number): number {
  return LOCK_TABLE_HEADER_BYTES + lockBucketCount(n) * LOCK_BUCKET_BYTES + n * LOCK_ENTRY_BYTES +
    n * PROCLOCKS_PER_LOCK * PROCLOCK_ENTRY_BYTES;
}

/**
 * The LOCK entry count of a lock table of a given size (the inverse of
 * {@link lockTableBytesFor}, which is strictly increasing).
 *
 * @param sizeBytes the region's size from the segment header
 * @returns the LOCK entry count
 */
export function lockEntryCountOfSize(sizeBytes: number): number {
  const per = LOCK_ENTRY_BYTES + PROCLOCKS_PER_LOCK * PROCLOCK_ENTRY_BYTES + LOCK_BUCKET_BYTES;
  const guess = Math.floor((sizeBytes - LOCK_TABLE_HEADER_BYTES) / per);
  for (let n = Math.max(0, guess - LOCK_PARTITIONS); n <= guess + LOCK_PARTITIONS; n++) {
    if (lockTableBytesFor(n) === sizeBytes) return n;
  }
  throw new RangeError(`Lock table size ${sizeBytes} matches no entry count`);
}

/** The lock manager's regions, shaped as lib/shmem's ShmemRegionSpec, in segment order. */
export const LOCK_SHMEM_REGIONS = [
  { name: "lock table", sizeBytes: (s: GucSettings) => lockTableBytesFor(lockEntryCount(s)), alignBytes: 64 },
  {
    name: "lock waits",
    sizeBytes: (s: GucSettings) => LOCK_WAITS_HEADER_BYTES + procArraySlotCount(s) * LOCK_WAIT_SLOT_BYTES,
    alignBytes: 64,
  },
] as const;
