/**
 * bufmgr.ts — the shared buffer manager: finding or reading a page into a
 * shared buffer, pins, content locks, dirtying, writing (after the WAL it
 * depends on), checkpoint and background-writer scans.
 *
 * PostgreSQL counterpart: src/backend/storage/buffer/bufmgr.c
 * (ReadBuffer_common, BufferAlloc, PinBuffer, UnpinBuffer, LockBuffer,
 * MarkBufferDirty, FlushBuffer, StartBufferIO, TerminateBufferIO, WaitIO,
 * BufferSync, SyncOneBuffer, BgBufferSync, DropRelFileNodeBuffers,
 * FlushRelationBuffers, AtEOXact_Buffers).
 *
 * NOTES
 * The rules (pins, content locks, I/O in progress, write-ahead) are the
 * numbered ones of README.md. A process pins a buffer in shared memory once
 * and counts further pins of its own locally (PrivateRefCount). Reads and
 * writes of a buffer's page are done by the process that set
 * BM_IO_IN_PROGRESS; others wait on the descriptor's I/O-done futex word.
 * Before a dirty page is written, WAL is flushed up to the page's LSN
 * (xlogFlush), so no change reaches the data files before its WAL record is
 * durable. The page written is a private copy with its checksum set, so a
 * concurrent hint-bit change under a share lock cannot make the stored
 * checksum wrong. A page read whose checksum or header is bad is an ERROR
 * (`invalid page in block %u of relation %s`, XX001), never used.
 *
 * Errors: on an error the caller's error path must call
 * {@link bufferReleaseAll} (after lwlockReleaseAll) to drop pins and abort an
 * I/O in progress, as PostgreSQL's AbortBufferIO + AtEOXact_Buffers.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { BLOCK_SIZE_BYTES } from "../common/limits.ts";
import { elog } from "../log/mod.ts";
import {
  futexWait,
  futexWake,
  lwlockAcquire,
  lwlockConditionalAcquire,
  lwlockHeldByMeInMode,
  lwlockRelease,
  pgstatCountCheckpointer,
  pgstatCountIo,
  pgstatReportChecksumFailure,
  pgstatReportWaitEnd,
  pgstatReportWaitStart,
  type ShmemSegment,
  waitEventInfo,
} from "../shmem/mod.ts";
import { pageGetLsn, pageIsNew, pageSetChecksumInplace, pageVerify } from "../storage/page.ts";
import { type ForkNumber, type RelFileLocator, relPath } from "../storage/relpath.ts";
import { smgrExtend, smgrNblocks, smgrRead, smgrWrite } from "../storage/smgr.ts";
import { xlogFlush } from "../wal/xlog.ts";
import {
  BM_CHECKPOINT_NEEDED,
  BM_DIRTY,
  BM_IO_ERROR,
  BM_IO_IN_PROGRESS,
  BM_JUST_DIRTIED,
  BM_LOCKED,
  BM_MAX_USAGE_COUNT,
  BM_PERMANENT,
  BM_TAG_VALID,
  BM_VALID,
  BUF_USAGECOUNT_MASK,
  BUF_USAGECOUNT_ONE,
  bufContentLock,
  bufferBlock,
  type BufferRegions,
  type BufferTag,
  bufIoDoneWord,
  bufStateGetRefcount,
  bufStateGetUsagecount,
  bufStateIndex,
  bufTableHashCode,
  lockBufHdr,
  readBufferTag,
  unlockBufHdr,
  waitBufHdrUnlocked,
  writeBufferTag,
} from "./buf_internals.ts";
import { bufferRegionsAttach } from "./buf_init.ts";
import {
  bufMappingPartitionLock,
  type BufTable,
  bufTableAttach,
  bufTableDelete,
  bufTableInsert,
  bufTableLookup,
} from "./buf_table.ts";
import { relationExtensionLock, strategyFreeBuffer, strategyGetBuffer } from "./freelist.ts";

/** A buffer handle: buffer id + 1; 0 is InvalidBuffer. */
export type Buffer = number;
/** No buffer (InvalidBuffer). */
export const INVALID_BUFFER: Buffer = 0;
/** Block number meaning "a new block at the end" (P_NEW = InvalidBlockNumber). */
export const P_NEW = 0xffffffff;

