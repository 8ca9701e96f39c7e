/**
 * xlog_shmem.ts — the WAL's shared state (XLogCtl) and this process's view
 * of it: insert position, write/flush progress, WAL buffer pages and their
 * addresses, insertion locks.
 *
 * PostgreSQL counterpart: XLogCtlData / XLogCtlInsert / WALInsertLockPadded
 * and XLOGShmemInit in src/backend/access/transam/xlog.c.
 *
 * NOTES
 * "XLOG control" region, byte offsets:
 *   0 insert spinlock (insertpos_lck) — protects CurrBytePos at 8 and PrevBytePos at 16;
 *  24 RedoRecPtr as inserters see it (changed only with every insertion lock held),
 *  32 fullPageWrites (i32), 36 sharedRecoveryState (i32: 0 recovery, 1 production),
 *  40 info_lck spinlock — protects LogwrtRqst.Write/Flush at 48/56, the shared
 *     LogwrtResult.Write/Flush at 64/72, asyncXactLSN at 80, RedoRecPtr copy at 88;
 *  96 InitializedUpTo (under WALBufMappingLock), 104 lastSegSwitchTime (f64 ms),
 * 112 system identifier, 120 segment size, 124 WAL buffer count,
 * 128 last checkpoint record's start and 136 its end (to skip idle checkpoints),
 * 144 data checksum version (from pg_control, for every process),
 * 256 NUM_XLOGINSERT_LOCKS lines of 64 bytes: LWLock at 0, insertingAt (i64) at 16,
 * then xlblocks: one i64 per WAL buffer, the end LSN of the page it holds.
 * The "WAL buffers" region holds the pages. LSNs are i64 words read and
 * written with Atomics on the segment's BigInt64Array.
 *
 * insertingAt protocol (PostgreSQL's LWLockWaitForVar, done with an atomic
 * word): 0 = lock free, 1 = held but nothing advertised yet, else the
 * position up to which this inserter has finished. It is set to 1 right
 * after taking the lock and before reserving space, and to 0 right before
 * releasing it, so a reader that sees 0 knows the holder, if any, will
 * reserve space past everything reserved now.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { WAL_PAGE_SIZE_BYTES } from "../common/limits.ts";
import {
  lwlockInitialize,
  lwlockTrancheId,
  mainLWLock,
  type ShmemSegment,
  spinLockAcquire,
  spinLockRelease,
} from "../shmem/mod.ts";
import { NUM_XLOGINSERT_LOCKS, XLOG_CTL_FIXED_BYTES } from "../storage/shmem_sizes.ts";
import type { XLogRecPtr } from "./lsn.ts";
import { xlogBytePosToRecPtr, type XLogGeometry, xlogGeometry } from "./xlog_page.ts";

/** Byte offsets in the XLOG control region. */
export const XLogCtlOffset = {
  insertLck: 0,
  currBytePos: 8,
  prevBytePos: 16,
  insertRedoRecPtr: 24,
  fullPageWrites: 32,
  sharedRecoveryState: 36,
  infoLck: 40,
  rqstWrite: 48,
  rqstFlush: 56,
  resultWrite: 64,
  resultFlush: 72,
  asyncXactLsn: 80,
  redoRecPtr: 88,
  initializedUpTo: 96,
  lastSegSwitchTimeMs: 104,
  systemIdentifier: 112,
  segSizeBytes: 120,
  nbuffers: 124,
  lastCheckPoint: 128,
  lastCheckPointEnd: 136,
  dataChecksumVersion: 144,
  insertLocks: XLOG_CTL_FIXED_BYTES,
} as const;

const _INSERT_LOCK_STRIDE = 64;
const _INSERTING_AT = 16;

