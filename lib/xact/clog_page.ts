/**
 * clog_page.ts — the on-disk format of commit status (`pg_xact/`): two bits
 * per transaction, 32768 transactions per 8 KiB page, 32 pages per file.
 *
 * PostgreSQL counterpart: src/backend/access/transam/clog.c
 * (TransactionIdToPage, TransactionIdToByte, CLOG_BITS_PER_XACT) and slru.c
 * (SLRU_PAGES_PER_SEGMENT, SlruFileName).
 *
 * NOTES
 * Status values are PostgreSQL's: 0 in progress, 1 committed, 2 aborted,
 * 3 sub-committed. A page never written reads as all zeros: every transaction
 * on it in progress, which is what a crash before commit must look like.
 * Pure.
 *
 * @module
 */

import { BLOCK_SIZE_BYTES } from "../common/limits.ts";
import type { TransactionId } from "./transam.ts";

/** Directory of commit-status files inside the data directory. */
export const CLOG_DIR = "pg_xact";
/** Bytes in one commit-status page (BLCKSZ). */
export const CLOG_PAGE_BYTES = BLOCK_SIZE_BYTES;
/** Transactions per page: four per byte (CLOG_XACTS_PER_PAGE). */
export const CLOG_XACTS_PER_PAGE = CLOG_PAGE_BYTES * 4;
/** Pages per file (SLRU_PAGES_PER_SEGMENT). */
export const SLRU_PAGES_PER_SEGMENT = 32;

/** A transaction's commit status (XidStatus). */
export type XidStatus = "in progress" | "committed" | "aborted" | "sub-committed";
const _STATUS: readonly XidStatus[] = ["in progress", "committed", "aborted", "sub-committed"];

/** @returns the page number holding `xid`'s status */
export function clogPageNo(xid: TransactionId): number {
  return Math.floor(xid / CLOG_XACTS_PER_PAGE);
}

/** @returns the file name of a pg_xact segment: four upper-case hex digits (SlruFileName) */
export function clogSegmentFileName(segNo: number): string {
  return segNo.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * @param pageNo a page number
 * @returns the file name and byte offset that hold the page
 */
export function clogPageLocation(pageNo: number): { file: string; offset: number } {
  return {
    file: clogSegmentFileName(Math.floor(pageNo / SLRU_PAGES_PER_SEGMENT)),
    offset: (pageNo % SLRU_PAGES_PER_SEGMENT) * CLOG_PAGE_BYTES,
  };
}

/**
 * Reads a status from a page.
 *
 * @param page the page holding `xid`
 * @param xid the transaction
 * @returns its status
 */
export function clogGetStatus(page: Uint8Array, xid: TransactionId): XidStatus {
  const inPage = xid % CLOG_XACTS_PER_PAGE;
  return _STATUS[(page[inPage >>> 2] >>> ((inPage & 3) * 2)) & 3];
}

/**
 * Writes a status into a page. Callers hold the lock that protects the page.
 *
 * @param page the page holding `xid`
 * @param xid the transaction
 * @param status its new status
 */
export function clogSetStatus(page: Uint8Array, xid: TransactionId, status: XidStatus): void {
  const inPage = xid % CLOG_XACTS_PER_PAGE;
  const shift = (inPage & 3) * 2;
  const i = inPage >>> 2;
  page[i] = (page[i] & ~(3 << shift)) | (_STATUS.indexOf(status) << shift);
}