/** How {@link readBuffer} prepares the page (ReadBufferMode). */
export type ReadBufferMode =
  /** Read from disk (or find in the pool), verify, return pinned. */
  | "normal"
  /** Do not read: return a zeroed page, pinned and exclusively locked (redo of a full-page image or WILL_INIT). */
  | "zero_and_lock";

/** Content lock modes of {@link lockBuffer}. */
export type BufferLockMode = "share" | "exclusive" | "unlock";

/** Which role writes buffers in this process, for pg_stat_bgwriter's counters. */
export type BufferWriterRole = "backend" | "checkpointer" | "bgwriter";

const _WAIT_BUFFER_IO = waitEventInfo("IPC", "BufferIO");
/** How long a wait for another process's buffer I/O sleeps before re-checking. */
const _IO_WAIT_POLL_MS = 100;

const _b = {
  r: undefined as BufferRegions | undefined,
  table: undefined as BufTable | undefined,
  privateRefCount: new Int32Array(0),
  /** Buffers this process has pinned at least once (PrivateRefCount entries in use). */
  pinnedBuffers: new Set<number>(),
  inProgressBuf: -1,
  inProgressForInput: false,
  checksums: true,
  role: "backend" as BufferWriterRole,
  /** Private copy of a page being written (PageSetChecksumCopy's buffer). */
  writeCopy: new Uint8Array(BLOCK_SIZE_BYTES),
};

function _r(): BufferRegions {
  assert(_b.r !== undefined, "initBufferPoolAccess() was called");
  return _b.r;
}

/**
 * Sets up this process's access to the shared buffer pool (InitBufferPoolAccess).
 *
 * @param seg the attached segment; this process holds a process-array slot
 * @param options data checksums on (from pg_control), and this process's writer role
 */
export function initBufferPoolAccess(
  seg: ShmemSegment,
  options: { dataChecksums: boolean; role?: BufferWriterRole },
): void {
  _b.r = bufferRegionsAttach(seg);
  _b.table = bufTableAttach(seg);
  _b.privateRefCount = new Int32Array(_b.r.nbuffers);
  _b.pinnedBuffers.clear();
  _b.inProgressBuf = -1;
  _b.checksums = options.dataChecksums;
  _b.role = options.role ?? "backend";
}

/** @returns the buffer pool regions of this process (for monitoring and the background writer) */
export function bufferPoolRegions(): BufferRegions {
  return _r();
}

function _id(buf: Buffer): number {
  assert(buf > 0 && buf <= _r().nbuffers, "valid buffer handle");
  return buf - 1;
}

// ---------------------------------------------------------------------------
// Pins

/**
 * Pins a buffer that may be in use by others (PinBuffer): bumps refcount and
 * usage count with compare-exchange, or only the local count if this
 * process already holds a pin.
 *
 * @returns whether the buffer holds valid data (BM_VALID)
 */
function _pinBuffer(id: number): boolean {
  const r = _r();
  if (_b.privateRefCount[id] > 0) {
    _b.privateRefCount[id]++;
    return (Atomics.load(r.seg.i32, bufStateIndex(r, id)) & BM_VALID) !== 0;
  }
  const idx = bufStateIndex(r, id);
  let old = Atomics.load(r.seg.i32, idx);
  for (;;) {
    if (old & BM_LOCKED) old = waitBufHdrUnlocked(r, id);
    let next = old + 1;
    if (bufStateGetUsagecount(old) < BM_MAX_USAGE_COUNT) next += BUF_USAGECOUNT_ONE;
    const seen = Atomics.compareExchange(r.seg.i32, idx, old, next);
    if (seen === old) {
      _b.privateRefCount[id] = 1;
      _b.pinnedBuffers.add(id);
      return (next & BM_VALID) !== 0;
    }
    old = seen;
  }
}

