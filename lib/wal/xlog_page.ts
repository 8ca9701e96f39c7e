/**
 * xlog_page.ts — the header at the start of every WAL page, and the usable
 * byte space between headers.
 *
 * PostgreSQL counterpart: XLogPageHeaderData / XLogLongPageHeaderData in
 * src/include/access/xlog_internal.h, and XLogBytePosToRecPtr /
 * XLogBytePosToEndRecPtr / XLogRecPtrToBytePos in xlog.c.
 *
 * NOTES
 * Byte layout is PostgreSQL 15's (magic 0xD110), so `pg_waldump` reads our
 * segments. Every WAL page begins with a short header (24 bytes); the first
 * page of each segment with a long one (40 bytes) that also carries the
 * system identifier, segment size and page size. A record that does not fit
 * on a page continues on the next, whose header says how many bytes of it
 * remain (`xlp_rem_len`, flag XLP_FIRST_IS_CONTRECORD).
 *
 * Insertion reserves space in "usable bytes" (WAL positions with the page
 * headers left out), so a reservation is one addition under a spinlock; the
 * functions here convert between that space and LSNs. Pure.
 *
 * @module
 */

import { WAL_PAGE_SIZE_BYTES } from "../common/limits.ts";
import type { TimeLineId, XLogRecPtr } from "./lsn.ts";

/** WAL page magic of PostgreSQL 15 (XLOG_PAGE_MAGIC). */
export const XLOG_PAGE_MAGIC = 0xd110;
/** Size of a short page header, MAXALIGNed (SizeOfXLogShortPHD). */
export const SIZE_OF_XLOG_SHORT_PHD = 24;
/** Size of a long page header, MAXALIGNed (SizeOfXLogLongPHD). */
export const SIZE_OF_XLOG_LONG_PHD = 40;
/** The page begins with the rest of a record started on an earlier page. */
export const XLP_FIRST_IS_CONTRECORD = 0x0001;
/** The page has a long header (first page of a segment). */
export const XLP_LONG_HEADER = 0x0002;
/** Full-page images on this page may be removed (no backup in progress). */
export const XLP_BKP_REMOVABLE = 0x0004;
/** Every valid xlp_info bit (XLP_ALL_FLAGS). */
export const XLP_ALL_FLAGS = 0x000f;

/** A decoded WAL page header. */
export interface XLogPageHeader {
  magic: number;
  info: number;
  tli: TimeLineId;
  /** LSN of the page's first byte. */
  pageAddr: XLogRecPtr;
  /** Bytes of a continued record at the start of this page. */
  remLen: number;
  /** Long header only: system identifier, segment and page size. */
  sysid?: bigint;
  segSize?: number;
  blcksz?: number;
}

/**
 * @param n a length or offset
 * @returns `n` rounded up to a multiple of 8 (MAXALIGN)
 */
export function maxAlign(n: number): number {
  return (n + 7) & ~7;
}

/**
 * Writes a WAL page header.
 *
 * @param dv the page (or a larger buffer)
 * @param off offset of the page in `dv`
 * @param h the header (long when `sysid` is set)
 * @returns the header's size
 */
export function encodeXLogPageHeader(dv: DataView, off: number, h: XLogPageHeader): number {
  dv.setUint16(off, h.magic, true);
  dv.setUint16(off + 2, h.info, true);
  dv.setUint32(off + 4, h.tli, true);
  dv.setBigUint64(off + 8, h.pageAddr, true);
  dv.setUint32(off + 16, h.remLen, true);
  dv.setUint32(off + 20, 0, true);
  if (h.sysid === undefined) return SIZE_OF_XLOG_SHORT_PHD;
  dv.setBigUint64(off + 24, h.sysid, true);
  dv.setUint32(off + 32, h.segSize ?? 0, true);
  dv.setUint32(off + 36, h.blcksz ?? 0, true);
  return SIZE_OF_XLOG_LONG_PHD;
}

/**
 * Reads a WAL page header.
 *
 * @param dv the page (or a larger buffer)
 * @param off offset of the page in `dv`
 * @returns the header
 */
export function decodeXLogPageHeader(dv: DataView, off: number): XLogPageHeader {
  const info = dv.getUint16(off + 2, true);
  const h: XLogPageHeader = {
    magic: dv.getUint16(off, true),
    info,
    tli: dv.getUint32(off + 4, true),
    pageAddr: dv.getBigUint64(off + 8, true),
    remLen: dv.getUint32(off + 16, true),
  };
  if (info & XLP_LONG_HEADER) {
    h.sysid = dv.getBigUint64(off + 24, true);
    h.segSize = dv.getUint32(off + 32, true);
    h.blcksz = dv.getUint32(off + 36, true);
  }
  return h;
}

