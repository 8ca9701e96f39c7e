/**
 * buf_table.ts — the buffer mapping table: a shared hash table from page tag
 * to buffer id, partitioned so lookups of different pages rarely contend.
 *
 * PostgreSQL counterpart: src/backend/storage/buffer/buf_table.c
 * (BufTableLookup, BufTableInsert, BufTableDelete) over a partitioned dynahash.
 *
 * NOTES
 * Chained hashing in a fixed region: a 64-byte header (entry free-list
 * spinlock, free-list head, bucket and entry counts), `nbuckets` i32 bucket
 * heads, then `NBuffers + 128` entries of 32 bytes (tag, buffer id, next).
 * `nbuckets` is a multiple of the 128 partitions, so bucket `hash % nbuckets`
 * belongs to partition `hash % 128`, whose BufferMapping LWLock protects the
 * bucket chain: shared to look up, exclusive to insert or delete. Entries
 * come from one free list under a spinlock; there is always one, because
 * every buffer has at most one entry and each partition may hold one spare
 * while a buffer changes identity (new tag inserted before the old one is
 * deleted). Chain lengths average below one. Links are entry index + 1
 * (0 = end), so a zeroed region reads as empty before initialisation.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { mainLWLock, type ShmemSegment, spinLockAcquire, spinLockRelease } from "../shmem/mod.ts";
import { BUFFER_MAPPING_ENTRY_BYTES, BUFFER_MAPPING_PARTITIONS } from "../storage/shmem_sizes.ts";
import type { BufferTag } from "./buf_internals.ts";

const _HDR_SPIN = 0;
const _HDR_FREE = 4;
const _HDR_NBUCKETS = 8;
const _HDR_NENTRIES = 12;
const _HEADER_BYTES = 64;

/** The mapping table's place in this process's mapping. */
export interface BufTable {
  readonly seg: ShmemSegment;
  readonly base: number;
  readonly nbuckets: number;
  /** i32 index of bucket 0. */
  readonly bucketIdx: number;
  /** i32 index of entry 0. */
  readonly entryIdx: number;
  /** Byte offset of the BufferMapping LWLock of partition 0 (the others follow, one cache line each). */
  readonly partitionLock0: number;
}

const _ENTRY_WORDS = BUFFER_MAPPING_ENTRY_BYTES / 4;
/** Distance between main-array LWLocks (lib/shmem's MAIN_LWLOCK_STRIDE_BYTES: one cache line). */
const MAIN_LWLOCK_STRIDE = 64;

/**
 * Initialises the table: empty buckets, every entry on the free list
 * (segment creation only).
 *
 * @param seg the new segment
 * @param nbuckets bucket count (a multiple of 128)
 * @param nentries entry count
 */
export function bufTableShmemInit(seg: ShmemSegment, nbuckets: number, nentries: number): void {
  assert(nbuckets % BUFFER_MAPPING_PARTITIONS === 0, "buckets are a multiple of the partitions");
  const base = seg.region("buffer mapping").offset;
  const i32 = seg.i32;
  i32[(base + _HDR_NBUCKETS) >> 2] = nbuckets;
  i32[(base + _HDR_NENTRIES) >> 2] = nentries;
  const entry0 = (base + _HEADER_BYTES + nbuckets * 4) >> 2;
  for (let e = 0; e < nentries; e++) i32[entry0 + e * _ENTRY_WORDS + 6] = e + 2 <= nentries ? e + 2 : 0;
  i32[(base + _HDR_FREE) >> 2] = nentries > 0 ? 1 : 0;
}

/**
 * @param seg an attached segment
 * @returns the table's geometry in this process
 */
export function bufTableAttach(seg: ShmemSegment): BufTable {
  const base = seg.region("buffer mapping").offset;
  assert(
    mainLWLock(seg, "BufferMapping", 1) - mainLWLock(seg, "BufferMapping", 0) === MAIN_LWLOCK_STRIDE,
    "BufferMapping partition locks are one cache line apart",
  );
  const nbuckets = seg.i32[(base + _HDR_NBUCKETS) >> 2];
  return {
    seg,
    base,
    nbuckets,
    bucketIdx: (base + _HEADER_BYTES) >> 2,
    entryIdx: (base + _HEADER_BYTES + nbuckets * 4) >> 2,
    partitionLock0: mainLWLock(seg, "BufferMapping", 0),
  };
}