/**
 * Pins a buffer whose header this process has locked (PinBuffer_Locked),
 * and unlocks the header.
 */
function _pinBufferLocked(id: number, lockedState: number): void {
  const r = _r();
  assert(_b.privateRefCount[id] === 0, "not already pinned by this process");
  unlockBufHdr(r, id, lockedState + 1);
  _b.privateRefCount[id] = 1;
  _b.pinnedBuffers.add(id);
}

/** Drops one pin (UnpinBuffer); the shared refcount only when the local count reaches zero. */
function _unpinBuffer(id: number): void {
  const r = _r();
  assert(_b.privateRefCount[id] > 0, "buffer is pinned by this process");
  if (--_b.privateRefCount[id] > 0) return;
  _b.pinnedBuffers.delete(id);
  assert(!lwlockHeldByMeInMode(r.seg, bufContentLock(r, id), "exclusive"), "unpinned buffer is not locked");
  const idx = bufStateIndex(r, id);
  let old = Atomics.load(r.seg.i32, idx);
  for (;;) {
    if (old & BM_LOCKED) old = waitBufHdrUnlocked(r, id);
    const seen = Atomics.compareExchange(r.seg.i32, idx, old, old - 1);
    if (seen === old) return;
    old = seen;
  }
}

// ---------------------------------------------------------------------------
// I/O in progress

function _waitIo(id: number): void {
  const r = _r();
  const word = bufIoDoneWord(r, id);
  pgstatReportWaitStart(r.seg, _WAIT_BUFFER_IO);
  try {
    for (;;) {
      const seen = Atomics.load(r.seg.i32, word >> 2);
      const state = waitBufHdrUnlocked(r, id);
      if (!(state & BM_IO_IN_PROGRESS)) return;
      // The I/O's owner may have died: after a crash reset (or the postmaster's death) exit, as quickdie.
      if (futexWait(r.seg, word, seen, _IO_WAIT_POLL_MS) === "timed out" && r.seg.isAbandoned()) Deno.exit(2);
    }
  } finally {
    pgstatReportWaitEnd(r.seg);
  }
}

/**
 * Claims the right to read or write a buffer's page (StartBufferIO).
 *
 * @returns false if another process did the work meanwhile (page already valid / clean)
 */
function _startBufferIo(id: number, forInput: boolean): boolean {
  const r = _r();
  assert(_b.inProgressBuf === -1, "one buffer I/O at a time per process");
  let state: number;
  for (;;) {
    state = lockBufHdr(r, id);
    if (!(state & BM_IO_IN_PROGRESS)) break;
    unlockBufHdr(r, id, state);
    _waitIo(id);
  }
  if (forInput ? (state & BM_VALID) !== 0 : (state & BM_DIRTY) === 0) {
    unlockBufHdr(r, id, state);
    return false;
  }
  unlockBufHdr(r, id, state | BM_IO_IN_PROGRESS);
  _b.inProgressBuf = id;
  _b.inProgressForInput = forInput;
  return true;
}

/** Ends this process's I/O on a buffer (TerminateBufferIO) and wakes waiters. */
function _terminateBufferIo(id: number, clearDirty: boolean, setFlags: number): void {
  const r = _r();
  assert(_b.inProgressBuf === id, "this process does the I/O");
  let state = lockBufHdr(r, id);
  state &= ~(BM_IO_IN_PROGRESS | BM_IO_ERROR);
  if (clearDirty && !(state & BM_JUST_DIRTIED)) state &= ~(BM_DIRTY | BM_CHECKPOINT_NEEDED);
  unlockBufHdr(r, id, state | setFlags);
  _b.inProgressBuf = -1;
  const word = bufIoDoneWord(r, id);
  Atomics.add(r.seg.i32, word >> 2, 1);
  futexWake(r.seg, word);
}

// ---------------------------------------------------------------------------
// Reading

