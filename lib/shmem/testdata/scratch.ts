/**
 * scratch.ts — the extra region the shared-memory tests add to the registry,
 * and what lives in it.
 *
 * PostgreSQL counterpart: none (test harness).
 *
 * @module
 */

import type { ShmemRegionSpec } from "../mod.ts";

/** The tests' extra region. */
export const SCRATCH_REGION: ShmemRegionSpec = { name: "test scratch", sizeBytes: () => 4096, alignBytes: 64 };
/**
 * Byte offsets inside the scratch region: an LWLock, a spinlock, counters, the start word, ping-pong words, and a
 * stop word (set by a test to end a worker that runs until told).
 */
export const Scratch = {
  lwlock: 0,
  spinlock: 64,
  counter: 128,
  a: 136,
  b: 144,
  start: 256,
  ping: 384,
  pong: 448,
  stop: 512,
} as const;
