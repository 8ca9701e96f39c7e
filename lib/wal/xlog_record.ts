/**
 * xlog_record.ts — the WAL record format: assembling a record from its
 * parts, and decoding one back.
 *
 * PostgreSQL counterpart: src/include/access/xlogrecord.h (XLogRecord,
 * XLogRecordBlockHeader, XLogRecordBlockImageHeader), XLogRecordAssemble in
 * src/backend/access/transam/xloginsert.c, DecodeXLogRecord and
 * RestoreBlockImage in xlogreader.c.
 *
 * NOTES
 * Byte layout is PostgreSQL 15's, so `pg_waldump` decodes our records:
 * a 24-byte header (xl_tot_len, xl_xid, xl_prev, xl_info, xl_rmid, 2 bytes
 * of padding, xl_crc), then one header per block reference (with a
 * full-page-image header and the relation when present), then the main-data
 * header, then each block's image and data, then the main data.
 *
 * The CRC-32C covers everything after the header first and the header up to
 * xl_crc last. xl_prev is only known once space is reserved, so assembly
 * returns the running CRC of the body and insertion finishes it
 * ({@link finishXLogRecordCrc}). A full-page image of a standard page leaves
 * out the "hole" between pd_lower and pd_upper, which is all zeros.
 * Decoding reports malformed records with PostgreSQL's messages as an
 * {@link XLogDecodeError}; the reader treats that as the end of valid WAL.
 * Pure.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { BLOCK_SIZE_BYTES } from "../common/limits.ts";
import { pageGetLower, pageGetLsn, pageGetUpper, SIZE_OF_PAGE_HEADER_DATA } from "../storage/page.ts";
import { type ForkNumber, MAX_FORKNUM, type RelFileLocator, relFileLocatorEquals } from "../storage/relpath.ts";
import { CRC32C_INIT, crc32cFinal, crc32cUpdate } from "./crc32c.ts";
import { formatLsn, type XLogRecPtr } from "./lsn.ts";

/** Size of the fixed record header (SizeOfXLogRecord). */
export const SIZE_OF_XLOG_RECORD = 24;
/** Offset of xl_crc in the header: the CRC covers the header up to here. */
export const XLOG_RECORD_CRC_OFFSET = 20;
/** xl_info bits reserved for the WAL machinery (XLR_INFO_MASK). */
export const XLR_INFO_MASK = 0x0f;
/** Highest block reference id (XLR_MAX_BLOCK_ID). */
export const XLR_MAX_BLOCK_ID = 32;
/** Block id byte that introduces main data shorter than 256 bytes. */
export const XLR_BLOCK_ID_DATA_SHORT = 255;
/** Block id byte that introduces longer main data. */
export const XLR_BLOCK_ID_DATA_LONG = 254;
/** Largest record denogres writes or reads, in bytes (memory per reader: one buffer this size at most). */
export const XLOG_RECORD_MAX_BYTES = 64 * 1024 * 1024;

const BKPBLOCK_FORK_MASK = 0x0f;
const BKPBLOCK_HAS_IMAGE = 0x10;
const BKPBLOCK_HAS_DATA = 0x20;
const BKPBLOCK_WILL_INIT = 0x40;
const BKPBLOCK_SAME_REL = 0x80;
const BKPIMAGE_HAS_HOLE = 0x01;
const BKPIMAGE_APPLY = 0x02;
const BKPIMAGE_COMPRESSED_ANY = 0x04 | 0x08 | 0x10;

/** A block referenced by a record being assembled (XLogRegisterBuffer's information). */
export interface XLogBlockRefInput {
  rlocator: RelFileLocator;
  forkNum: ForkNumber;
  blockNum: number;
  /**
   * The page as it is now (the buffer's contents, under an exclusive content
   * lock): its LSN decides whether a full-page image is needed, and it is the
   * image when one is.
   */
  page: Uint8Array;
  /** The page has the standard layout, so the pd_lower..pd_upper hole may be left out (REGBUF_STANDARD). */
  standard?: boolean;
  /** Always include a full-page image (REGBUF_FORCE_IMAGE). */
  forceImage?: boolean;
  /** Never include a full-page image (REGBUF_NO_IMAGE). */
  noImage?: boolean;
  /** Redo re-initialises the page from scratch (REGBUF_WILL_INIT; implies no image). */
  willInit?: boolean;
  /** Resource-manager data for this block (XLogRegisterBufData), at most 65535 bytes. */
  data?: Uint8Array;
}

