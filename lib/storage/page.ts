/**
 * page.ts — the layout of a data page's header, and the checks made on a
 * page right after it is read.
 *
 * PostgreSQL counterpart: src/include/storage/bufpage.h (PageHeaderData) and
 * src/backend/storage/page/bufpage.c (PageInit, PageIsVerifiedExtended).
 *
 * NOTES
 * PageHeaderData, 24 bytes, little-endian: pd_lsn (high 32 bits at 0, low at
 * 4), pd_checksum u16 at 8, pd_flags u16 at 10, pd_lower u16 at 12, pd_upper
 * u16 at 14, pd_special u16 at 16, pd_pagesize_version u16 at 18
 * (BLCKSZ | layout version 4), pd_prune_xid u32 at 20; line pointers follow.
 * A page of all zeros is "new": valid to read (a relation extended but never
 * written), never checksummed. Accessors work on any `Uint8Array` view of
 * one block, including a buffer in shared memory; the caller holds the
 * content lock the buffer README requires. Pure.
 *
 * @module
 */

import { BLOCK_SIZE_BYTES } from "../common/limits.ts";
import { pgChecksumPage } from "./checksum.ts";

/** Size of the page header (SizeOfPageHeaderData). */
export const SIZE_OF_PAGE_HEADER_DATA = 24;
/** Page layout version (PG_PAGE_LAYOUT_VERSION). */
export const PG_PAGE_LAYOUT_VERSION = 4;
/** pd_flags: there are unused line pointers. */
export const PD_HAS_FREE_LINES = 0x0001;
/** pd_flags: not enough free space for a new tuple. */
export const PD_PAGE_FULL = 0x0002;
/** pd_flags: all tuples visible to everyone. */
export const PD_ALL_VISIBLE = 0x0004;
/** Every defined pd_flags bit (PD_VALID_FLAG_BITS). */
export const PD_VALID_FLAG_BITS = 0x0007;

function _u16(p: Uint8Array, off: number): number {
  return p[off] | (p[off + 1] << 8);
}
function _setU16(p: Uint8Array, off: number, v: number): void {
  p[off] = v & 0xff;
  p[off + 1] = (v >>> 8) & 0xff;
}
function _u32(p: Uint8Array, off: number): number {
  return (p[off] | (p[off + 1] << 8) | (p[off + 2] << 16) | (p[off + 3] << 24)) >>> 0;
}
function _setU32(p: Uint8Array, off: number, v: number): void {
  p[off] = v & 0xff;
  p[off + 1] = (v >>> 8) & 0xff;
  p[off + 2] = (v >>> 16) & 0xff;
  p[off + 3] = (v >>> 24) & 0xff;
}

/**
 * Formats an empty page (PageInit): header, no line pointers, `specialSize`
 * bytes reserved at the end (MAXALIGNed).
 *
 * @param page one block
 * @param specialSize bytes of the special space
 */
export function pageInit(page: Uint8Array, specialSize = 0): void {
  const special = BLOCK_SIZE_BYTES - ((specialSize + 7) & ~7);
  page.fill(0, 0, BLOCK_SIZE_BYTES);
  _setU16(page, 12, SIZE_OF_PAGE_HEADER_DATA);
  _setU16(page, 14, special);
  _setU16(page, 16, special);
  _setU16(page, 18, BLOCK_SIZE_BYTES | PG_PAGE_LAYOUT_VERSION);
}

/** @returns whether the page was never initialised (pd_upper = 0, PageIsNew) */
export function pageIsNew(page: Uint8Array): boolean {
  return _u16(page, 14) === 0;
}

/** @returns the page's LSN: the end of the last WAL record that changed it */
export function pageGetLsn(page: Uint8Array): bigint {
  return (BigInt(_u32(page, 0)) << 32n) | BigInt(_u32(page, 4));
}

/**
 * Sets the page's LSN (PageSetLSN). Callers hold an exclusive content lock.
 *
 * @param page one block
 * @param lsn the end of the WAL record that just changed it
 */
export function pageSetLsn(page: Uint8Array, lsn: bigint): void {
  _setU32(page, 0, Number(lsn >> 32n));
  _setU32(page, 4, Number(lsn & 0xffffffffn));
}

/** @returns pd_checksum */
export function pageGetChecksum(page: Uint8Array): number {
  return _u16(page, 8);
}

/**
 * Stores a checksum in pd_checksum.
 *
 * @param page one block
 * @param checksum the value from pgChecksumPage
 */
export function pageSetChecksum(page: Uint8Array, checksum: number): void {
  _setU16(page, 8, checksum);
}

/** @returns pd_flags */
export function pageGetFlags(page: Uint8Array): number {
  return _u16(page, 10);
}
/** @returns pd_lower: the end of the line pointer array */
export function pageGetLower(page: Uint8Array): number {
  return _u16(page, 12);
}
/** @returns pd_upper: the start of tuple space */
export function pageGetUpper(page: Uint8Array): number {
  return _u16(page, 14);
}
/** @returns pd_special: the start of special space */
export function pageGetSpecial(page: Uint8Array): number {
  return _u16(page, 16);
}

/**
 * Sets pd_lower and pd_upper, for callers that add line pointers and tuples.
 *
 * @param page one block
 * @param lower new pd_lower
 * @param upper new pd_upper
 */
export function pageSetLowerUpper(page: Uint8Array, lower: number, upper: number): void {
  _setU16(page, 12, lower);
  _setU16(page, 14, upper);
}

/**
 * Stamps the checksum of a page about to be written (PageSetChecksumInplace).
 * New pages keep a zero checksum, as PostgreSQL's.
 *
 * @param page one block (a private copy, or a buffer under an exclusive lock or I/O in progress)
 * @param blockNumber its block number
 */
export function pageSetChecksumInplace(page: Uint8Array, blockNumber: number): void {
  if (pageIsNew(page)) return;
  pageSetChecksum(page, pgChecksumPage(page, blockNumber));
}

/** The outcome of {@link pageVerify}. */
export type PageVerifyResult =
  | { ok: true }
  | { ok: false; reason: "checksum"; calculated: number; expected: number }
  | { ok: false; reason: "header" };

/**
 * Checks a page just read from disk (PageIsVerifiedExtended): a sane header,
 * and with checksums enabled a matching checksum; a new page must be all
 * zeros.
 *
 * @param page one block
 * @param blockNumber its block number
 * @param checksums whether data checksums are enabled in this cluster
 * @returns ok, or why not
 */
export function pageVerify(page: Uint8Array, blockNumber: number, checksums: boolean): PageVerifyResult {
  if (!pageIsNew(page)) {
    if (checksums) {
      const calculated = pgChecksumPage(page, blockNumber);
      const expected = pageGetChecksum(page);
      if (calculated !== expected) return { ok: false, reason: "checksum", calculated, expected };
    }
    const lower = pageGetLower(page);
    const upper = pageGetUpper(page);
    const special = pageGetSpecial(page);
    const headerOk = (pageGetFlags(page) & ~PD_VALID_FLAG_BITS) === 0 && lower <= upper && upper <= special &&
      special <= BLOCK_SIZE_BYTES && (special & 7) === 0;
    return headerOk ? { ok: true } : { ok: false, reason: "header" };
  }
  for (let i = 0; i < BLOCK_SIZE_BYTES; i++) if (page[i] !== 0) return { ok: false, reason: "header" };
  return { ok: true };
}