/**
 * Returns a pinned buffer holding a page, reading it from disk if needed
 * (ReadBufferExtended). With `blockNum = P_NEW` the relation is extended by
 * one zeroed block first (under its extension lock).
 *
 * Lock contract: no content lock on entry; on exit the buffer is pinned, and
 * with mode "zero_and_lock" also exclusively locked.
 *
 * @param rl the relation
 * @param fork the fork
 * @param blockNum a block number, or P_NEW
 * @param mode "normal" or "zero_and_lock"
 * @returns the buffer
 * @throws {SqlError} XX001 `invalid page in block %u of relation %s` on a checksum or header failure
 * @example
 * ```ts
 * const buf = readBuffer(rl, MAIN_FORKNUM, 0);
 * lockBuffer(buf, "share");
 * const page = bufferGetPage(buf);
 * unlockReleaseBuffer(buf);
 * ```
 */
export function readBuffer(
  rl: RelFileLocator,
  fork: ForkNumber,
  blockNum: number,
  mode: ReadBufferMode = "normal",
): Buffer {
  const r = _r();
  if (blockNum === P_NEW) return _extend(rl, fork);
  const tag: BufferTag = { rl, fork, blockNum };
  const { id, found } = _bufferAlloc(tag);
  if (found) {
    pgstatCountIo(r.seg, "hits", 1, rl.dbOid);
    if (mode === "zero_and_lock") lwlockAcquire(r.seg, bufContentLock(r, id), "exclusive");
    return id + 1;
  }
  const page = bufferBlock(r, id);
  if (mode === "zero_and_lock") {
    page.fill(0);
    lwlockAcquire(r.seg, bufContentLock(r, id), "exclusive");
  } else {
    try {
      smgrRead(rl, fork, blockNum, page);
      pgstatCountIo(r.seg, "reads", 1, rl.dbOid);
      const v = pageVerify(page, blockNum, _b.checksums);
      if (!v.ok) {
        if (v.reason === "checksum") {
          elog("WARNING", `page verification failed, calculated checksum ${v.calculated} but expected ${v.expected}`);
          pgstatReportChecksumFailure(r.seg, rl.dbOid);
        }
        throw new SqlError(
          SqlState.DATA_CORRUPTED,
          `invalid page in block ${blockNum} of relation ${relPath(rl, fork)}`,
        );
      }
    } catch (e) {
      _abortBufferIo();
      _unpinBuffer(id);
      throw e;
    }
  }
  _terminateBufferIo(id, false, BM_VALID);
  return id + 1;
}

function _extend(rl: RelFileLocator, fork: ForkNumber): Buffer {
  const r = _r();
  const extLock = relationExtensionLock(r.seg, rl);
  lwlockAcquire(r.seg, extLock, "exclusive");
  try {
    const blockNum = smgrNblocks(rl, fork);
    const { id, found } = _bufferAlloc({ rl, fork, blockNum });
    const page = bufferBlock(r, id);
    if (found) {
      // A leftover buffer for a block past the end (after a truncation): it must be empty.
      if (!pageIsNew(page)) {
        _unpinBuffer(id);
        throw new SqlError(
          SqlState.INTERNAL_ERROR,
          `unexpected data beyond EOF in block ${blockNum} of relation ${relPath(rl, fork)}`,
        );
      }
      smgrExtend(rl, fork, blockNum, page);
      return id + 1;
    }
    page.fill(0);
    try {
      smgrExtend(rl, fork, blockNum, page);
    } catch (e) {
      _abortBufferIo();
      _unpinBuffer(id);
      throw e;
    }
    pgstatCountIo(r.seg, "extends", 1, rl.dbOid);
    _terminateBufferIo(id, false, BM_VALID);
    return id + 1;
  } finally {
    lwlockRelease(r.seg, extLock);
  }
}

/**
 * Finds the buffer for a tag or assigns one (BufferAlloc).
 *
 * Lock contract: no locks on entry or exit; the buffer is pinned on exit. If
 * `found` is false, this process holds BM_IO_IN_PROGRESS and must read the
 * page and call _terminateBufferIo.
 */
