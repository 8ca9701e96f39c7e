/**
 * xlog_reader.ts — reading WAL records back from the segment files, with
 * every check that tells a valid record from a torn or stale one.
 *
 * PostgreSQL counterpart: src/backend/access/transam/xlogreader.c
 * (XLogReadRecord, XLogReaderValidatePageHeader, ValidXLogRecordHeader,
 * ValidXLogRecord) and the page reading of xlogrecovery.c (XLogPageRead).
 *
 * NOTES
 * Used by the startup process (crash recovery) and by tests and benchmarks;
 * it only reads files. A record may span pages and segments; each page's
 * header must carry the magic, valid flag bits, its own address (a recycled
 * segment still holds old pages, rejected here as `unexpected pageaddr`),
 * and, on continuation pages, the continuation flag and the right remaining
 * length. The record header must name a known resource manager and link to
 * the previous record; the CRC-32C must match. The first failing check ends
 * the WAL: {@link XLogReader.readRecord} returns undefined and
 * {@link XLogReader.errorMessage} holds PostgreSQL's message for it
 * (undefined when the WAL simply ends: a missing segment). That is how a
 * torn tail after a crash ends replay cleanly.
 *
 * Memory: one read-ahead buffer of {@link XLOG_READ_AHEAD_BYTES} and one
 * record buffer (at most XLOG_RECORD_MAX_BYTES).
 *
 * @module
 */

import { WAL_PAGE_SIZE_BYTES } from "../common/limits.ts";
import { LinuxConst } from "../ffi/libc.ts";
import { fileClose, fileOpenIfExists, fileReadAt } from "../storage/fd.ts";
import { formatLsn, TIMELINE_ID, xlogFileName, type XLogRecPtr, xlogSegNoOf } from "./lsn.ts";
import { XLOG_SWITCH } from "./pg_control.ts";
import { RM_MAX_ID, RM_XLOG_ID } from "./rmgr_ids.ts";
import {
  decodeXLogPageHeader,
  maxAlign,
  SIZE_OF_XLOG_LONG_PHD,
  SIZE_OF_XLOG_SHORT_PHD,
  XLOG_PAGE_MAGIC,
  XLP_ALL_FLAGS,
  XLP_FIRST_IS_CONTRECORD,
  XLP_LONG_HEADER,
} from "./xlog_page.ts";
import {
  type DecodedXLogRecord,
  decodeXLogRecord,
  SIZE_OF_XLOG_RECORD,
  XLOG_RECORD_MAX_BYTES,
  XLogDecodeError,
  xlogRecordCrcOk,
  XLR_INFO_MASK,
} from "./xlog_record.ts";
import { XLOGDIR } from "./xlog_file.ts";

/** Bytes read from a segment at a time (a whole number of WAL pages). */
export const XLOG_READ_AHEAD_BYTES = 16 * WAL_PAGE_SIZE_BYTES;

class _EndOfWal extends Error {
  constructor(readonly walMessage: string | undefined) {
    super(walMessage ?? "end of WAL");
  }
}

/**
 * Reads records sequentially from `pg_wal/`.
 *
 * @example
 * ```ts
 * const reader = new XLogReader(dataDir, segSize, cf.systemIdentifier);
 * for (let rec = reader.readRecord(redo); rec; rec = reader.readRecord()) apply(rec);
 * reader.errorMessage; // e.g. "invalid record length at 0/3000110: wanted 24, got 0"
 * reader.close();
 * ```
 */
export class XLogReader {
  /** Why the last {@link readRecord} returned undefined; undefined if the WAL just ended. */
  errorMessage: string | undefined;
  /** Start of the last record returned (ReadRecPtr). */
  readRecPtr: XLogRecPtr = 0n;
  /** End of the last record returned (EndRecPtr), where the next one is looked for. */
  endRecPtr: XLogRecPtr = 0n;

  readonly #dataDir: string;
  readonly #segSize: number;
  readonly #sysid: bigint | undefined;
  #fd = -1;
  #fdSegNo = -1n;
  readonly #chunk = new Uint8Array(XLOG_READ_AHEAD_BYTES);
  #chunkStart = -1n;
  #chunkLen = 0;

  /**
   * @param dataDir the data directory
   * @param segSizeBytes wal_segment_size from pg_control
   * @param systemIdentifier when given, long page headers must carry it
   */
  constructor(dataDir: string, segSizeBytes: number, systemIdentifier?: bigint) {
    this.#dataDir = dataDir;
    this.#segSize = segSizeBytes;
    this.#sysid = systemIdentifier;
  }