/** What a record is made of, before it gets a place in the WAL. */
export interface XLogRecordInput {
  rmid: number;
  /** Resource-manager bits of xl_info (the high four). */
  info: number;
  /** Transaction id, 0 for none. */
  xid: number;
  blocks?: readonly XLogBlockRefInput[];
  mainData?: Uint8Array;
}

/** An assembled record: the bytes, with xl_prev and xl_crc still to fill. */
export interface AssembledXLogRecord {
  bytes: Uint8Array<ArrayBuffer>;
  /** Running CRC over everything after the header. */
  bodyCrc: number;
  /** Full-page images included. */
  fpiCount: number;
  /**
   * The lowest page LSN among blocks left without an image because their LSN
   * was past the redo point (fpw_lsn), or 0: if the redo point has moved to
   * or past it by insertion time, the record must be assembled again.
   */
  fpwLsn: XLogRecPtr;
}

/** A block reference of a decoded record (DecodedBkpBlock). */
export interface DecodedBlockRef {
  id: number;
  rlocator: RelFileLocator;
  forkNum: ForkNumber;
  blockNum: number;
  /** The restored full page (hole filled with zeros), when the record carries one. */
  image?: Uint8Array;
  /** Whether redo should restore {@link image} (BKPIMAGE_APPLY). */
  applyImage: boolean;
  willInit: boolean;
  data?: Uint8Array;
}

/** A decoded record. */
export interface DecodedXLogRecord {
  /** Where the record starts. */
  lsn: XLogRecPtr;
  /** Where the next record starts (end of this one, MAXALIGNed by the reader). */
  endLsn: XLogRecPtr;
  totLen: number;
  xid: number;
  prev: XLogRecPtr;
  info: number;
  rmid: number;
  blocks: DecodedBlockRef[];
  mainData: Uint8Array;
}

/** A malformed record; the message is PostgreSQL's. */
export class XLogDecodeError extends Error {
  /** @param message PostgreSQL's wording, naming the LSN */
  constructor(message: string) {
    super(message);
    this.name = "XLogDecodeError";
  }
}

function _hole(b: XLogBlockRefInput): { offset: number; length: number } {
  if (!b.standard) return { offset: 0, length: 0 };
  const lower = pageGetLower(b.page);
  const upper = pageGetUpper(b.page);
  if (lower >= SIZE_OF_PAGE_HEADER_DATA && lower < upper && upper <= BLOCK_SIZE_BYTES) {
    return { offset: lower, length: upper - lower };
  }
  return { offset: 0, length: 0 };
}

/**
 * Assembles a record (XLogRecordAssemble): header with xl_prev = 0 and no
 * CRC yet, block headers, main-data header, block images and data, main data.
 * A block gets a full-page image when forced, or when full-page writes are
 * on and its page LSN is at or before the redo point (its first change since
 * the checkpoint began).
 *
 * @param rec the record's parts
 * @param redoRecPtr the current checkpoint's redo point
 * @param doPageWrites whether full-page writes are on (full_page_writes, or forced by a backup)
 * @returns the bytes, the body's running CRC, the FPI count and fpw_lsn
 * @example
 * ```ts
 * const a = assembleXLogRecord({ rmid: 1, info: 0, xid: 5, mainData }, redo, true);
 * finishXLogRecordCrc(a, prevLsn);
 * ```
 */