function _bufferAlloc(tag: BufferTag): { id: number; found: boolean } {
  const r = _r();
  const t = _b.table!;
  const hash = bufTableHashCode(tag);
  const partLock = bufMappingPartitionLock(_b.table!, hash);
  lwlockAcquire(r.seg, partLock, "shared");
  const existing = bufTableLookup(t, tag, hash);
  if (existing >= 0) {
    const valid = _pinBuffer(existing);
    lwlockRelease(r.seg, partLock);
    return { id: existing, found: valid || !_startBufferIo(existing, true) };
  }
  lwlockRelease(r.seg, partLock);

  for (;;) {
    const victim = strategyGetBuffer(r);
    const victimState = victim.state;
    _pinBufferLocked(victim.id, victimState);
    if (victimState & BM_DIRTY) {
      // Write it out first, unless someone holds its content lock: then try another.
      const contentLock = bufContentLock(r, victim.id);
      if (!lwlockConditionalAcquire(r.seg, contentLock, "shared")) {
        _unpinBuffer(victim.id);
        continue;
      }
      try {
        if (_flushBuffer(victim.id) && _b.role === "backend") pgstatCountCheckpointer(r.seg, "buffersBackend");
      } finally {
        lwlockRelease(r.seg, contentLock);
      }
    }
    const oldTag = victimState & BM_TAG_VALID ? readBufferTag(r, victim.id) : undefined;
    const oldHash = oldTag === undefined ? 0 : bufTableHashCode(oldTag);
    const oldLock = oldTag === undefined ? -1 : bufMappingPartitionLock(_b.table!, oldHash);
    // Take both partition locks in address order (deadlock avoidance); once if they are the same.
    const locks = oldLock < 0 || oldLock === partLock
      ? [partLock]
      : [Math.min(oldLock, partLock), Math.max(oldLock, partLock)];
    for (const l of locks) lwlockAcquire(r.seg, l, "exclusive");
    const other = bufTableInsert(t, tag, hash, victim.id);
    if (other >= 0) {
      // Someone else loaded the page meanwhile: use theirs.
      _unpinBuffer(victim.id);
      const valid = _pinBuffer(other);
      for (const l of locks.reverse()) lwlockRelease(r.seg, l);
      return { id: other, found: valid || !_startBufferIo(other, true) };
    }
    let state = lockBufHdr(r, victim.id);
    if (bufStateGetRefcount(state) !== 1 || (state & BM_DIRTY)) {
      // Pinned or dirtied by someone else meanwhile: give up this victim.
      unlockBufHdr(r, victim.id, state);
      bufTableDelete(t, tag, hash);
      for (const l of locks.reverse()) lwlockRelease(r.seg, l);
      _unpinBuffer(victim.id);
      continue;
    }
    writeBufferTag(r, victim.id, tag);
    state &= ~(BM_VALID | BM_DIRTY | BM_JUST_DIRTIED | BM_CHECKPOINT_NEEDED | BM_IO_ERROR | BM_PERMANENT |
      BUF_USAGECOUNT_MASK);
    state |= BM_TAG_VALID | BM_PERMANENT | BUF_USAGECOUNT_ONE;
    unlockBufHdr(r, victim.id, state);
    if (oldTag !== undefined) {
      bufTableDelete(t, oldTag, oldHash);
      pgstatCountIo(r.seg, "evictions");
    }
    for (const l of locks.reverse()) lwlockRelease(r.seg, l);
    return { id: victim.id, found: !_startBufferIo(victim.id, true) };
  }
}

// ---------------------------------------------------------------------------
// Writing

/**
 * Writes a buffer's page (FlushBuffer): claims the write, flushes WAL up to
 * the page's LSN, writes a checksummed copy, clears BM_DIRTY unless the page
 * was dirtied again meanwhile.
 *
 * Lock contract: the caller holds a pin and a share or exclusive content lock.
 *
 * @returns whether this call wrote the page
 */
