/**
 * xlog.ts — inserting WAL records into the shared WAL buffers, writing them
 * to the segment files, and flushing them (with group commit).
 *
 * PostgreSQL counterpart: XLogInsertRecord, ReserveXLogInsertLocation,
 * ReserveXLogSwitch, CopyXLogRecordToWAL, GetXLogBuffer,
 * AdvanceXLInsertBuffer, WaitXLogInsertionsToFinish, XLogWrite, XLogFlush,
 * XLogBackgroundFlush and the WALInsertLock* functions of
 * src/backend/access/transam/xlog.c.
 *
 * NOTES
 * Concurrency, as PostgreSQL's (see README.md): an inserter takes one of the
 * NUM_XLOGINSERT_LOCKS insertion locks (its process number picks which),
 * reserves space with one addition under the insert spinlock, and copies its
 * record into the WAL buffers while other inserters copy theirs; it marks the
 * pages it crosses as continuation pages. A WAL buffer is reused only after
 * its old page was written, which requires every insertion into that page to
 * have finished (WaitXLogInsertionsToFinish). Writing and fsyncing happen
 * under WALWriteLock. xlogFlush waits for that lock with
 * lwlockAcquireOrWait: when the holder releases it, the waiter re-checks and
 * usually finds its record already flushed by the holder's fsync, which
 * covered everything inserted so far — group commit. Waits sleep on the
 * process's futex semaphore (the LWLock queue).
 *
 * A wait for another process's progress (an insertion to finish, a buffer
 * page to be initialised) spins then sleeps, and exits at once (status 2) if
 * the postmaster discarded the segment or died, as an LWLock wait does.
 *
 * Crash behaviour: a record is durable once xlogFlush(its end) returns. Once
 * space is reserved, any error is a PANIC (critical section), since a hole in
 * the WAL would stall every later flush; the crash reset and replay then
 * recover. An fsync failure is a PANIC too.
 *
 * During recovery (the startup process before its end-of-recovery
 * checkpoint) nothing may be inserted and xlogFlush does nothing: the WAL
 * being replayed is already on disk.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { WAL_PAGE_SIZE_BYTES } from "../common/limits.ts";
import {
  lwlockAcquire,
  lwlockAcquireOrWait,
  lwlockRelease,
  pgstatCountWal,
  type ShmemSegment,
  SpinDelay,
  spinLockAcquire,
  spinLockRelease,
} from "../shmem/mod.ts";
import { criticalSection, panic } from "../storage/critical_section.ts";
import { fileClose, fileSync, fileWriteAt } from "../storage/fd.ts";
import { NUM_XLOGINSERT_LOCKS } from "../storage/shmem_sizes.ts";
import { formatLsn, TIMELINE_ID, type XLogRecPtr, xlogSegNoOf } from "./lsn.ts";
import { XLOG_SWITCH } from "./pg_control.ts";
import { RM_XLOG_ID, type RmgrId } from "./rmgr_ids.ts";
import { xlogFileInit, xlogFilePath } from "./xlog_file.ts";
import {
  encodeXLogPageHeader,
  maxAlign,
  SIZE_OF_XLOG_LONG_PHD,
  SIZE_OF_XLOG_SHORT_PHD,
  XLOG_PAGE_MAGIC,
  xlogBytePosToEndRecPtr,
  xlogBytePosToRecPtr,
  xlogRecPtrToBytePos,
  XLP_BKP_REMOVABLE,
  XLP_FIRST_IS_CONTRECORD,
  XLP_LONG_HEADER,
} from "./xlog_page.ts";
import { assembleXLogRecord, finishXLogRecordCrc, type XLogBlockRefInput } from "./xlog_record.ts";
import {
  infoLckAcquire,
  infoLckRelease,
  insertingAtIdx,
  setXlblock,
  walBufferPage,
  walInsertLock,
  xlblock,
  XLogCtlOffset,
  xlogLoad32,
  xlogLoad64,
  xlogRecPtrToBufIdx,
  type XLogShared,
  xlogSharedAttach,
  xlogStore32,
  xlogStore64,
} from "./xlog_shmem.ts";

/** A record's parts for {@link xlogInsert}. */
export interface XLogInsertData {
  /** Transaction id written in the header; default: this process's current one (0: none). */
  xid?: number;
  /** Block references (at most XLR_MAX_BLOCK_ID + 1). */
  blocks?: readonly XLogBlockRefInput[];
  /** Resource-manager main data. */
  mainData?: Uint8Array;
}

/** Called when finished segments since the redo point reach max_wal_size (CHECKPOINT_CAUSE_XLOG). */
export type WalVolumeCheckpointRequest = () => void;