export function assembleXLogRecord(
  rec: XLogRecordInput,
  redoRecPtr: XLogRecPtr = 0n,
  doPageWrites = false,
): AssembledXLogRecord {
  const blocks = rec.blocks ?? [];
  const main = rec.mainData ?? new Uint8Array(0);
  assert(blocks.length <= XLR_MAX_BLOCK_ID + 1, "at most XLR_MAX_BLOCK_ID + 1 block references");
  assert((rec.info & XLR_INFO_MASK) === 0, "rmgr info uses only the high four bits");
  let fpwLsn = 0n;
  const images = blocks.map((b) => {
    if (b.forceImage) return true;
    if (b.noImage || b.willInit || !doPageWrites) return false;
    const pageLsn = pageGetLsn(b.page);
    if (pageLsn <= redoRecPtr) return true;
    if (fpwLsn === 0n || pageLsn < fpwLsn) fpwLsn = pageLsn;
    return false;
  });
  const holes = blocks.map(_hole);
  let len = SIZE_OF_XLOG_RECORD;
  blocks.forEach((b, i) => {
    const sameRel = i > 0 && relFileLocatorEquals(b.rlocator, blocks[i - 1].rlocator);
    len += 4 + (images[i] ? 5 : 0) + (sameRel ? 0 : 12) + 4;
    len += (images[i] ? BLOCK_SIZE_BYTES - holes[i].length : 0) + (b.data?.length ?? 0);
    assert((b.data?.length ?? 0) <= 0xffff, "block data fits in 16 bits");
  });
  if (main.length > 0) len += (main.length < 256 ? 2 : 5) + main.length;
  assert(len <= XLOG_RECORD_MAX_BYTES, "record is within XLOG_RECORD_MAX_BYTES");

  const bytes = new Uint8Array(len);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, len, true);
  dv.setUint32(4, rec.xid, true);
  bytes[16] = rec.info;
  bytes[17] = rec.rmid;
  let off = SIZE_OF_XLOG_RECORD;
  blocks.forEach((b, i) => {
    const sameRel = i > 0 && relFileLocatorEquals(b.rlocator, blocks[i - 1].rlocator);
    const dataLen = b.data?.length ?? 0;
    bytes[off] = i;
    bytes[off + 1] = b.forkNum | (images[i] ? BKPBLOCK_HAS_IMAGE : 0) | (dataLen > 0 ? BKPBLOCK_HAS_DATA : 0) |
      (b.willInit ? BKPBLOCK_WILL_INIT : 0) | (sameRel ? BKPBLOCK_SAME_REL : 0);
    dv.setUint16(off + 2, dataLen, true);
    off += 4;
    if (images[i]) {
      const h = holes[i];
      dv.setUint16(off, BLOCK_SIZE_BYTES - h.length, true);
      dv.setUint16(off + 2, h.offset, true);
      bytes[off + 4] = BKPIMAGE_APPLY | (h.length > 0 ? BKPIMAGE_HAS_HOLE : 0);
      off += 5;
    }
    if (!sameRel) {
      dv.setUint32(off, b.rlocator.spcOid, true);
      dv.setUint32(off + 4, b.rlocator.dbOid, true);
      dv.setUint32(off + 8, b.rlocator.relNumber, true);
      off += 12;
    }
    dv.setUint32(off, b.blockNum, true);
    off += 4;
  });
  if (main.length > 0) {
    if (main.length < 256) {
      bytes[off] = XLR_BLOCK_ID_DATA_SHORT;
      bytes[off + 1] = main.length;
      off += 2;
    } else {
      bytes[off] = XLR_BLOCK_ID_DATA_LONG;
      dv.setUint32(off + 1, main.length, true);
      off += 5;
    }
  }
  blocks.forEach((b, i) => {
    if (images[i]) {
      const h = holes[i];
      bytes.set(b.page.subarray(0, h.offset > 0 ? h.offset : BLOCK_SIZE_BYTES), off);
      off += h.offset > 0 ? h.offset : BLOCK_SIZE_BYTES;
      if (h.length > 0) {
        bytes.set(b.page.subarray(h.offset + h.length, BLOCK_SIZE_BYTES), off);
        off += BLOCK_SIZE_BYTES - h.offset - h.length;
      }
    }
    if (b.data) {
      bytes.set(b.data, off);
      off += b.data.length;
    }
  });
  bytes.set(main, off);
  off += main.length;
  assert(off === len, "assembled record length matches its header");
  return {
    bytes,
    bodyCrc: crc32cUpdate(CRC32C_INIT, bytes, SIZE_OF_XLOG_RECORD, len),
    fpiCount: images.filter((x) => x).length,
    fpwLsn,
  };
}