/** This process's view of the WAL's shared state; see the module notes. */
export interface XLogShared {
  readonly seg: ShmemSegment;
  readonly base: number;
  readonly nbuffers: number;
  /** Byte offset of WAL buffer page 0. */
  readonly pagesBase: number;
  /** i64 index of xlblocks[0]. */
  readonly xlblocksIdx: number;
  readonly segSizeBytes: number;
  readonly geometry: XLogGeometry;
  readonly systemIdentifier: bigint;
  /** Data page checksums are on in this cluster. */
  readonly dataChecksums: boolean;
  /** Byte offsets of WALBufMappingLock and WALWriteLock. */
  readonly walBufMappingLock: number;
  readonly walWriteLock: number;
}

/** The WAL positions a monitor shows. */
export interface WalPositions {
  /** Where the next record will go (pg_current_wal_insert_lsn()). */
  readonly insertLsn: XLogRecPtr;
  /** Up to where WAL is durable (pg_current_wal_flush_lsn()). */
  readonly flushLsn: XLogRecPtr;
}

/**
 * Reads the insert and flush positions for monitoring, without the insert
 * spinlock or info_lck: CurrBytePos (turned into an LSN, as
 * GetXLogInsertRecPtr()) and the shared LogwrtResult.Flush are each one
 * atomic 64-bit load, so this works on a read-only attachment, needs no
 * process-array slot and never waits. The two loads may be microseconds
 * apart, as two calls of PostgreSQL's functions are.
 *
 * Lock contract: takes no lock.
 *
 * @param seg an attached segment (read-only is enough)
 * @returns the positions, or undefined until the startup process has recorded the WAL geometry
 */
export function xlogReadPositions(seg: ShmemSegment): WalPositions | undefined {
  const base = seg.region("XLOG control").offset;
  const segSizeBytes = Atomics.load(seg.i32, (base + XLogCtlOffset.segSizeBytes) >> 2);
  if (segSizeBytes <= 0) return undefined;
  const currBytePos = Atomics.load(seg.bigInt64, (base + XLogCtlOffset.currBytePos) >> 3);
  return {
    insertLsn: xlogBytePosToRecPtr(xlogGeometry(segSizeBytes), currBytePos),
    flushLsn: Atomics.load(seg.bigInt64, (base + XLogCtlOffset.resultFlush) >> 3),
  };
}

/**
 * Initialises the XLOG region: insertion locks with their tranche (segment
 * creation). Everything else starts at zero and is set by the startup
 * process ({@link xlogSharedStart}).
 *
 * @param seg the new segment
 */
export function xlogShmemInit(seg: ShmemSegment): void {
  const base = seg.region("XLOG control").offset;
  const tranche = lwlockTrancheId("WALInsert");
  for (let i = 0; i < NUM_XLOGINSERT_LOCKS; i++) {
    lwlockInitialize(seg, base + XLogCtlOffset.insertLocks + i * _INSERT_LOCK_STRIDE, tranche);
  }
  seg.i32[(base + XLogCtlOffset.nbuffers) >> 2] = seg.region("WAL buffers").sizeBytes / WAL_PAGE_SIZE_BYTES;
}

/**
 * Records the cluster's WAL geometry in shared memory (the startup process,
 * from pg_control, before anything is inserted).
 *
 * @param seg the segment
 * @param segSizeBytes wal_segment_size from pg_control
 * @param systemIdentifier from pg_control
 * @param dataChecksumVersion from pg_control (0: checksums off)
 */
export function xlogSharedStart(
  seg: ShmemSegment,
  segSizeBytes: number,
  systemIdentifier: bigint,
  dataChecksumVersion: number,
): void {
  const base = seg.region("XLOG control").offset;
  seg.i32[(base + XLogCtlOffset.segSizeBytes) >> 2] = segSizeBytes;
  seg.i32[(base + XLogCtlOffset.dataChecksumVersion) >> 2] = dataChecksumVersion;
  Atomics.store(seg.bigInt64, (base + XLogCtlOffset.systemIdentifier) >> 3, BigInt.asIntN(64, systemIdentifier));
}

/**
 * Builds this process's view. The startup process must have called
 * {@link xlogSharedStart} in this segment.
 *
 * @param seg an attached segment
 * @returns the view
 */