const _PAGE = BigInt(WAL_PAGE_SIZE_BYTES);

const _p = {
  x: undefined as XLogShared | undefined,
  dataDir: "",
  /** Local copies of the shared write/flush positions (LogwrtResult). */
  write: 0n,
  flush: 0n,
  /** Local copy of the redo pointer and full-page-writes setting, refreshed at insert. */
  redoRecPtr: 0n,
  doPageWrites: true,
  /** The segment file this process has open for writing. */
  openLogFd: -1,
  openLogSegNo: -1n,
  myLockNo: 0,
  holdingAllLocks: false,
  inRecovery: false,
  /** Segments of WAL between checkpoints that trigger one (CheckPointSegments). */
  checkpointSegments: 0,
  requestCheckpoint: undefined as WalVolumeCheckpointRequest | undefined,
  /** Start of the last record this process inserted (ProcLastRecPtr). */
  lastRecStart: 0n,
  /** This process's current transaction id, written into records that name none (GetCurrentTransactionIdIfAny). */
  currentXid: 0,
};

function _x(): XLogShared {
  assert(_p.x !== undefined, "initXLogAccess() was called");
  return _p.x;
}

/**
 * Sets up this process's WAL access (InitXLOGAccess). The startup process
 * must have recorded the WAL geometry in shared memory first.
 *
 * @param seg the attached segment; this process holds a process-array slot
 * @param dataDir the data directory
 */
export function initXLogAccess(seg: ShmemSegment, dataDir: string): void {
  closeXLogFile();
  _p.x = xlogSharedAttach(seg);
  _p.dataDir = dataDir;
  _p.myLockNo = Math.max(0, seg.local.procNo) % NUM_XLOGINSERT_LOCKS;
  _p.write = xlogLoad64(_p.x, XLogCtlOffset.resultWrite);
  _p.flush = xlogLoad64(_p.x, XLogCtlOffset.resultFlush);
}

/** @returns the WAL shared view of this process (after {@link initXLogAccess}) */
export function xlogShared(): XLogShared {
  return _x();
}

/**
 * Configures checkpoint requests by WAL volume: `max_wal_size` converted to
 * segments as PostgreSQL's CalculateCheckpointSegments, and who to ask.
 *
 * @param maxWalSizeMb max_wal_size
 * @param completionTarget checkpoint_completion_target
 * @param request asks the checkpointer for a checkpoint
 */
export function xlogSetCheckpointTrigger(
  maxWalSizeMb: number,
  completionTarget: number,
  request: WalVolumeCheckpointRequest | undefined,
): void {
  const segMb = _x().segSizeBytes / (1024 * 1024);
  _p.checkpointSegments = Math.max(1, Math.floor(maxWalSizeMb / segMb / (1 + completionTarget)));
  _p.requestCheckpoint = request;
}

/** Marks this process as replaying WAL (no inserts; flushes are no-ops) or not. */
export function xlogSetInRecovery(inRecovery: boolean): void {
  _p.inRecovery = inRecovery;
}

/** Closes this process's open WAL segment (XLogFileClose). */
export function closeXLogFile(): void {
  if (_p.openLogFd >= 0) fileClose(_p.openLogFd);
  _p.openLogFd = -1;
  _p.openLogSegNo = -1n;
}

/**
 * Sets the transaction id written into this process's records that do not
 * give one (0: none). Set when a transaction gets its xid, cleared at its end,
 * so replay can advance the xid counter past every id that reached WAL.
 *
 * @param xid the current top-level transaction id, or 0
 */
export function xlogSetCurrentTransactionId(xid: number): void {
  _p.currentXid = xid;
}

/** @returns the start of the last record this process inserted (ProcLastRecPtr) */
export function xlogLastRecStart(): XLogRecPtr {
  return _p.lastRecStart;
}

// ---------------------------------------------------------------------------
// Insertion locks

function _insertLockAcquire(x: XLogShared): void {
  lwlockAcquire(x.seg, walInsertLock(x, _p.myLockNo), "exclusive");
  Atomics.store(x.seg.bigInt64, insertingAtIdx(x, _p.myLockNo), 1n);
}

function _insertLockRelease(x: XLogShared): void {
  if (_p.holdingAllLocks) {
    for (let i = NUM_XLOGINSERT_LOCKS - 1; i >= 0; i--) {
      Atomics.store(x.seg.bigInt64, insertingAtIdx(x, i), 0n);
      lwlockRelease(x.seg, walInsertLock(x, i));
    }
    _p.holdingAllLocks = false;
    return;
  }
  Atomics.store(x.seg.bigInt64, insertingAtIdx(x, _p.myLockNo), 0n);
  lwlockRelease(x.seg, walInsertLock(x, _p.myLockNo));
}