/** Geometry of the usable-byte space for one segment size. */
export interface XLogGeometry {
  segSizeBytes: number;
  /** Usable bytes on the first page of a segment. */
  usableFirstPage: number;
  /** Usable bytes on any other page. */
  usablePage: number;
  /** Usable bytes in one segment. */
  usableSegment: number;
}

/**
 * @param segSizeBytes the WAL segment size
 * @returns the usable-byte geometry (UsableBytesInSegment and friends)
 */
export function xlogGeometry(segSizeBytes: number): XLogGeometry {
  const usablePage = WAL_PAGE_SIZE_BYTES - SIZE_OF_XLOG_SHORT_PHD;
  const usableFirstPage = WAL_PAGE_SIZE_BYTES - SIZE_OF_XLOG_LONG_PHD;
  const pagesPerSeg = segSizeBytes / WAL_PAGE_SIZE_BYTES;
  return { segSizeBytes, usableFirstPage, usablePage, usableSegment: usableFirstPage + (pagesPerSeg - 1) * usablePage };
}

function _bytePosToRecPtr(g: XLogGeometry, bytePos: bigint, isEnd: boolean): XLogRecPtr {
  const segNo = bytePos / BigInt(g.usableSegment);
  let bytesLeft = Number(bytePos % BigInt(g.usableSegment));
  let segOffset: number;
  if (bytesLeft < g.usableFirstPage) {
    // On the segment's first page; an end pointer at 0 is the previous segment's end.
    segOffset = isEnd && bytesLeft === 0 ? 0 : bytesLeft + SIZE_OF_XLOG_LONG_PHD;
  } else {
    bytesLeft -= g.usableFirstPage;
    const fullPages = Math.floor(bytesLeft / g.usablePage);
    bytesLeft %= g.usablePage;
    // An end pointer at a page boundary stays before the next page's header.
    const header = isEnd && bytesLeft === 0 ? 0 : SIZE_OF_XLOG_SHORT_PHD;
    segOffset = WAL_PAGE_SIZE_BYTES + fullPages * WAL_PAGE_SIZE_BYTES + bytesLeft + header;
  }
  return segNo * BigInt(g.segSizeBytes) + BigInt(segOffset);
}

/**
 * Converts a usable-byte position to the LSN where a record starting there
 * begins (XLogBytePosToRecPtr): a position at a page boundary maps past the
 * next page header.
 *
 * @param g the geometry
 * @param bytePos usable-byte position
 * @returns the LSN
 */
export function xlogBytePosToRecPtr(g: XLogGeometry, bytePos: bigint): XLogRecPtr {
  return _bytePosToRecPtr(g, bytePos, false);
}

/**
 * Converts a usable-byte position to the LSN just past a record ending there
 * (XLogBytePosToEndRecPtr): a position at a page boundary maps to the end of
 * the previous page, not past the next header.
 *
 * @param g the geometry
 * @param bytePos usable-byte position
 * @returns the LSN
 */
export function xlogBytePosToEndRecPtr(g: XLogGeometry, bytePos: bigint): XLogRecPtr {
  return _bytePosToRecPtr(g, bytePos, true);
}

/**
 * Converts an LSN to a usable-byte position (XLogRecPtrToBytePos). An LSN
 * inside a page header maps to the first usable byte after it.
 *
 * @param g the geometry
 * @param ptr the LSN
 * @returns the usable-byte position
 */
export function xlogRecPtrToBytePos(g: XLogGeometry, ptr: XLogRecPtr): bigint {
  const segNo = ptr / BigInt(g.segSizeBytes);
  const offset = Number(ptr % BigInt(g.segSizeBytes));
  const fullPages = Math.floor(offset / WAL_PAGE_SIZE_BYTES);
  const pageOffset = offset % WAL_PAGE_SIZE_BYTES;
  let result: number;
  if (fullPages === 0) {
    result = pageOffset > 0 ? Math.max(0, pageOffset - SIZE_OF_XLOG_LONG_PHD) : 0;
  } else {
    result = g.usableFirstPage + (fullPages - 1) * g.usablePage +
      (pageOffset > 0 ? Math.max(0, pageOffset - SIZE_OF_XLOG_SHORT_PHD) : 0);
  }
  return segNo * BigInt(g.usableSegment) + BigInt(result);
}
