/**
 * clog.ts — transaction commit status through a small shared cache of
 * `pg_xact/` pages.
 *
 * PostgreSQL counterpart: src/backend/access/transam/clog.c
 * (TransactionIdSetTreeStatus, TransactionIdGetStatus, CheckPointCLOG) over
 * the SLRU of slru.c (SimpleLruReadPage, SlruSelectLRUPage,
 * SlruInternalWritePage, SimpleLruWriteAll).
 *
 * NOTES
 * "commit status" region: a 64-byte header (slot count, LRU clock), then per
 * slot 64 bytes of metadata (page number + 1 at 0, 0 = empty; dirty flag at 4;
 * last-used stamp at 8; the highest commit-record LSN on the page at 16),
 * then the slots' 8 KiB pages. XactSLRULock (main LWLock array) protects
 * all of it; it is held exclusively for every access, including the rare
 * page read or write (a simplification of PostgreSQL's per-slot I/O locks:
 * one page covers 32768 transactions, so I/O under the lock is rare).
 *
 * Write-ahead: a page is written only after WAL is flushed up to the highest
 * commit LSN recorded on it, so an asynchronous commit's status never
 * reaches disk before its commit record. Durability: CheckPointCLOG writes
 * every dirty page and fsyncs the pg_xact files before the checkpoint is
 * recorded; after a crash, replay of commit and abort records rebuilds any
 * status lost. A page that does not exist on disk reads as zeros ("in
 * progress"): a transaction whose commit record never became durable.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { LinuxConst } from "../ffi/libc.ts";
import {
  lwlockAcquire,
  lwlockRelease,
  mainLWLock,
  pgstatReportWaitEnd,
  pgstatReportWaitStart,
  type ShmemSegment,
  waitEventInfo,
} from "../shmem/mod.ts";
import { fileClose, fileOpen, fileOpenIfExists, fileReadAt, fileSync, fileWriteAt, fsyncFname } from "../storage/fd.ts";
import { CLOG_SLOT_META_BYTES } from "../storage/shmem_sizes.ts";
import { xlogFlush } from "../wal/xlog.ts";
import {
  CLOG_DIR,
  CLOG_PAGE_BYTES,
  clogGetStatus,
  clogPageLocation,
  clogPageNo,
  clogSetStatus,
  type XidStatus,
} from "./clog_page.ts";
import type { TransactionId } from "./transam.ts";

const _HDR_NSLOTS = 0;
const _HDR_CLOCK = 4;
const _HEADER_BYTES = 64;
const _M_PAGE = 0;
const _M_DIRTY = 4;
const _M_USED = 8;
const _M_LSN = 16;

const _WAIT_SLRU_READ = waitEventInfo("IO", "SLRURead");
const _WAIT_SLRU_WRITE = waitEventInfo("IO", "SLRUWrite");

const _c = {
  seg: undefined as ShmemSegment | undefined,
  dataDir: "",
  base: 0,
  nslots: 0,
  lock: 0,
};

/**
 * Initialises the commit-status cache: all slots empty (segment creation).
 *
 * @param seg the new segment
 */
export function clogShmemInit(seg: ShmemSegment): void {
  const r = seg.region("commit status");
  seg.i32[(r.offset + _HDR_NSLOTS) >> 2] = Math.floor(
    (r.sizeBytes - _HEADER_BYTES) / (CLOG_SLOT_META_BYTES + CLOG_PAGE_BYTES),
  );
}

/**
 * Sets up this process's access to commit status.
 *
 * @param seg the attached segment; this process holds a slot
 * @param dataDir the data directory
 */
export function initClogAccess(seg: ShmemSegment, dataDir: string): void {
  const base = seg.region("commit status").offset;
  _c.seg = seg;
  _c.dataDir = dataDir;
  _c.base = base;
  _c.nslots = seg.i32[(base + _HDR_NSLOTS) >> 2];
  _c.lock = mainLWLock(seg, "XactSLRULock");
  assert(_c.nslots > 0, "commit-status slots exist");
}

function _seg(): ShmemSegment {
  assert(_c.seg !== undefined, "initClogAccess() was called");
  return _c.seg;
}

function _meta(slot: number, field: number): number {
  return _c.base + _HEADER_BYTES + slot * CLOG_SLOT_META_BYTES + field;
}

function _page(slot: number): Uint8Array {
  const off = _c.base + _HEADER_BYTES + _c.nslots * CLOG_SLOT_META_BYTES + slot * CLOG_PAGE_BYTES;
  return _seg().u8.subarray(off, off + CLOG_PAGE_BYTES);
}

function _get(field: number): number {
  return _seg().i32[field >> 2];
}

function _set(field: number, v: number): void {
  _seg().i32[field >> 2] = v;
}

function _touch(slot: number): void {
  const clock = _get(_c.base + _HDR_CLOCK) + 1;
  _set(_c.base + _HDR_CLOCK, clock);
  _set(_meta(slot, _M_USED), clock);
}