function _insertLockUpdateInsertingAt(x: XLogShared, at: XLogRecPtr): void {
  if (_p.holdingAllLocks) {
    Atomics.store(x.seg.bigInt64, insertingAtIdx(x, NUM_XLOGINSERT_LOCKS - 1), at);
  } else {
    Atomics.store(x.seg.bigInt64, insertingAtIdx(x, _p.myLockNo), at);
  }
}

/**
 * Takes every insertion lock (WALInsertLockAcquireExclusive): no record can
 * be inserted until {@link walInsertLockReleaseAll}. The checkpointer uses it
 * to fix the redo point.
 *
 * Lock contract: holds no insertion lock on entry; all of them on exit.
 */
export function walInsertLockAcquireExclusive(): void {
  const x = _x();
  for (let i = 0; i < NUM_XLOGINSERT_LOCKS; i++) {
    lwlockAcquire(x.seg, walInsertLock(x, i), "exclusive");
    // The earlier locks advertise "past everything": only the last one's position matters.
    Atomics.store(x.seg.bigInt64, insertingAtIdx(x, i), i < NUM_XLOGINSERT_LOCKS - 1 ? (1n << 62n) : 1n);
  }
  _p.holdingAllLocks = true;
}

/**
 * Releases what {@link walInsertLockAcquireExclusive} took.
 *
 * Lock contract: holds all insertion locks on entry; none on exit.
 */
export function walInsertLockReleaseAll(): void {
  assert(_p.holdingAllLocks, "all insertion locks are held");
  _insertLockRelease(_x());
}

/**
 * Waits until every insertion into WAL before `upto` has been copied into the
 * buffers (WaitXLogInsertionsToFinish).
 *
 * Lock contract: may hold WALWriteLock; must not hold an insertion lock
 * whose insertingAt is below `upto`.
 *
 * @param upto a position at or before the reserved end
 * @returns a position up to which all insertions are complete (at least `upto`)
 */
export function waitXLogInsertionsToFinish(upto: XLogRecPtr): XLogRecPtr {
  const x = _x();
  spinLockAcquire(x.seg, x.base + XLogCtlOffset.insertLck, "WAL insert position");
  const reservedUpto = xlogBytePosToEndRecPtr(x.geometry, xlogLoad64(x, XLogCtlOffset.currBytePos));
  spinLockRelease(x.seg, x.base + XLogCtlOffset.insertLck);
  if (upto > reservedUpto) upto = reservedUpto;
  let finishedUpto = reservedUpto;
  for (let i = 0; i < NUM_XLOGINSERT_LOCKS; i++) {
    const idx = insertingAtIdx(x, i);
    _waitFor(x, "WAL insertion", () => {
      const at = Atomics.load(x.seg.bigInt64, idx);
      return at === 0n || at >= upto;
    });
    const at = Atomics.load(x.seg.bigInt64, idx);
    if (at > 1n && at < finishedUpto) finishedUpto = at;
  }
  return finishedUpto;
}

/** Pauses between polls of {@link _waitFor} before it checks whether the segment was abandoned. */
const _ABANDON_CHECK_EVERY = 1000;

/**
 * Waits for another process's progress: spins, then sleeps with back-off
 * (SpinDelay, which ends in a PANIC if it never comes). If the postmaster
 * discarded the segment (crash reset) or died meanwhile, exits at once with
 * status 2, as PostgreSQL's quickdie.
 */
function _waitFor(x: XLogShared, what: string, done: () => boolean): void {
  let delay: SpinDelay | undefined;
  for (let n = 1; !done(); n++) {
    delay ??= new SpinDelay(what);
    delay.pause(() => what);
    if (n % _ABANDON_CHECK_EVERY === 0 && x.seg.isAbandoned()) Deno.exit(2);
  }
}

// ---------------------------------------------------------------------------
// Insert

/**
 * Inserts a record (XLogInsert / XLogInsertRecord): assembles it (adding
 * full-page images for blocks changed for the first time since the
 * checkpoint's redo point), reserves its place, fills in the link to the
 * previous record and the CRC, and copies it into the WAL buffers. The
 * record is not yet durable: call {@link xlogFlush} with the returned LSN.
 *
 * Lock contract: callers changing pages hold those buffers' exclusive
 * content locks; this takes and releases one insertion lock (and possibly
 * WALBufMappingLock / WALWriteLock when a buffer page must be recycled).
 *
 * @param rmid the resource manager
 * @param info the resource manager's xl_info bits (high four)
 * @param data transaction id, block references, main data
 * @returns the end of the record (its LSN for PageSetLSN, and the point to flush to)
 * @example
 * ```ts
 * const end = xlogInsert(RM_XACT_ID, XLOG_XACT_COMMIT, { xid, mainData });
 * xlogFlush(end);
 * ```
 */
