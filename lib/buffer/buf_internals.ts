/**
 * buf_internals.ts — buffer descriptors in shared memory: the tag, the
 * atomic state word with its flag bits, reference and usage counts, and the
 * buffer header lock.
 *
 * PostgreSQL counterpart: src/include/storage/buf_internals.h (BufferDesc,
 * BufferTag, BM_* flags, BUF_REFCOUNT_MASK, BUF_USAGECOUNT_*) and
 * LockBufHdr/UnlockBufHdr/WaitBufHdrUnlocked in bufmgr.c.
 *
 * NOTES
 * One 64-byte descriptor per buffer, after a 64-byte region header (the
 * buffer count). Descriptor layout: tag (spcOid, dbOid, relNumber, fork,
 * block: 5 × u32) at 0, state word (i32) at 20, freeNext (i32) at 24,
 * I/O-done counter (i32, a futex word) at 28, content LWLock (16 bytes) at
 * 32. The state word is PostgreSQL's: refcount in bits 0-17, usage count in
 * bits 18-21, flags in bits 22-31 (BM_LOCKED … BM_PERMANENT); every change
 * is an atomic compare-exchange, and BM_LOCKED is the buffer header
 * spinlock. The tag may be read or changed only with the header locked
 * (or with the buffer pinned and BM_TAG_VALID set, for reading). See
 * README.md for the pin and lock rules.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { type ShmemSegment, SpinDelay } from "../shmem/mod.ts";
import type { ForkNumber, RelFileLocator } from "../storage/relpath.ts";
import { BUFFER_DESC_BYTES } from "../storage/shmem_sizes.ts";

/** Bits of the reference count (BUF_REFCOUNT_MASK): at most 2^18 - 1 pins, one per process. */
export const BUF_REFCOUNT_MASK = (1 << 18) - 1;
/** One unit of usage count (BUF_USAGECOUNT_ONE). */
export const BUF_USAGECOUNT_ONE = 1 << 18;
/** Mask of the usage count (BUF_USAGECOUNT_MASK). */
export const BUF_USAGECOUNT_MASK = 0xf << 18;
/** Highest usage count (BM_MAX_USAGE_COUNT). */
export const BM_MAX_USAGE_COUNT = 5;
/** Buffer header lock. */
export const BM_LOCKED = 1 << 22;
/** Data needs writing. */
export const BM_DIRTY = 1 << 23;
/** Data is valid. */
export const BM_VALID = 1 << 24;
/** Tag is assigned. */
export const BM_TAG_VALID = 1 << 25;
/** Read or write in progress. */
export const BM_IO_IN_PROGRESS = 1 << 26;
/** The previous I/O failed. */
export const BM_IO_ERROR = 1 << 27;
/** Dirtied again since a write started. */
export const BM_JUST_DIRTIED = 1 << 28;
/** Someone waits for the pin count to drop to one (unused: no cleanup locks yet). */
export const BM_PIN_COUNT_WAITER = 1 << 29;
/** Must be written by the running checkpoint. */
export const BM_CHECKPOINT_NEEDED = 1 << 30;
/** Belongs to a permanent (WAL-logged) relation. */
export const BM_PERMANENT = 1 << 31;

/** Offsets inside a descriptor. */
export const BufDescOffset = {
  spcOid: 0,
  dbOid: 4,
  relNumber: 8,
  forkNum: 12,
  blockNum: 16,
  state: 20,
  freeNext: 24,
  ioDone: 28,
  contentLock: 32,
} as const;

/** Identifies a page: relation, fork and block (BufferTag). */
export interface BufferTag {
  readonly rl: RelFileLocator;
  readonly fork: ForkNumber;
  readonly blockNum: number;
}

/** Where the buffer regions are in this process's mapping. */
export interface BufferRegions {
  readonly seg: ShmemSegment;
  readonly nbuffers: number;
  /** Byte offset of descriptor 0. */
  readonly descBase: number;
  /** Byte offset of buffer 0's block. */
  readonly blockBase: number;
}

/** @returns the byte offset of buffer `id`'s descriptor */
export function bufDescOffset(r: BufferRegions, id: number): number {
  return r.descBase + id * BUFFER_DESC_BYTES;
}

/** @returns the i32 index of buffer `id`'s state word */
export function bufStateIndex(r: BufferRegions, id: number): number {
  return (r.descBase + id * BUFFER_DESC_BYTES + BufDescOffset.state) >> 2;
}

/** @returns the reference count of a state word */
export function bufStateGetRefcount(state: number): number {
  return state & BUF_REFCOUNT_MASK;
}