function _flushBuffer(id: number): boolean {
  const r = _r();
  if (!_startBufferIo(id, false)) return false;
  try {
    let state = lockBufHdr(r, id);
    const page = bufferBlock(r, id);
    const lsn = pageGetLsn(page);
    state &= ~BM_JUST_DIRTIED;
    unlockBufHdr(r, id, state);
    // The write-ahead rule: the WAL describing every change on the page is durable first.
    if (state & BM_PERMANENT) xlogFlush(lsn);
    const tag = readBufferTag(r, id);
    const copy = _b.writeCopy;
    copy.set(page);
    if (_b.checksums) pageSetChecksumInplace(copy, tag.blockNum);
    smgrWrite(tag.rl, tag.fork, tag.blockNum, copy);
    pgstatCountIo(r.seg, "writes");
  } catch (e) {
    _abortBufferIo();
    throw e;
  }
  _terminateBufferIo(id, true, 0);
  return true;
}

function _abortBufferIo(): void {
  const id = _b.inProgressBuf;
  if (id < 0) return;
  if (!_b.inProgressForInput) {
    const tag = readBufferTag(_r(), id);
    elog("WARNING", `could not write block ${tag.blockNum} of ${relPath(tag.rl, tag.fork)}`, {
      detail: "Multiple failures --- write error might be permanent.",
    });
  }
  _terminateBufferIo(id, false, BM_IO_ERROR);
}

// ---------------------------------------------------------------------------
// The public buffer operations

/**
 * Drops a pin (ReleaseBuffer).
 *
 * Lock contract: the caller holds a pin and no content lock on it (unless
 * other pins of its own remain).
 *
 * @param buf the buffer
 */
export function releaseBuffer(buf: Buffer): void {
  _unpinBuffer(_id(buf));
}

/**
 * Takes or releases a buffer's content lock (LockBuffer).
 *
 * Lock contract: the caller holds a pin. "share"/"exclusive" return with the
 * lock held; "unlock" releases the lock the caller holds.
 *
 * @param buf the buffer
 * @param mode "share", "exclusive" or "unlock"
 */
export function lockBuffer(buf: Buffer, mode: BufferLockMode): void {
  const r = _r();
  const id = _id(buf);
  assert(_b.privateRefCount[id] > 0, "locked buffers are pinned");
  const lock = bufContentLock(r, id);
  if (mode === "unlock") lwlockRelease(r.seg, lock);
  else lwlockAcquire(r.seg, lock, mode === "share" ? "shared" : "exclusive");
}

/**
 * Releases the content lock and the pin (UnlockReleaseBuffer).
 *
 * @param buf a pinned, locked buffer
 */
export function unlockReleaseBuffer(buf: Buffer): void {
  lockBuffer(buf, "unlock");
  releaseBuffer(buf);
}

/**
 * Marks a buffer dirty (MarkBufferDirty). Call after changing the page and
 * before releasing the lock; WAL-logged changes set the page LSN first.
 *
 * Lock contract: the caller holds a pin and the exclusive content lock.
 *
 * @param buf the buffer
 */
export function markBufferDirty(buf: Buffer): void {
  const r = _r();
  const id = _id(buf);
  assert(lwlockHeldByMeInMode(r.seg, bufContentLock(r, id), "exclusive"), "buffer is exclusively locked");
  const idx = bufStateIndex(r, id);
  let old = Atomics.load(r.seg.i32, idx);
  for (;;) {
    if (old & BM_LOCKED) old = waitBufHdrUnlocked(r, id);
    const seen = Atomics.compareExchange(r.seg.i32, idx, old, old | BM_DIRTY | BM_JUST_DIRTIED);
    if (seen === old) return;
    old = seen;
  }
}

/**
 * @param buf a pinned buffer
 * @returns a view of its page in shared memory (BufferGetPage); read it under a
 *   share lock, change it under the exclusive lock
 */
export function bufferGetPage(buf: Buffer): Uint8Array {
  return bufferBlock(_r(), _id(buf));
}

/** @returns the page a pinned buffer holds (BufferGetTag) */
export function bufferGetTag(buf: Buffer): BufferTag {
  return readBufferTag(_r(), _id(buf));
}