/**
 * Fills in xl_prev and the final CRC once the record's place is known.
 *
 * @param rec the assembled record
 * @param prev the LSN of the previous record
 */
export function finishXLogRecordCrc(rec: AssembledXLogRecord, prev: XLogRecPtr): void {
  const dv = new DataView(rec.bytes.buffer, rec.bytes.byteOffset, rec.bytes.byteLength);
  dv.setBigUint64(8, prev, true);
  dv.setUint32(
    XLOG_RECORD_CRC_OFFSET,
    crc32cFinal(crc32cUpdate(rec.bodyCrc, rec.bytes, 0, XLOG_RECORD_CRC_OFFSET)),
    true,
  );
}

/**
 * Verifies a complete record's CRC (ValidXLogRecord).
 *
 * @param bytes the record, exactly xl_tot_len bytes
 * @returns whether the stored CRC matches
 */
export function xlogRecordCrcOk(bytes: Uint8Array): boolean {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let crc = crc32cUpdate(CRC32C_INIT, bytes, SIZE_OF_XLOG_RECORD, bytes.length);
  crc = crc32cFinal(crc32cUpdate(crc, bytes, 0, XLOG_RECORD_CRC_OFFSET));
  return crc === dv.getUint32(XLOG_RECORD_CRC_OFFSET, true);
}

/**
 * Decodes a complete, CRC-verified record (DecodeXLogRecord), restoring
 * full-page images to whole pages.
 *
 * @param bytes the record, exactly xl_tot_len bytes
 * @param lsn where it starts
 * @param endLsn where the next record starts
 * @returns the decoded record
 * @throws {XLogDecodeError} with PostgreSQL's message for a malformed record
 */
