/**
 * buf_init.ts — initialising the buffer pool's shared memory, and finding it
 * from another process.
 *
 * PostgreSQL counterpart: src/backend/storage/buffer/buf_init.c
 * (InitBufferPool) and StrategyInitialize in freelist.c.
 *
 * NOTES
 * Runs in the postmaster at segment creation (and after each crash reset,
 * on a fresh segment), before any child attaches: every descriptor gets an
 * empty tag, a zero state word, its free-list link and its content lock's
 * tranche; every buffer is on the free list; the mapping table is empty.
 * The buffer count is stored in the first word of the descriptor region, so
 * attachers need no settings.
 *
 * @module
 */

import { lwlockInitialize, lwlockTrancheId, type ShmemSegment } from "../shmem/mod.ts";
import { bufferMappingBuckets, bufferMappingEntries } from "../storage/shmem_sizes.ts";
import { BufDescOffset, bufDescOffset, type BufferRegions } from "./buf_internals.ts";
import { bufTableShmemInit } from "./buf_table.ts";
import { FREENEXT_END_OF_LIST, relationExtensionLocks, strategyShmemInit } from "./freelist.ts";

/** Bytes before descriptor 0 in the descriptor region (holds the buffer count). */
const _DESC_HEADER_BYTES = 64;

/**
 * Initialises the buffer pool regions of a new segment (InitBufferPool).
 *
 * @param seg the new segment (postmaster, before children attach)
 */
export function bufferShmemInit(seg: ShmemSegment): void {
  const blocks = seg.region("buffer blocks");
  const nbuffers = blocks.sizeBytes / 8192;
  const descBase = seg.region("buffer descriptors").offset;
  seg.i32[descBase >> 2] = nbuffers;
  const r = bufferRegionsAttach(seg);
  const contentTranche = lwlockTrancheId("BufferContent");
  for (let id = 0; id < nbuffers; id++) {
    const d = bufDescOffset(r, id);
    seg.i32[(d + BufDescOffset.freeNext) >> 2] = id + 1 < nbuffers ? id + 1 : FREENEXT_END_OF_LIST;
    lwlockInitialize(seg, d + BufDescOffset.contentLock, contentTranche);
  }
  strategyShmemInit(seg, nbuffers);
  const extensionTranche = lwlockTrancheId("RelationExtension");
  for (const lock of relationExtensionLocks(seg)) lwlockInitialize(seg, lock, extensionTranche);
  bufTableShmemInit(seg, bufferMappingBuckets(nbuffers), bufferMappingEntries(nbuffers));
}

/**
 * @param seg an attached segment
 * @returns where the buffer pool lives in this process's mapping
 */
export function bufferRegionsAttach(seg: ShmemSegment): BufferRegions {
  const descRegion = seg.region("buffer descriptors").offset;
  return {
    seg,
    nbuffers: seg.i32[descRegion >> 2],
    descBase: descRegion + _DESC_HEADER_BYTES,
    blockBase: seg.region("buffer blocks").offset,
  };
}