/** @returns the block number of a pinned buffer (BufferGetBlockNumber) */
export function bufferGetBlockNumber(buf: Buffer): number {
  return readBufferTag(_r(), _id(buf)).blockNum;
}

/** @returns how many pins this process holds on the buffer (for assertions and tests) */
export function bufferLocalPinCount(buf: Buffer): number {
  return _b.privateRefCount[_id(buf)];
}

/**
 * Drops every pin this process holds and aborts its I/O in progress
 * (AbortBufferIO + AtEOXact_Buffers): for error paths and exit, after
 * lwlockReleaseAll.
 *
 * Lock contract: no content locks held (release LWLocks first).
 *
 * @returns how many buffers were still pinned (a leak when called at a clean transaction end)
 */
export function bufferReleaseAll(): number {
  if (_b.r === undefined) return 0;
  _abortBufferIo();
  const leaked = _b.pinnedBuffers.size;
  for (const id of [..._b.pinnedBuffers]) {
    _b.privateRefCount[id] = 1;
    _unpinBuffer(id);
  }
  return leaked;
}

/**
 * Writes every dirty buffer of a relation (FlushRelationBuffers), e.g. before
 * copying or syncing its files directly.
 *
 * Lock contract: no locks on entry or exit.
 *
 * @param rl the relation
 */
export function flushRelationBuffers(rl: RelFileLocator): void {
  const r = _r();
  for (let id = 0; id < r.nbuffers; id++) {
    const state = Atomics.load(r.seg.i32, bufStateIndex(r, id));
    if ((state & (BM_VALID | BM_DIRTY)) !== (BM_VALID | BM_DIRTY)) continue;
    const s = lockBufHdr(r, id);
    const tag = readBufferTag(r, id);
    if (tag.rl.relNumber !== rl.relNumber || tag.rl.dbOid !== rl.dbOid || tag.rl.spcOid !== rl.spcOid) {
      unlockBufHdr(r, id, s);
      continue;
    }
    _syncPinned(id, s);
  }
}

/** Pins (header locked on entry), share-locks, flushes, unlocks, unpins. */
function _syncPinned(id: number, lockedState: number): boolean {
  const r = _r();
  if (_b.privateRefCount[id] > 0) {
    unlockBufHdr(r, id, lockedState);
    _b.privateRefCount[id]++;
  } else {
    _pinBufferLocked(id, lockedState);
  }
  const lock = bufContentLock(r, id);
  lwlockAcquire(r.seg, lock, "shared");
  try {
    return _flushBuffer(id);
  } finally {
    lwlockRelease(r.seg, lock);
    _unpinBuffer(id);
  }
}

/**
 * Forgets the buffers of a relation fork from `firstBlock` on without
 * writing them (DropRelFileNodeBuffers), before truncating or removing its
 * files. Nobody else may use the relation meanwhile (the caller's lock).
 *
 * Lock contract: no locks on entry or exit.
 *
 * @param rl the relation
 * @param fork the fork
 * @param firstBlock first block to drop
 */
export function dropRelationBuffers(rl: RelFileLocator, fork: ForkNumber, firstBlock = 0): void {
  const r = _r();
  const t = _b.table!;
  for (let id = 0; id < r.nbuffers; id++) {
    let state = lockBufHdr(r, id);
    const tag = readBufferTag(r, id);
    const match = (state & BM_TAG_VALID) && tag.fork === fork && tag.blockNum >= firstBlock &&
      tag.rl.relNumber === rl.relNumber && tag.rl.dbOid === rl.dbOid && tag.rl.spcOid === rl.spcOid;
    if (!match) {
      unlockBufHdr(r, id, state);
      continue;
    }
    unlockBufHdr(r, id, state);
    const hash = bufTableHashCode(tag);
    const partLock = bufMappingPartitionLock(_b.table!, hash);
    lwlockAcquire(r.seg, partLock, "exclusive");
    state = lockBufHdr(r, id);
    const still = readBufferTag(r, id);
    if (!(state & BM_TAG_VALID) || still.blockNum !== tag.blockNum || still.rl.relNumber !== tag.rl.relNumber) {
      unlockBufHdr(r, id, state);
      lwlockRelease(r.seg, partLock);
      continue;
    }
    assert(bufStateGetRefcount(state) === 0, "dropped buffers are not pinned");
    bufTableDelete(t, tag, hash);
    writeBufferTag(r, id, { rl: { spcOid: 0, dbOid: 0, relNumber: 0 }, fork: 0, blockNum: 0 });
    unlockBufHdr(
      r,
      id,
      state & ~(BM_VALID | BM_DIRTY | BM_JUST_DIRTIED | BM_CHECKPOINT_NEEDED | BM_TAG_VALID |
        BUF_USAGECOUNT_MASK),
    );
    lwlockRelease(r.seg, partLock);
    strategyFreeBuffer(r, id);
  }
}