export function xlogInsert(rmid: RmgrId, info: number, data: XLogInsertData = {}): XLogRecPtr {
  const x = _x();
  assert(!_p.inRecovery, "no WAL is inserted during recovery");
  const isSwitch = rmid === RM_XLOG_ID && info === XLOG_SWITCH;
  for (;;) {
    const assembledRedo = xlogLoad64(x, XLogCtlOffset.insertRedoRecPtr);
    const assembledFpw = xlogLoad32(x, XLogCtlOffset.fullPageWrites) !== 0;
    const rec = assembleXLogRecord(
      { ...data, rmid, info, xid: data.xid ?? _p.currentXid },
      assembledRedo,
      assembledFpw,
    );
    _insertLockAcquire(x);
    // The redo point is stable while we hold an insertion lock. If a checkpoint moved it past a
    // page we left without an image (or turned full-page writes on), assemble again.
    _p.redoRecPtr = xlogLoad64(x, XLogCtlOffset.insertRedoRecPtr);
    _p.doPageWrites = xlogLoad32(x, XLogCtlOffset.fullPageWrites) !== 0;
    if (_p.doPageWrites && (!assembledFpw || (rec.fpwLsn !== 0n && rec.fpwLsn <= _p.redoRecPtr))) {
      _insertLockRelease(x);
      continue;
    }
    return criticalSection(() => _insertReserved(x, rec, isSwitch));
  }
}

function _insertReserved(
  x: XLogShared,
  rec: ReturnType<typeof assembleXLogRecord>,
  isSwitch: boolean,
): XLogRecPtr {
  const size = maxAlign(rec.bytes.length);
  let startPos: XLogRecPtr;
  let endPos: XLogRecPtr;
  let prevPtr: XLogRecPtr;
  let inserted = true;
  spinLockAcquire(x.seg, x.base + XLogCtlOffset.insertLck, "WAL insert position");
  const startByte = xlogLoad64(x, XLogCtlOffset.currBytePos);
  const prevByte = xlogLoad64(x, XLogCtlOffset.prevBytePos);
  if (isSwitch && xlogBytePosToEndRecPtr(x.geometry, startByte) % BigInt(x.segSizeBytes) === 0n) {
    // Already at a segment boundary: a switch has nothing to do (ReserveXLogSwitch).
    inserted = false;
    startPos = endPos = xlogBytePosToEndRecPtr(x.geometry, startByte);
    prevPtr = 0n;
  } else {
    let endByte = startByte + BigInt(size);
    startPos = xlogBytePosToRecPtr(x.geometry, startByte);
    endPos = xlogBytePosToEndRecPtr(x.geometry, endByte);
    if (isSwitch) {
      const segLeft = BigInt(x.segSizeBytes) - endPos % BigInt(x.segSizeBytes);
      if (segLeft !== BigInt(x.segSizeBytes)) {
        endPos += segLeft;
        endByte = xlogRecPtrToBytePos(x.geometry, endPos);
      }
    }
    xlogStore64(x, XLogCtlOffset.currBytePos, endByte);
    xlogStore64(x, XLogCtlOffset.prevBytePos, startByte);
    prevPtr = xlogBytePosToRecPtr(x.geometry, prevByte);
  }
  spinLockRelease(x.seg, x.base + XLogCtlOffset.insertLck);
  if (inserted) {
    finishXLogRecordCrc(rec, prevPtr);
    _copyXLogRecordToWal(x, rec.bytes, startPos, endPos, isSwitch);
  }
  _insertLockRelease(x);
  if (inserted) {
    pgstatCountWal(x.seg, "records");
    if (rec.fpiCount > 0) pgstatCountWal(x.seg, "fpi", rec.fpiCount);
    pgstatCountWal(x.seg, "bytes", Number(endPos - startPos));
  }
  if (isSwitch && inserted) xlogFlush(endPos);
  _p.lastRecStart = startPos;
  return endPos;
}