function _writeSlot(slot: number): void {
  const seg = _seg();
  const pageNo = _get(_meta(slot, _M_PAGE)) - 1;
  xlogFlush(seg.bigInt64[_meta(slot, _M_LSN) >> 3]);
  const loc = clogPageLocation(pageNo);
  const path = `${_c.dataDir}/${CLOG_DIR}/${loc.file}`;
  pgstatReportWaitStart(seg, _WAIT_SLRU_WRITE);
  const fd = fileOpen(path, LinuxConst.O_RDWR | LinuxConst.O_CREAT);
  try {
    fileWriteAt(fd, _page(slot), loc.offset, path);
  } finally {
    fileClose(fd);
    pgstatReportWaitEnd(seg);
  }
  _set(_meta(slot, _M_DIRTY), 0);
}

function _readInto(slot: number, pageNo: number): void {
  const seg = _seg();
  const loc = clogPageLocation(pageNo);
  const path = `${_c.dataDir}/${CLOG_DIR}/${loc.file}`;
  const page = _page(slot);
  page.fill(0);
  pgstatReportWaitStart(seg, _WAIT_SLRU_READ);
  const fd = fileOpenIfExists(path, LinuxConst.O_RDONLY);
  try {
    if (fd >= 0) fileReadAt(fd, page, loc.offset, path);
  } finally {
    if (fd >= 0) fileClose(fd);
    pgstatReportWaitEnd(seg);
  }
}

/** Returns the slot holding `pageNo`, loading it (evicting the least recently used page) if needed. Lock held. */
function _slotFor(pageNo: number): number {
  let victim = -1;
  let victimUsed = Infinity;
  for (let s = 0; s < _c.nslots; s++) {
    const p = _get(_meta(s, _M_PAGE));
    if (p === pageNo + 1) {
      _touch(s);
      return s;
    }
    const used = p === 0 ? -1 : _get(_meta(s, _M_USED));
    if (used < victimUsed) {
      victim = s;
      victimUsed = used;
    }
  }
  if (_get(_meta(victim, _M_PAGE)) !== 0 && _get(_meta(victim, _M_DIRTY)) !== 0) _writeSlot(victim);
  _set(_meta(victim, _M_PAGE), 0);
  _readInto(victim, pageNo);
  _set(_meta(victim, _M_PAGE), pageNo + 1);
  _set(_meta(victim, _M_DIRTY), 0);
  _seg().bigInt64[_meta(victim, _M_LSN) >> 3] = 0n;
  _touch(victim);
  return victim;
}

/**
 * Records a transaction's final status (TransactionIdSetTreeStatus without
 * subtransactions).
 *
 * Lock contract: takes and releases XactSLRULock.
 *
 * @param xid the transaction
 * @param status committed or aborted
 * @param commitLsn end of its commit record for an asynchronous commit (the page
 *   is not written before WAL is flushed past it); 0 otherwise
 */
export function transactionIdSetStatus(xid: TransactionId, status: XidStatus, commitLsn = 0n): void {
  const seg = _seg();
  lwlockAcquire(seg, _c.lock, "exclusive");
  try {
    const slot = _slotFor(clogPageNo(xid));
    clogSetStatus(_page(slot), xid, status);
    _set(_meta(slot, _M_DIRTY), 1);
    const lsnIdx = _meta(slot, _M_LSN) >> 3;
    if (seg.bigInt64[lsnIdx] < commitLsn) seg.bigInt64[lsnIdx] = commitLsn;
  } finally {
    lwlockRelease(seg, _c.lock);
  }
}

/**
 * Reads a transaction's status (TransactionIdGetStatus).
 *
 * Lock contract: takes and releases XactSLRULock.
 *
 * @param xid the transaction
 * @returns in progress, committed, aborted or sub-committed
 */
export function transactionIdGetStatus(xid: TransactionId): XidStatus {
  const seg = _seg();
  lwlockAcquire(seg, _c.lock, "exclusive");
  try {
    return clogGetStatus(_page(_slotFor(clogPageNo(xid))), xid);
  } finally {
    lwlockRelease(seg, _c.lock);
  }
}

/**
 * Writes every dirty commit-status page and fsyncs the pg_xact files
 * (CheckPointCLOG), so the checkpoint can rely on them.
 *
 * Lock contract: takes and releases XactSLRULock.
 *
 * @returns pages written
 */
export function checkPointClog(): number {
  const seg = _seg();
  let written = 0;
  lwlockAcquire(seg, _c.lock, "exclusive");
  try {
    for (let s = 0; s < _c.nslots; s++) {
      if (_get(_meta(s, _M_PAGE)) !== 0 && _get(_meta(s, _M_DIRTY)) !== 0) {
        _writeSlot(s);
        written++;
      }
    }
    // Pages evicted since the last checkpoint were written without fsync: sync every file.
    for (const e of Deno.readDirSync(`${_c.dataDir}/${CLOG_DIR}`)) {
      if (!e.isFile || !/^[0-9A-F]{4,}$/.test(e.name)) continue;
      const path = `${_c.dataDir}/${CLOG_DIR}/${e.name}`;
      const fd = fileOpen(path, LinuxConst.O_RDWR);
      try {
        fileSync(fd, path);
      } finally {
        fileClose(fd);
      }
    }
    fsyncFname(`${_c.dataDir}/${CLOG_DIR}`);
  } finally {
    lwlockRelease(seg, _c.lock);
  }
  return written;
}