/**
 * @param t the table
 * @param hash a tag's hash
 * @returns the byte offset of the BufferMapping LWLock of its partition (BufMappingPartitionLock)
 */
export function bufMappingPartitionLock(t: BufTable, hash: number): number {
  return t.partitionLock0 + (hash % BUFFER_MAPPING_PARTITIONS) * MAIN_LWLOCK_STRIDE;
}

function _matches(i32: Int32Array, e: number, tag: BufferTag): boolean {
  return i32[e + 4] >>> 0 === tag.blockNum && i32[e + 2] >>> 0 === tag.rl.relNumber && i32[e + 3] === tag.fork &&
    i32[e + 1] >>> 0 === tag.rl.dbOid && i32[e] >>> 0 === tag.rl.spcOid;
}

/**
 * Finds the buffer holding a page (BufTableLookup).
 *
 * Lock contract: the caller holds the tag's partition lock, shared or exclusive.
 *
 * @param t the table
 * @param tag the page
 * @param hash its hash
 * @returns the buffer id, or -1
 */
export function bufTableLookup(t: BufTable, tag: BufferTag, hash: number): number {
  const i32 = t.seg.i32;
  for (let link = i32[t.bucketIdx + (hash % t.nbuckets)]; link !== 0;) {
    const e = t.entryIdx + (link - 1) * _ENTRY_WORDS;
    if (_matches(i32, e, tag)) return i32[e + 5];
    link = i32[e + 6];
  }
  return -1;
}

/**
 * Maps a page to a buffer unless it is already mapped (BufTableInsert).
 *
 * Lock contract: the caller holds the tag's partition lock exclusively.
 *
 * @param t the table
 * @param tag the page
 * @param hash its hash
 * @param bufId the buffer
 * @returns -1 if inserted, else the buffer id already mapped to the tag
 */
export function bufTableInsert(t: BufTable, tag: BufferTag, hash: number, bufId: number): number {
  const existing = bufTableLookup(t, tag, hash);
  if (existing >= 0) return existing;
  const i32 = t.seg.i32;
  spinLockAcquire(t.seg, t.base + _HDR_SPIN, "buffer mapping free list");
  const link = i32[(t.base + _HDR_FREE) >> 2];
  if (link !== 0) i32[(t.base + _HDR_FREE) >> 2] = i32[t.entryIdx + (link - 1) * _ENTRY_WORDS + 6];
  spinLockRelease(t.seg, t.base + _HDR_SPIN);
  assert(link !== 0, "buffer mapping table has a free entry");
  const e = t.entryIdx + (link - 1) * _ENTRY_WORDS;
  i32[e] = tag.rl.spcOid;
  i32[e + 1] = tag.rl.dbOid;
  i32[e + 2] = tag.rl.relNumber;
  i32[e + 3] = tag.fork;
  i32[e + 4] = tag.blockNum;
  i32[e + 5] = bufId;
  const bucket = t.bucketIdx + (hash % t.nbuckets);
  i32[e + 6] = i32[bucket];
  i32[bucket] = link;
  return -1;
}

/**
 * Removes a page's mapping (BufTableDelete).
 *
 * Lock contract: the caller holds the tag's partition lock exclusively.
 *
 * @param t the table
 * @param tag the page
 * @param hash its hash
 */
export function bufTableDelete(t: BufTable, tag: BufferTag, hash: number): void {
  const i32 = t.seg.i32;
  let prevSlot = t.bucketIdx + (hash % t.nbuckets);
  for (let link = i32[prevSlot]; link !== 0;) {
    const e = t.entryIdx + (link - 1) * _ENTRY_WORDS;
    if (_matches(i32, e, tag)) {
      i32[prevSlot] = i32[e + 6];
      spinLockAcquire(t.seg, t.base + _HDR_SPIN, "buffer mapping free list");
      i32[e + 6] = i32[(t.base + _HDR_FREE) >> 2];
      i32[(t.base + _HDR_FREE) >> 2] = link;
      spinLockRelease(t.seg, t.base + _HDR_SPIN);
      return;
    }
    prevSlot = e + 6;
    link = i32[prevSlot];
  }
  assert(false, "buffer mapping entry to delete exists");
}