function _copyXLogRecordToWal(
  x: XLogShared,
  bytes: Uint8Array,
  startPos: XLogRecPtr,
  endPos: XLogRecPtr,
  isSwitch: boolean,
): void {
  let currPos = startPos;
  let off = 0;
  let dst = _getXLogBuffer(x, currPos);
  let freeSpace = WAL_PAGE_SIZE_BYTES - Number(currPos % _PAGE);
  while (off < bytes.length) {
    const n = Math.min(freeSpace, bytes.length - off);
    x.seg.u8.set(bytes.subarray(off, off + n), dst);
    off += n;
    currPos += BigInt(n);
    if (off === bytes.length) break;
    // Continue on the next page: mark it as a continuation and skip its header.
    const pageStart = _getXLogBuffer(x, currPos);
    const dv = x.seg.dv;
    dv.setUint32(pageStart + 16, bytes.length - off, true);
    dv.setUint16(pageStart + 2, dv.getUint16(pageStart + 2, true) | XLP_FIRST_IS_CONTRECORD, true);
    const hdr = currPos % BigInt(x.segSizeBytes) === 0n ? SIZE_OF_XLOG_LONG_PHD : SIZE_OF_XLOG_SHORT_PHD;
    currPos += BigInt(hdr);
    dst = pageStart + hdr;
    freeSpace = WAL_PAGE_SIZE_BYTES - hdr;
  }
  currPos = (currPos + 7n) & ~7n;
  if (isSwitch) {
    // The switch consumes the rest of the segment: initialise (zero) every page up to its end.
    while (currPos < endPos) {
      if (currPos % _PAGE !== 0n) currPos += _PAGE - currPos % _PAGE;
      else {
        _getXLogBuffer(x, currPos);
        currPos += _PAGE;
      }
    }
  }
  assert(currPos === endPos, "record copied exactly up to its reserved end");
}

/**
 * Returns the segment byte offset where `ptr` lives in the WAL buffers,
 * initialising its page first if needed (GetXLogBuffer). At a page start the
 * offset is that of the page header.
 */
function _getXLogBuffer(x: XLogShared, ptr: XLogRecPtr): number {
  const idx = xlogRecPtrToBufIdx(x, ptr);
  const pageStart = ptr - ptr % _PAGE;
  const expectedEnd = pageStart + _PAGE;
  if (xlblock(x, idx) !== expectedEnd) {
    // Tell flushers we are done up to this page, then make the page ready.
    _insertLockUpdateInsertingAt(x, pageStart);
    _advanceXLInsertBuffer(x, ptr, false);
    _waitFor(x, "WAL buffer initialisation", () => xlblock(x, idx) === expectedEnd);
  }
  return x.pagesBase + idx * WAL_PAGE_SIZE_BYTES + Number(ptr % _PAGE);
}

/**
 * Initialises WAL buffer pages up to the one holding `upto`, writing out old
 * pages first where needed (AdvanceXLInsertBuffer). With `opportunistic`,
 * stops at the first page whose old contents are not yet written.
 *
 * Lock contract: may hold an insertion lock (with insertingAt advertised);
 * takes WALBufMappingLock, and WALWriteLock while writing.
 */
function _advanceXLInsertBuffer(x: XLogShared, upto: XLogRecPtr, opportunistic: boolean): void {
  lwlockAcquire(x.seg, x.walBufMappingLock, "exclusive");
  try {
    for (;;) {
      const initializedUpTo = xlogLoad64(x, XLogCtlOffset.initializedUpTo);
      if (!opportunistic && upto < initializedUpTo) break;
      const nextIdx = xlogRecPtrToBufIdx(x, initializedUpTo);
      const oldPageEnd = xlblock(x, nextIdx);
      _refreshLogwrtResult(x);
      if (_p.write < oldPageEnd) {
        if (opportunistic) break;
        _advanceRqstWrite(x, oldPageEnd);
        lwlockRelease(x.seg, x.walBufMappingLock);
        waitXLogInsertionsToFinish(oldPageEnd);
        lwlockAcquire(x.seg, x.walWriteLock, "exclusive");
        _refreshLogwrtResult(x);
        if (_p.write < oldPageEnd) {
          _xlogWrite(x, oldPageEnd, 0n, false);
          pgstatCountWal(x.seg, "buffersFull");
        }
        lwlockRelease(x.seg, x.walWriteLock);
        lwlockAcquire(x.seg, x.walBufMappingLock, "exclusive");
        continue;
      }
      _initPage(x, nextIdx, initializedUpTo);
      xlogStore64(x, XLogCtlOffset.initializedUpTo, initializedUpTo + _PAGE);
    }
  } finally {
    lwlockRelease(x.seg, x.walBufMappingLock);
  }
}

function _initPage(x: XLogShared, idx: number, pageBegin: XLogRecPtr): void {
  setXlblock(x, idx, 0n);
  const page = walBufferPage(x, idx);
  page.fill(0);
  const first = pageBegin % BigInt(x.segSizeBytes) === 0n;
  encodeXLogPageHeader(x.seg.dv, x.pagesBase + idx * WAL_PAGE_SIZE_BYTES, {
    magic: XLOG_PAGE_MAGIC,
    info: XLP_BKP_REMOVABLE | (first ? XLP_LONG_HEADER : 0),
    tli: TIMELINE_ID,
    pageAddr: pageBegin,
    remLen: 0,
    ...(first ? { sysid: x.systemIdentifier, segSize: x.segSizeBytes, blcksz: WAL_PAGE_SIZE_BYTES } : {}),
  });
  setXlblock(x, idx, pageBegin + _PAGE);
}