  /** Closes the open segment file. */
  close(): void {
    if (this.#fd >= 0) fileClose(this.#fd);
    this.#fd = -1;
    this.#fdSegNo = -1n;
  }

  /**
   * Reads the record at `startLsn`, or the one after the last record read.
   *
   * @param startLsn where a record starts (the first call must give one)
   * @returns the record, or undefined at the end of valid WAL (see {@link errorMessage})
   */
  readRecord(startLsn?: XLogRecPtr): DecodedXLogRecord | undefined {
    const prevRecPtr = startLsn === undefined ? this.readRecPtr : undefined;
    let lsn = startLsn ?? this.endRecPtr;
    this.errorMessage = undefined;
    try {
      // The next record after one that ended at a page boundary starts past the next page's header.
      if (lsn % BigInt(WAL_PAGE_SIZE_BYTES) === 0n) lsn += BigInt(this.#headerSize(lsn));
      const rec = this.#readAt(lsn, prevRecPtr);
      this.readRecPtr = lsn;
      this.endRecPtr = rec.endLsn;
      return rec;
    } catch (e) {
      if (e instanceof _EndOfWal) {
        this.errorMessage = e.walMessage;
        return undefined;
      }
      if (e instanceof XLogDecodeError) {
        this.errorMessage = e.message;
        return undefined;
      }
      throw e;
    }
  }

  #headerSize(pageLsn: XLogRecPtr): number {
    return pageLsn % BigInt(this.#segSize) === 0n ? SIZE_OF_XLOG_LONG_PHD : SIZE_OF_XLOG_SHORT_PHD;
  }

  #readAt(lsn: XLogRecPtr, prevRecPtr: XLogRecPtr | undefined): DecodedXLogRecord {
    const pageSize = BigInt(WAL_PAGE_SIZE_BYTES);
    const pageStart = lsn - (lsn % pageSize);
    const page = this.#page(pageStart);
    const pageOff = Number(lsn - pageStart);
    if (pageOff < this.#headerSize(pageStart)) throw new _EndOfWal(`invalid record offset at ${formatLsn(lsn)}`);
    const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
    const totLen = dv.getUint32(pageOff, true);
    if (totLen < SIZE_OF_XLOG_RECORD) {
      throw new _EndOfWal(`invalid record length at ${formatLsn(lsn)}: wanted ${SIZE_OF_XLOG_RECORD}, got ${totLen}`);
    }
    if (totLen > XLOG_RECORD_MAX_BYTES) throw new _EndOfWal(`record length ${totLen} at ${formatLsn(lsn)} too long`);
    const headerOnPage = pageOff + SIZE_OF_XLOG_RECORD <= WAL_PAGE_SIZE_BYTES;
    if (headerOnPage) this.#validateHeader(page.subarray(pageOff, pageOff + SIZE_OF_XLOG_RECORD), lsn, prevRecPtr);

    const rec = new Uint8Array(totLen);
    let got = Math.min(totLen, WAL_PAGE_SIZE_BYTES - pageOff);
    rec.set(page.subarray(pageOff, pageOff + got), 0);
    let nextPage = pageStart + pageSize;
    let endLsn = lsn + BigInt(got);
    while (got < totLen) {
      const p = this.#page(nextPage);
      const h = decodeXLogPageHeader(new DataView(p.buffer, p.byteOffset, p.byteLength), 0);
      if (!(h.info & XLP_FIRST_IS_CONTRECORD)) {
        throw new _EndOfWal(`there is no contrecord flag at ${formatLsn(nextPage)}`);
      }
      if (h.remLen !== totLen - got) {
        throw new _EndOfWal(
          `invalid contrecord length ${h.remLen} (expected ${totLen - got}) at ${formatLsn(nextPage)}`,
        );
      }
      const hdr = this.#headerSize(nextPage);
      const n = Math.min(totLen - got, WAL_PAGE_SIZE_BYTES - hdr);
      rec.set(p.subarray(hdr, hdr + n), got);
      got += n;
      endLsn = nextPage + BigInt(hdr + n);
      nextPage += pageSize;
    }
    if (!headerOnPage) this.#validateHeader(rec.subarray(0, SIZE_OF_XLOG_RECORD), lsn, prevRecPtr);
    if (!xlogRecordCrcOk(rec)) {
      throw new _EndOfWal(`incorrect resource manager data checksum in record at ${formatLsn(lsn)}`);
    }
    // The next record starts MAXALIGNed; after a segment switch, at the next segment.
    let next = lsn + BigInt(maxAlign(Number(endLsn - lsn)));
    if (rec[17] === RM_XLOG_ID && (rec[16] & ~XLR_INFO_MASK) === XLOG_SWITCH) {
      const seg = BigInt(this.#segSize);
      next = ((endLsn + seg - 1n) / seg) * seg;
    }
    return decodeXLogRecord(rec, lsn, next);
  }

  #validateHeader(h: Uint8Array, lsn: XLogRecPtr, prevRecPtr: XLogRecPtr | undefined): void {
    const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    const rmid = h[17];
    if (rmid > RM_MAX_ID) throw new _EndOfWal(`invalid resource manager ID ${rmid} at ${formatLsn(lsn)}`);
    const prev = dv.getBigUint64(8, true);
    if (prevRecPtr !== undefined && prev !== prevRecPtr) {
      throw new _EndOfWal(`record with incorrect prev-link ${formatLsn(prev)} at ${formatLsn(lsn)}`);
    }
    if (prevRecPtr === undefined && prev >= lsn) {
      throw new _EndOfWal(`record with incorrect prev-link ${formatLsn(prev)} at ${formatLsn(lsn)}`);
    }
  }

  /** Returns the validated page starting at `pageLsn` (a view into the read-ahead buffer). */
  #page(pageLsn: XLogRecPtr): Uint8Array {
    const pageSize = BigInt(WAL_PAGE_SIZE_BYTES);
    if (
      this.#chunkStart < 0n || pageLsn < this.#chunkStart ||
      pageLsn + pageSize > this.#chunkStart + BigInt(this.#chunkLen)
    ) {
      this.#fill(pageLsn);
    }
    const off = Number(pageLsn - this.#chunkStart);
    const page = this.#chunk.subarray(off, off + WAL_PAGE_SIZE_BYTES);
    this.#validatePage(page, pageLsn);
    return page;
  }

  #fill(pageLsn: XLogRecPtr): void {
    const segNo = xlogSegNoOf(pageLsn, this.#segSize);
    if (segNo !== this.#fdSegNo) {
      this.close();
      const name = `${this.#dataDir}/${XLOGDIR}/${xlogFileName(TIMELINE_ID, segNo, this.#segSize)}`;
      this.#fd = fileOpenIfExists(name, LinuxConst.O_RDONLY);
      if (this.#fd < 0) throw new _EndOfWal(undefined);
      this.#fdSegNo = segNo;
    }
    const segOff = Number(pageLsn % BigInt(this.#segSize));
    const len = Math.min(XLOG_READ_AHEAD_BYTES, this.#segSize - segOff);
    const n = fileReadAt(this.#fd, this.#chunk.subarray(0, len), segOff, "WAL segment");
    this.#chunkStart = pageLsn;
    this.#chunkLen = n - (n % WAL_PAGE_SIZE_BYTES);
    if (this.#chunkLen === 0) throw new _EndOfWal(undefined);
  }

  #validatePage(page: Uint8Array, pageLsn: XLogRecPtr): void {
    const h = decodeXLogPageHeader(new DataView(page.buffer, page.byteOffset, page.byteLength), 0);
    const offset = Number(pageLsn % BigInt(this.#segSize));
    const firstOfSegment = offset === 0;
    const ok = h.magic === XLOG_PAGE_MAGIC && (h.info & ~XLP_ALL_FLAGS) === 0 &&
      firstOfSegment === ((h.info & XLP_LONG_HEADER) !== 0) &&
      (!firstOfSegment || ((this.#sysid === undefined || h.sysid === this.#sysid) && h.segSize === this.#segSize)) &&
      h.pageAddr === pageLsn && h.tli === TIMELINE_ID;
    if (!ok) throw new _EndOfWal(this.#pageProblem(h, pageLsn, offset));
  }

  /** PostgreSQL's message for the first check a page header fails (XLogReaderValidatePageHeader). */
  #pageProblem(h: ReturnType<typeof decodeXLogPageHeader>, pageLsn: XLogRecPtr, offset: number): string {
    const segName = xlogFileName(TIMELINE_ID, xlogSegNoOf(pageLsn, this.#segSize), this.#segSize);
    const where = `in log segment ${segName}, offset ${offset}`;
    const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
    if (h.magic !== XLOG_PAGE_MAGIC) return `invalid magic number ${hex4(h.magic)} ${where}`;
    if (h.info & ~XLP_ALL_FLAGS) return `invalid info bits ${hex4(h.info)} ${where}`;
    if ((offset === 0) !== ((h.info & XLP_LONG_HEADER) !== 0)) return `invalid info bits ${hex4(h.info)} ${where}`;
    if (offset === 0 && this.#sysid !== undefined && h.sysid !== this.#sysid) {
      return `WAL file is from different database system: WAL file database system identifier is ${h.sysid}, ` +
        `pg_control database system identifier is ${this.#sysid}`;
    }
    if (offset === 0 && h.segSize !== this.#segSize) {
      return "WAL file is from different database system: incorrect segment size in page header";
    }
    if (h.pageAddr !== pageLsn) return `unexpected pageaddr ${formatLsn(h.pageAddr)} ${where}`;
    return `unexpected timeline ID ${h.tli} ${where}`;
  }
}
