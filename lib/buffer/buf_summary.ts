/**
 * buf_summary.ts — a summary of the shared buffer pool for monitoring: size,
 * used, dirty and pinned buffers and the usage counts of the used ones.
 *
 * PostgreSQL counterpart: pg_buffercache_summary() in
 * contrib/pg_buffercache/pg_buffercache_pages.c (PostgreSQL 16).
 *
 * NOTES
 * Reads each descriptor's state word once with an atomic load and takes no
 * lock (neither the buffer header lock nor a mapping lock), exactly as
 * pg_buffercache_summary() does: the figures are a picture of moments a few
 * microseconds apart, never a stall of the cluster. It needs nothing but
 * the segment — no process-array slot, no initBufferPoolAccess() — so it
 * works on a read-only attachment (`top`). See README.md.
 *
 * @module
 */

import type { ShmemSegment } from "../shmem/mod.ts";
import {
  BM_DIRTY,
  BM_MAX_USAGE_COUNT,
  BM_VALID,
  bufStateGetRefcount,
  bufStateGetUsagecount,
  bufStateIndex,
} from "./buf_internals.ts";
import { bufferRegionsAttach } from "./buf_init.ts";

/** The buffer pool at one moment (pg_buffercache_summary's columns, with the usage counts spelled out). */
export interface BufferPoolSummary {
  /** Buffers in the pool (`shared_buffers`). */
  readonly sizeBuffers: number;
  /** Buffers holding a valid page (BM_VALID). */
  readonly usedBuffers: number;
  /** Used buffers that are dirty. */
  readonly dirtyBuffers: number;
  /** Buffers pinned by at least one process. */
  readonly pinnedBuffers: number;
  /** Used buffers by usage count, index 0 … BM_MAX_USAGE_COUNT (5). */
  readonly usageCountHistogram: readonly number[];
}

/**
 * Summarises the buffer pool. Works on a read-only attachment.
 *
 * Lock contract: takes no lock; no locks held on entry or exit.
 *
 * @param seg an attached segment with the buffer regions
 * @returns the summary
 * @example
 * ```ts
 * const { usedBuffers, dirtyBuffers } = bufferPoolSummary(attachShmemSegment(name, { readOnly: true }));
 * ```
 */
export function bufferPoolSummary(seg: ShmemSegment): BufferPoolSummary {
  const r = bufferRegionsAttach(seg);
  const histogram = new Array<number>(BM_MAX_USAGE_COUNT + 1).fill(0);
  let used = 0;
  let dirty = 0;
  let pinned = 0;
  for (let id = 0; id < r.nbuffers; id++) {
    const state = Atomics.load(seg.i32, bufStateIndex(r, id));
    if (bufStateGetRefcount(state) > 0) pinned++;
    if ((state & BM_VALID) === 0) continue;
    used++;
    if ((state & BM_DIRTY) !== 0) dirty++;
    histogram[Math.min(BM_MAX_USAGE_COUNT, bufStateGetUsagecount(state))]++;
  }
  return {
    sizeBuffers: r.nbuffers,
    usedBuffers: used,
    dirtyBuffers: dirty,
    pinnedBuffers: pinned,
    usageCountHistogram: histogram,
  };
}