// ---------------------------------------------------------------------------
// Write and flush

function _refreshLogwrtResult(x: XLogShared): void {
  infoLckAcquire(x);
  _p.write = xlogLoad64(x, XLogCtlOffset.resultWrite);
  _p.flush = xlogLoad64(x, XLogCtlOffset.resultFlush);
  infoLckRelease(x);
}

function _advanceRqstWrite(x: XLogShared, upto: XLogRecPtr): void {
  infoLckAcquire(x);
  if (xlogLoad64(x, XLogCtlOffset.rqstWrite) < upto) xlogStore64(x, XLogCtlOffset.rqstWrite, upto);
  infoLckRelease(x);
}

function _openSegmentFor(x: XLogShared, segNo: bigint): void {
  if (_p.openLogSegNo === segNo && _p.openLogFd >= 0) return;
  closeXLogFile();
  _p.openLogFd = xlogFileInit(_p.dataDir, segNo, x.segSizeBytes).fd;
  _p.openLogSegNo = segNo;
}

function _syncOpenSegment(x: XLogShared): void {
  const t0 = performance.now();
  fileSync(_p.openLogFd, xlogFilePath(_p.dataDir, _p.openLogSegNo, x.segSizeBytes), true);
  pgstatCountWal(x.seg, "syncs");
  pgstatCountWal(x.seg, "syncTimeUs", (performance.now() - t0) * 1000);
}

/**
 * Writes WAL buffer pages up to `writeUpto` and fsyncs up to `flushUpto`
 * (XLogWrite).
 *
 * Lock contract: the caller holds WALWriteLock; every insertion before
 * `writeUpto` has finished.
 */
function _xlogWrite(x: XLogShared, writeUpto: XLogRecPtr, flushUpto: XLogRecPtr, flexible: boolean): void {
  criticalSection(() => {
    _refreshLogwrtResult(x);
    let curIdx = xlogRecPtrToBufIdx(x, _p.write);
    let startIdx = 0;
    let startOffset = 0;
    let npages = 0;
    while (_p.write < writeUpto) {
      const endPtr = xlblock(x, curIdx);
      if (!(_p.write < endPtr)) {
        panic(`xlog write request ${formatLsn(_p.write)} is past end of log ${formatLsn(endPtr)}`);
      }
      _p.write = endPtr;
      const isPartialPage = writeUpto < _p.write;
      const segNo = xlogSegNoOf(_p.write - 1n, x.segSizeBytes);
      if (segNo !== _p.openLogSegNo) {
        assert(npages === 0, "no pages pending when switching segments");
        _openSegmentFor(x, segNo);
      }
      if (npages === 0) {
        startIdx = curIdx;
        startOffset = Number((_p.write - _PAGE) % BigInt(x.segSizeBytes));
      }
      npages++;
      const lastIteration = writeUpto <= _p.write;
      const finishingSeg = !isPartialPage && startOffset + npages * WAL_PAGE_SIZE_BYTES >= x.segSizeBytes;
      if (lastIteration || curIdx === x.nbuffers - 1 || finishingSeg) {
        const from = x.pagesBase + startIdx * WAL_PAGE_SIZE_BYTES;
        const t0 = performance.now();
        fileWriteAt(
          _p.openLogFd,
          x.seg.u8.subarray(from, from + npages * WAL_PAGE_SIZE_BYTES),
          startOffset,
          xlogFilePath(_p.dataDir, _p.openLogSegNo, x.segSizeBytes),
        );
        pgstatCountWal(x.seg, "writes");
        pgstatCountWal(x.seg, "writeTimeUs", (performance.now() - t0) * 1000);
        npages = 0;
        if (finishingSeg) {
          _syncOpenSegment(x);
          _p.flush = _p.write;
          x.seg.f64[(x.base + XLogCtlOffset.lastSegSwitchTimeMs) >> 3] = Date.now();
          _checkWalVolume(x, _p.openLogSegNo);
        }
      }
      if (isPartialPage) {
        _p.write = writeUpto;
        break;
      }
      curIdx = curIdx === x.nbuffers - 1 ? 0 : curIdx + 1;
      if (flexible && npages === 0) break;
    }
    if (_p.flush < flushUpto && _p.flush < _p.write) {
      _openSegmentFor(x, xlogSegNoOf(_p.write - 1n, x.segSizeBytes));
      _syncOpenSegment(x);
      _p.flush = _p.write;
    }
    infoLckAcquire(x);
    xlogStore64(x, XLogCtlOffset.resultWrite, _p.write);
    xlogStore64(x, XLogCtlOffset.resultFlush, _p.flush);
    if (xlogLoad64(x, XLogCtlOffset.rqstWrite) < _p.write) xlogStore64(x, XLogCtlOffset.rqstWrite, _p.write);
    if (xlogLoad64(x, XLogCtlOffset.rqstFlush) < _p.flush) xlogStore64(x, XLogCtlOffset.rqstFlush, _p.flush);
    infoLckRelease(x);
  });
}