// ---------------------------------------------------------------------------
// Checkpoint and background writer

/** What {@link syncOneBuffer} found or did. */
export interface SyncOneResult {
  /** The page was written. */
  written: boolean;
  /** The buffer is unpinned with usage count 0: reusable by the next allocation. */
  reusable: boolean;
}

/**
 * Writes one buffer if it is dirty (SyncOneBuffer). With
 * `skipRecentlyUsed` (background writer) buffers in use or recently used are
 * left alone.
 *
 * Lock contract: no locks on entry or exit.
 *
 * @param id the buffer id
 * @param skipRecentlyUsed skip buffers that are pinned or have a usage count
 * @returns whether it was written and whether it is reusable
 */
export function syncOneBuffer(id: number, skipRecentlyUsed: boolean): SyncOneResult {
  const r = _r();
  const state = lockBufHdr(r, id);
  const reusable = bufStateGetRefcount(state) === 0 && bufStateGetUsagecount(state) === 0;
  if (skipRecentlyUsed && !reusable) {
    unlockBufHdr(r, id, state);
    return { written: false, reusable };
  }
  if (!(state & BM_VALID) || !(state & BM_DIRTY)) {
    unlockBufHdr(r, id, state);
    return { written: false, reusable };
  }
  return { written: _syncPinned(id, state), reusable };
}

/**
 * A checkpoint's buffer pass (BufferSync): marks every dirty buffer
 * BM_CHECKPOINT_NEEDED, sorts them by file and block, and writes each one
 * still marked, calling `pace` after each write so the caller can spread the
 * writes (checkpoint_completion_target).
 *
 * Lock contract: no locks on entry or exit, and none while `pace` runs.
 *
 * @param pace called with the fraction done after each write; may sleep
 * @returns buffers written, and how many were marked
 */
export async function bufferSync(
  pace: (progress: number) => Promise<void>,
): Promise<{ written: number; marked: number }> {
  const r = _r();
  const todo: { id: number; tag: BufferTag }[] = [];
  for (let id = 0; id < r.nbuffers; id++) {
    const state = lockBufHdr(r, id);
    if ((state & (BM_DIRTY | BM_PERMANENT)) === (BM_DIRTY | BM_PERMANENT)) {
      todo.push({ id, tag: readBufferTag(r, id) });
      unlockBufHdr(r, id, state | BM_CHECKPOINT_NEEDED);
    } else {
      unlockBufHdr(r, id, state);
    }
  }
  todo.sort((a, b) =>
    a.tag.rl.spcOid - b.tag.rl.spcOid || a.tag.rl.dbOid - b.tag.rl.dbOid ||
    a.tag.rl.relNumber - b.tag.rl.relNumber || a.tag.fork - b.tag.fork || a.tag.blockNum - b.tag.blockNum
  );
  let written = 0;
  for (let i = 0; i < todo.length; i++) {
    const state = Atomics.load(r.seg.i32, bufStateIndex(r, todo[i].id));
    if (state & BM_CHECKPOINT_NEEDED && syncOneBuffer(todo[i].id, false).written) {
      written++;
      pgstatCountCheckpointer(r.seg, "buffersCheckpoint");
    }
    await pace((i + 1) / todo.length);
  }
  return { written, marked: todo.length };
}
