/**
 * shmem_sizes.ts — the shared-memory regions of the storage subsystems
 * (buffers, WAL, commit status, transaction ids, checkpointer) and their
 * size formulas, for lib/shmem's one layout registry.
 *
 * PostgreSQL counterpart: BufferShmemSize, StrategyShmemSize,
 * XLOGShmemSize / XLOGChooseNumBuffers, CLOGShmemSize / CLOGShmemBuffers,
 * VarsupShmemSize and CheckpointerShmemSize.
 *
 * NOTES
 * Pure: sizes depend only on settings and constants, and this file imports
 * nothing that imports lib/shmem, so layout.ts can import it. The same
 * formulas are stated in lib/shmem/README.md's region table and in the
 * READMEs of lib/buffer, lib/wal and lib/xact. Each region's contents are
 * laid out by its owner's `*_shmem.ts`; counts are derived from the region
 * sizes recorded in the segment header, so attachers need no settings.
 *
 * @module
 */

import { BLOCK_SIZE_BYTES, WAL_PAGE_SIZE_BYTES } from "../common/limits.ts";
import type { GucSettings } from "../config/mod.ts";

/** Bytes of one buffer descriptor (a cache line, as PostgreSQL's padded BufferDesc). */
export const BUFFER_DESC_BYTES = 64;
/** Bytes of one buffer mapping hash entry (tag, buffer id, chain link). */
export const BUFFER_MAPPING_ENTRY_BYTES = 32;
/** Buffer mapping partitions; equals lib/shmem's BUFFER_MAPPING_PARTITIONS (NUM_BUFFER_PARTITIONS). */
export const BUFFER_MAPPING_PARTITIONS = 128;
/** Relation extension locks, chosen by a hash of the relation (16 bytes each). */
export const RELATION_EXTENSION_LOCKS = 64;
/** WAL insertion locks (NUM_XLOGINSERT_LOCKS), one 64-byte line each. */
export const NUM_XLOGINSERT_LOCKS = 8;
/** Fixed part of the XLOG control region, in bytes. */
export const XLOG_CTL_FIXED_BYTES = 256;
/** Bytes per commit-status buffer slot's metadata (page number, state, LSN, LWLock). */
export const CLOG_SLOT_META_BYTES = 64;
/** Bytes of one checkpointer sync request (relation, fork, segment). */
export const CHECKPOINTER_REQUEST_BYTES = 24;
/** Fixed part of the checkpointer region, in bytes. */
export const CHECKPOINTER_FIXED_BYTES = 128;

/** @returns NBuffers: shared buffers (shared_buffers, in 8 kB blocks) */
export function sharedBufferCount(s: GucSettings): number {
  return s.int("shared_buffers");
}

/** @returns buckets of the buffer mapping table: NBuffers rounded up to a multiple of the partitions */
export function bufferMappingBuckets(nbuffers: number): number {
  return Math.ceil(nbuffers / BUFFER_MAPPING_PARTITIONS) * BUFFER_MAPPING_PARTITIONS;
}

/** @returns entries of the buffer mapping table: one per buffer plus one spare per partition */
export function bufferMappingEntries(nbuffers: number): number {
  return nbuffers + BUFFER_MAPPING_PARTITIONS;
}

/**
 * WAL buffer pages (XLOGChooseNumBuffers): wal_buffers, or when -1 1/32 of
 * shared_buffers between 8 pages and one segment; at least 4.
 *
 * @param s the settings
 * @returns the number of 8 KiB WAL buffer pages
 */
export function walBufferPages(s: GucSettings): number {
  const configured = s.int("wal_buffers");
  if (configured !== -1) return Math.max(configured, 4);
  const segPages = s.int("wal_segment_size") / WAL_PAGE_SIZE_BYTES;
  return Math.min(Math.max(Math.floor(sharedBufferCount(s) / 32), 8), segPages);
}

/** @returns commit-status buffer slots (CLOGShmemBuffers): NBuffers / 512 between 4 and 128 */
export function clogBufferSlots(s: GucSettings): number {
  return Math.min(128, Math.max(4, Math.floor(sharedBufferCount(s) / 512)));
}

/** A region entry, shaped as lib/shmem's ShmemRegionSpec. */
export interface StorageRegionSpec {
  readonly name: string;
  readonly sizeBytes: (settings: GucSettings) => number;
  readonly alignBytes: number;
}

/** The storage regions, in segment order, for lib/shmem's SHMEM_REGIONS. */
export const STORAGE_SHMEM_REGIONS: readonly StorageRegionSpec[] = [
  { name: "buffer descriptors", sizeBytes: (s) => 64 + sharedBufferCount(s) * BUFFER_DESC_BYTES, alignBytes: 64 },
  { name: "buffer blocks", sizeBytes: (s) => sharedBufferCount(s) * BLOCK_SIZE_BYTES, alignBytes: 4096 },
  {
    name: "buffer mapping",
    sizeBytes: (s) =>
      64 + bufferMappingBuckets(sharedBufferCount(s)) * 4 +
      bufferMappingEntries(sharedBufferCount(s)) * BUFFER_MAPPING_ENTRY_BYTES,
    alignBytes: 64,
  },
  { name: "buffer strategy", sizeBytes: () => 64 + RELATION_EXTENSION_LOCKS * 16, alignBytes: 64 },
  {
    name: "XLOG control",
    sizeBytes: (s) => XLOG_CTL_FIXED_BYTES + NUM_XLOGINSERT_LOCKS * 64 + walBufferPages(s) * 8,
    alignBytes: 64,
  },
  { name: "WAL buffers", sizeBytes: (s) => walBufferPages(s) * WAL_PAGE_SIZE_BYTES, alignBytes: 4096 },
  {
    name: "commit status",
    sizeBytes: (s) => 64 + clogBufferSlots(s) * (CLOG_SLOT_META_BYTES + BLOCK_SIZE_BYTES),
    alignBytes: 4096,
  },
  { name: "transaction state", sizeBytes: () => 64, alignBytes: 64 },
  {
    name: "checkpointer",
    sizeBytes: (s) => CHECKPOINTER_FIXED_BYTES + sharedBufferCount(s) * CHECKPOINTER_REQUEST_BYTES,
    alignBytes: 64,
  },
];