function _checkWalVolume(x: XLogShared, finishedSegNo: bigint): void {
  if (_p.requestCheckpoint === undefined || _p.checkpointSegments <= 0) return;
  const redoSeg = xlogSegNoOf(xlogLoad64(x, XLogCtlOffset.redoRecPtr), x.segSizeBytes);
  if (finishedSegNo >= redoSeg + BigInt(_p.checkpointSegments) - 1n) _p.requestCheckpoint();
}

/**
 * Makes WAL durable up to `record` (XLogFlush): if it is not yet, waits for
 * insertions to finish, then writes and fsyncs everything inserted so far
 * under WALWriteLock; or, if another process holds that lock, waits for it
 * and usually finds the work done (group commit). No-op during recovery.
 *
 * Lock contract: holds no insertion lock on entry or exit; takes
 * WALWriteLock, or waits for it.
 *
 * @param record an LSN, typically a record's end or a page's LSN
 * @throws {SqlError} PANIC-level failure is reported as a crash (fsync failure)
 */
export function xlogFlush(record: XLogRecPtr): void {
  if (_p.inRecovery) return;
  if (record <= _p.flush) return;
  const x = _x();
  _refreshLogwrtResult(x);
  while (record > _p.flush) {
    infoLckAcquire(x);
    let writeRqst = xlogLoad64(x, XLogCtlOffset.rqstWrite);
    infoLckRelease(x);
    if (writeRqst < record) writeRqst = record;
    const insertPos = waitXLogInsertionsToFinish(writeRqst);
    if (!lwlockAcquireOrWait(x.seg, x.walWriteLock, "exclusive")) {
      // Someone else was writing; they may have flushed our record.
      _refreshLogwrtResult(x);
      continue;
    }
    try {
      _refreshLogwrtResult(x);
      if (record > _p.flush) _xlogWrite(x, insertPos, insertPos, false);
    } finally {
      lwlockRelease(x.seg, x.walWriteLock);
    }
  }
  if (_p.flush < record) {
    throw new SqlError(
      SqlState.INTERNAL_ERROR,
      `xlog flush request ${formatLsn(record)} is not satisfied --- flushed only to ${formatLsn(_p.flush)}`,
      { severity: "PANIC" },
    );
  }
}

/**
 * The walwriter's flush (XLogBackgroundFlush): writes and fsyncs everything
 * inserted so far if there is anything. Returns at once if another process
 * is writing.
 *
 * Lock contract: no locks on entry or exit.
 *
 * @returns true if it wrote anything
 */
export function xlogBackgroundFlush(): boolean {
  const x = _x();
  _refreshLogwrtResult(x);
  spinLockAcquire(x.seg, x.base + XLogCtlOffset.insertLck, "WAL insert position");
  const reserved = xlogBytePosToEndRecPtr(x.geometry, xlogLoad64(x, XLogCtlOffset.currBytePos));
  spinLockRelease(x.seg, x.base + XLogCtlOffset.insertLck);
  if (reserved <= _p.flush) {
    // Nothing to write: prepare upcoming pages instead, so inserters need not.
    _advanceXLInsertBuffer(x, 0n, true);
    return false;
  }
  const upto = waitXLogInsertionsToFinish(reserved);
  if (!lwlockAcquireOrWait(x.seg, x.walWriteLock, "exclusive")) return false;
  try {
    _refreshLogwrtResult(x);
    if (upto > _p.flush) _xlogWrite(x, upto, upto, false);
  } finally {
    lwlockRelease(x.seg, x.walWriteLock);
  }
  return true;
}

/** @returns the current insert position: where the next record would end at least (GetXLogInsertRecPtr) */
export function getXLogInsertRecPtr(): XLogRecPtr {
  const x = _x();
  spinLockAcquire(x.seg, x.base + XLogCtlOffset.insertLck, "WAL insert position");
  const pos = xlogLoad64(x, XLogCtlOffset.currBytePos);
  spinLockRelease(x.seg, x.base + XLogCtlOffset.insertLck);
  return xlogBytePosToRecPtr(x.geometry, pos);
}