export function decodeXLogRecord(bytes: Uint8Array, lsn: XLogRecPtr, endLsn: XLogRecPtr): DecodedXLogRecord {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const totLen = dv.getUint32(0, true);
  const fail = (msg: string): never => {
    throw new XLogDecodeError(msg);
  };
  const at = { toString: () => formatLsn(lsn) };
  if (totLen !== bytes.length) fail(`invalid record length at ${at}`);
  let off = SIZE_OF_XLOG_RECORD;
  const need = (n: number) => {
    if (off + n > totLen) fail(`record with invalid length at ${at}`);
  };
  const raw: { ref: DecodedBlockRef; dataLen: number; imageLen: number; holeOffset: number; holeLen: number }[] = [];
  let mainLen = 0;
  let prevRel: RelFileLocator | undefined;
  // Headers end where the remaining bytes are exactly the data they announced.
  let dataTotal = 0;
  while (totLen - off > dataTotal) {
    need(1);
    const id = bytes[off];
    if (id === XLR_BLOCK_ID_DATA_SHORT) {
      need(2);
      mainLen = bytes[off + 1];
      off += 2;
      dataTotal += mainLen;
      break;
    }
    if (id === XLR_BLOCK_ID_DATA_LONG) {
      need(5);
      mainLen = dv.getUint32(off + 1, true);
      off += 5;
      dataTotal += mainLen;
      break;
    }
    if (id > XLR_MAX_BLOCK_ID) fail(`invalid block_id ${id} at ${at}`);
    if (raw.length > 0 && id <= raw[raw.length - 1].ref.id) fail(`out-of-sequence block_id ${id} at ${at}`);
    need(4);
    const forkFlags = bytes[off + 1];
    const dataLen = dv.getUint16(off + 2, true);
    off += 4;
    const hasData = (forkFlags & BKPBLOCK_HAS_DATA) !== 0;
    if (hasData && dataLen === 0) fail(`BKPBLOCK_HAS_DATA set, but no data included at ${at}`);
    if (!hasData && dataLen !== 0) fail(`BKPBLOCK_HAS_DATA not set, but data length is ${dataLen} at ${at}`);
    let imageLen = 0;
    let holeOffset = 0;
    let holeLen = 0;
    let applyImage = false;
    if (forkFlags & BKPBLOCK_HAS_IMAGE) {
      need(5);
      imageLen = dv.getUint16(off, true);
      holeOffset = dv.getUint16(off + 2, true);
      const bimg = bytes[off + 4];
      off += 5;
      applyImage = (bimg & BKPIMAGE_APPLY) !== 0;
      if (bimg & BKPIMAGE_COMPRESSED_ANY) fail(`could not restore image at ${at} compressed with unknown method`);
      holeLen = bimg & BKPIMAGE_HAS_HOLE ? BLOCK_SIZE_BYTES - imageLen : 0;
      if ((bimg & BKPIMAGE_HAS_HOLE) && (holeOffset === 0 || holeLen === 0 || imageLen === BLOCK_SIZE_BYTES)) {
        fail(
          `BKPIMAGE_HAS_HOLE set, but hole offset ${holeOffset} length ${holeLen} block image length ${imageLen} at ${at}`,
        );
      }
      if (!(bimg & BKPIMAGE_HAS_HOLE) && (holeOffset !== 0 || imageLen !== BLOCK_SIZE_BYTES)) {
        fail(`BKPIMAGE_HAS_HOLE not set, but hole offset ${holeOffset} length ${holeLen} at ${at}`);
      }
    }
    let rlocator: RelFileLocator;
    if (forkFlags & BKPBLOCK_SAME_REL) {
      if (prevRel === undefined) fail(`BKPBLOCK_SAME_REL set but no previous rel at ${at}`);
      rlocator = prevRel!;
    } else {
      need(12);
      rlocator = {
        spcOid: dv.getUint32(off, true),
        dbOid: dv.getUint32(off + 4, true),
        relNumber: dv.getUint32(off + 8, true),
      };
      off += 12;
    }
    prevRel = rlocator;
    need(4);
    const blockNum = dv.getUint32(off, true);
    off += 4;
    dataTotal += dataLen + imageLen;
    const forkNum = forkFlags & BKPBLOCK_FORK_MASK;
    if (forkNum > MAX_FORKNUM) fail(`invalid fork number ${forkNum} at ${at}`);
    raw.push({
      ref: {
        id,
        rlocator,
        forkNum: forkNum as ForkNumber,
        blockNum,
        applyImage,
        willInit: (forkFlags & BKPBLOCK_WILL_INIT) !== 0,
      },
      dataLen,
      imageLen,
      holeOffset,
      holeLen,
    });
  }
  for (const r of raw) {
    if (r.imageLen > 0) {
      need(r.imageLen);
      const page = new Uint8Array(BLOCK_SIZE_BYTES);
      page.set(bytes.subarray(off, off + r.holeOffset), 0);
      page.set(bytes.subarray(off + r.holeOffset, off + r.imageLen), r.holeOffset + r.holeLen);
      r.ref.image = page;
      off += r.imageLen;
    }
    if (r.dataLen > 0) {
      need(r.dataLen);
      r.ref.data = bytes.subarray(off, off + r.dataLen);
      off += r.dataLen;
    }
  }
  need(mainLen);
  const mainData = bytes.subarray(off, off + mainLen);
  off += mainLen;
  if (off !== totLen) fail(`record with invalid length at ${at}`);
  return {
    lsn,
    endLsn,
    totLen,
    xid: dv.getUint32(4, true),
    prev: dv.getBigUint64(8, true),
    info: bytes[16],
    rmid: bytes[17],
    blocks: raw.map((r) => r.ref),
    mainData,
  };
}