/** @returns the usage count of a state word */
export function bufStateGetUsagecount(state: number): number {
  return (state & BUF_USAGECOUNT_MASK) >>> 18;
}

/**
 * Locks a buffer header (LockBufHdr): sets BM_LOCKED, spinning while another
 * process holds it.
 *
 * Lock contract: on exit the header is locked; release with
 * {@link unlockBufHdr} within a few instructions, without throwing.
 *
 * @param r the regions
 * @param id the buffer
 * @returns the state word with BM_LOCKED set
 */
export function lockBufHdr(r: BufferRegions, id: number): number {
  const i32 = r.seg.i32;
  const idx = bufStateIndex(r, id);
  let delay: SpinDelay | undefined;
  for (;;) {
    const old = Atomics.or(i32, idx, BM_LOCKED);
    if ((old & BM_LOCKED) === 0) return old | BM_LOCKED;
    delay ??= new SpinDelay("buffer header");
    delay.pause(() => `buffer ${id}`);
  }
}

/**
 * Unlocks a buffer header, storing the new state (UnlockBufHdr).
 *
 * Lock contract: the header is locked on entry, unlocked on exit.
 *
 * @param r the regions
 * @param id the buffer
 * @param state the new state (BM_LOCKED is cleared here)
 */
export function unlockBufHdr(r: BufferRegions, id: number, state: number): void {
  Atomics.store(r.seg.i32, bufStateIndex(r, id), state & ~BM_LOCKED);
}

/**
 * Waits until the header lock is free and returns the state then
 * (WaitBufHdrUnlocked), for compare-exchange loops.
 *
 * @param r the regions
 * @param id the buffer
 * @returns an unlocked state word
 */
export function waitBufHdrUnlocked(r: BufferRegions, id: number): number {
  const idx = bufStateIndex(r, id);
  let state = Atomics.load(r.seg.i32, idx);
  let delay: SpinDelay | undefined;
  while (state & BM_LOCKED) {
    delay ??= new SpinDelay("buffer header");
    delay.pause(() => `buffer ${id}`);
    state = Atomics.load(r.seg.i32, idx);
  }
  return state;
}

/**
 * Reads a buffer's tag. Callers hold the header lock, or a pin with
 * BM_TAG_VALID set.
 *
 * @param r the regions
 * @param id the buffer
 * @returns the tag
 */
export function readBufferTag(r: BufferRegions, id: number): BufferTag {
  const w = bufDescOffset(r, id) >> 2;
  const u = r.seg.i32;
  return {
    rl: { spcOid: u[w] >>> 0, dbOid: u[w + 1] >>> 0, relNumber: u[w + 2] >>> 0 },
    fork: u[w + 3] as ForkNumber,
    blockNum: u[w + 4] >>> 0,
  };
}

/**
 * Sets a buffer's tag. Callers hold the header lock.
 *
 * @param r the regions
 * @param id the buffer
 * @param tag the new tag
 */
export function writeBufferTag(r: BufferRegions, id: number, tag: BufferTag): void {
  const w = bufDescOffset(r, id) >> 2;
  const u = r.seg.i32;
  u[w] = tag.rl.spcOid;
  u[w + 1] = tag.rl.dbOid;
  u[w + 2] = tag.rl.relNumber;
  u[w + 3] = tag.fork;
  u[w + 4] = tag.blockNum;
}

/**
 * @param r the regions
 * @param id the buffer
 * @returns a view of the buffer's 8 KiB block in shared memory
 */
export function bufferBlock(r: BufferRegions, id: number): Uint8Array {
  assert(id >= 0 && id < r.nbuffers, "buffer id in range");
  const off = r.blockBase + id * 8192;
  return r.seg.u8.subarray(off, off + 8192);
}

/** @returns the byte offset of buffer `id`'s content LWLock */
export function bufContentLock(r: BufferRegions, id: number): number {
  return bufDescOffset(r, id) + BufDescOffset.contentLock;
}

/** @returns the byte offset of buffer `id`'s I/O-done futex word */
export function bufIoDoneWord(r: BufferRegions, id: number): number {
  return bufDescOffset(r, id) + BufDescOffset.ioDone;
}

/**
 * Hashes a tag (BufTableHashCode): mixes the five words with multiply-xorshift.
 *
 * @param tag the tag
 * @returns an unsigned 32-bit hash
 */
export function bufTableHashCode(tag: BufferTag): number {
  let h = 0x9e3779b9;
  for (const v of [tag.rl.spcOid, tag.rl.dbOid, tag.rl.relNumber, tag.fork, tag.blockNum]) {
    h = Math.imul(h ^ v, 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