/** @returns the position WAL is durable up to (GetFlushRecPtr) */
export function getFlushRecPtr(): XLogRecPtr {
  _refreshLogwrtResult(_x());
  return _p.flush;
}

/**
 * Records an asynchronous commit's end so the walwriter flushes it soon
 * (XLogSetAsyncXactLSN).
 *
 * @param lsn the commit record's end
 * @returns true when the walwriter should be woken (the value advanced past a page)
 */
export function xlogSetAsyncXactLsn(lsn: XLogRecPtr): boolean {
  const x = _x();
  infoLckAcquire(x);
  const prev = xlogLoad64(x, XLogCtlOffset.asyncXactLsn);
  if (prev < lsn) xlogStore64(x, XLogCtlOffset.asyncXactLsn, lsn);
  infoLckRelease(x);
  return prev / _PAGE !== lsn / _PAGE;
}

/**
 * Sets up the insert position at the end of the WAL found at startup
 * (StartupXLOG's "Prepare to write WAL"): the insert and write positions,
 * and the partial last page copied into its WAL buffer.
 *
 * Lock contract: the startup process only, before any other process inserts.
 *
 * @param endOfLog where the next record goes
 * @param lastRec the start of the last valid record
 * @param lastPage the bytes of the page holding `endOfLog` (only the part before it is used)
 */
export function xlogStartInsertAt(endOfLog: XLogRecPtr, lastRec: XLogRecPtr, lastPage: Uint8Array | undefined): void {
  const x = _x();
  xlogStore64(x, XLogCtlOffset.currBytePos, xlogRecPtrToBytePos(x.geometry, endOfLog));
  xlogStore64(x, XLogCtlOffset.prevBytePos, xlogRecPtrToBytePos(x.geometry, lastRec));
  const pageOff = Number(endOfLog % _PAGE);
  let initializedUpTo = endOfLog;
  for (let i = 0; i < x.nbuffers; i++) setXlblock(x, i, 0n);
  if (pageOff !== 0) {
    assert(lastPage !== undefined, "the last partial page is given");
    const pageBegin = endOfLog - BigInt(pageOff);
    const idx = xlogRecPtrToBufIdx(x, pageBegin);
    const page = walBufferPage(x, idx);
    page.fill(0);
    page.set(lastPage.subarray(0, pageOff));
    setXlblock(x, idx, pageBegin + _PAGE);
    initializedUpTo = pageBegin + _PAGE;
  }
  xlogStore64(x, XLogCtlOffset.initializedUpTo, initializedUpTo);
  for (
    const f of [XLogCtlOffset.resultWrite, XLogCtlOffset.resultFlush, XLogCtlOffset.rqstWrite, XLogCtlOffset.rqstFlush]
  ) {
    xlogStore64(x, f, endOfLog);
  }
  _p.write = _p.flush = endOfLog;
  closeXLogFile();
}

/**
 * Publishes the redo point of a starting checkpoint to inserters and to
 * info_lck readers. Lock contract: the caller holds every insertion lock.
 *
 * @param redo the new redo point
 */
export function xlogSetRedoRecPtr(redo: XLogRecPtr): void {
  const x = _x();
  assert(_p.holdingAllLocks, "all insertion locks are held while the redo point moves");
  xlogStore64(x, XLogCtlOffset.insertRedoRecPtr, redo);
  infoLckAcquire(x);
  xlogStore64(x, XLogCtlOffset.redoRecPtr, redo);
  infoLckRelease(x);
}

/** @returns the redo point of the last checkpoint that started (GetRedoRecPtr) */
export function getRedoRecPtr(): XLogRecPtr {
  const x = _x();
  infoLckAcquire(x);
  const r = xlogLoad64(x, XLogCtlOffset.redoRecPtr);
  infoLckRelease(x);
  return r;
}

/**
 * Sets the shared full_page_writes value inserters follow
 * (UpdateFullPageWrites); the checkpointer calls it at start and reload.
 *
 * @param on the setting
 */
export function xlogSetFullPageWrites(on: boolean): void {
  xlogStore32(_x(), XLogCtlOffset.fullPageWrites, on ? 1 : 0);
}

/**
 * Opens WAL to every process (SharedRecoveryState = DONE): the startup
 * process calls it after its end-of-recovery checkpoint.
 */
export function xlogSetProduction(): void {
  xlogStore32(_x(), XLogCtlOffset.sharedRecoveryState, 1);
}

/**
 * Reserves the insert position for the startup process's own records
 * (end-of-recovery checkpoint) before production: lifts the recovery flag
 * for this process only.
 */
export function xlogAllowLocalInsert(): void {
  _p.inRecovery = false;
}