export function xlogSharedAttach(seg: ShmemSegment): XLogShared {
  const base = seg.region("XLOG control").offset;
  const nbuffers = seg.i32[(base + XLogCtlOffset.nbuffers) >> 2];
  const segSizeBytes = seg.i32[(base + XLogCtlOffset.segSizeBytes) >> 2];
  assert(segSizeBytes > 0, "the startup process recorded the WAL segment size");
  assert(nbuffers > 0, "WAL buffers exist");
  return {
    seg,
    base,
    nbuffers,
    pagesBase: seg.region("WAL buffers").offset,
    xlblocksIdx: (base + XLogCtlOffset.insertLocks + NUM_XLOGINSERT_LOCKS * _INSERT_LOCK_STRIDE) >> 3,
    segSizeBytes,
    geometry: xlogGeometry(segSizeBytes),
    systemIdentifier: BigInt.asUintN(64, Atomics.load(seg.bigInt64, (base + XLogCtlOffset.systemIdentifier) >> 3)),
    dataChecksums: seg.i32[(base + XLogCtlOffset.dataChecksumVersion) >> 2] !== 0,
    walBufMappingLock: mainLWLock(seg, "WALBufMappingLock"),
    walWriteLock: mainLWLock(seg, "WALWriteLock"),
  };
}

/** @returns a 64-bit field of the region (atomic load) */
export function xlogLoad64(x: XLogShared, field: number): bigint {
  return Atomics.load(x.seg.bigInt64, (x.base + field) >> 3);
}

/** Stores a 64-bit field of the region (atomic store). */
export function xlogStore64(x: XLogShared, field: number, v: bigint): void {
  Atomics.store(x.seg.bigInt64, (x.base + field) >> 3, v);
}

/** @returns a 32-bit field of the region */
export function xlogLoad32(x: XLogShared, field: number): number {
  return Atomics.load(x.seg.i32, (x.base + field) >> 2);
}

/** Stores a 32-bit field of the region. */
export function xlogStore32(x: XLogShared, field: number, v: number): void {
  Atomics.store(x.seg.i32, (x.base + field) >> 2, v);
}

/** Takes the info_lck spinlock (a few instructions only). */
export function infoLckAcquire(x: XLogShared): void {
  spinLockAcquire(x.seg, x.base + XLogCtlOffset.infoLck, "XLogCtl info_lck");
}

/** Releases info_lck. */
export function infoLckRelease(x: XLogShared): void {
  spinLockRelease(x.seg, x.base + XLogCtlOffset.infoLck);
}

/** @returns the byte offset of insertion lock `i` */
export function walInsertLock(x: XLogShared, i: number): number {
  return x.base + XLogCtlOffset.insertLocks + i * _INSERT_LOCK_STRIDE;
}

/** @returns the i64 index of insertion lock `i`'s insertingAt word */
export function insertingAtIdx(x: XLogShared, i: number): number {
  return (walInsertLock(x, i) + _INSERTING_AT) >> 3;
}

/** @returns the end LSN of the page WAL buffer `idx` holds (xlblocks[idx]); 0 while being initialised */
export function xlblock(x: XLogShared, idx: number): XLogRecPtr {
  return Atomics.load(x.seg.bigInt64, x.xlblocksIdx + idx);
}

/** Sets xlblocks[idx]. */
export function setXlblock(x: XLogShared, idx: number, endPtr: XLogRecPtr): void {
  Atomics.store(x.seg.bigInt64, x.xlblocksIdx + idx, endPtr);
}

/** @returns the WAL buffer index that holds (or will hold) the page of `ptr` (XLogRecPtrToBufIdx) */
export function xlogRecPtrToBufIdx(x: XLogShared, ptr: XLogRecPtr): number {
  return Number((ptr / BigInt(WAL_PAGE_SIZE_BYTES)) % BigInt(x.nbuffers));
}

/** @returns a view of WAL buffer page `idx` */
export function walBufferPage(x: XLogShared, idx: number): Uint8Array {
  const off = x.pagesBase + idx * WAL_PAGE_SIZE_BYTES;
  return x.seg.u8.subarray(off, off + WAL_PAGE_SIZE_BYTES);
}
