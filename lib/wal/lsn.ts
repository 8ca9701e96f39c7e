/**
 * lsn.ts — WAL locations (LSNs), timelines and WAL segment file names.
 *
 * PostgreSQL counterpart: src/include/access/xlogdefs.h (XLogRecPtr,
 * LSN_FORMAT_ARGS) and src/include/access/xlog_internal.h (XLogFileName,
 * XLByteToSeg, XLogSegmentOffset).
 *
 * NOTES
 * An LSN is a 64-bit unsigned byte position in the WAL stream, kept as a
 * `bigint` everywhere (in memory, in shared memory as a 64-bit word, on disk
 * little-endian), so no WAL position ever loses precision. Arithmetic inside
 * one segment or page uses plain numbers (offsets below 2^30). Text form is
 * PostgreSQL's `%X/%X` (high and low 32 bits in upper-case hex). Pure.
 *
 * @module
 */

/** A WAL location: a 64-bit byte position in the WAL stream. */
export type XLogRecPtr = bigint;
/** The invalid LSN (InvalidXLogRecPtr). */
export const INVALID_XLOG_REC_PTR: XLogRecPtr = 0n;
/** A WAL segment number (XLogSegNo). */
export type XLogSegNo = bigint;
/** A timeline id; denogres has only timeline 1 (no archive recovery or promotion). */
export type TimeLineId = number;
/** The one timeline denogres writes. */
export const TIMELINE_ID = 1;

const _MASK32 = 0xffffffffn;

/**
 * Formats an LSN as PostgreSQL does in messages: `0/16B3748`.
 *
 * @param lsn the location
 * @returns `%X/%X`
 * @example
 * ```ts
 * formatLsn(0x1000028n); // "0/1000028"
 * ```
 */
export function formatLsn(lsn: XLogRecPtr): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & _MASK32).toString(16).toUpperCase()}`;
}

/**
 * Parses `%X/%X` text back to an LSN (pg_lsn input).
 *
 * @param text e.g. `0/16B3748`
 * @returns the LSN
 * @throws {RangeError} on malformed text
 */
export function parseLsn(text: string): XLogRecPtr {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) throw new RangeError(`Invalid LSN "${text}"`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/**
 * @param lsn a location
 * @param segSizeBytes the WAL segment size
 * @returns the segment holding the byte at `lsn` (XLByteToSeg)
 */
export function xlogSegNoOf(lsn: XLogRecPtr, segSizeBytes: number): XLogSegNo {
  return lsn / BigInt(segSizeBytes);
}

/**
 * @param lsn a location
 * @param segSizeBytes the WAL segment size
 * @returns the byte offset of `lsn` inside its segment (XLogSegmentOffset)
 */
export function xlogSegmentOffset(lsn: XLogRecPtr, segSizeBytes: number): number {
  return Number(lsn % BigInt(segSizeBytes));
}

/**
 * The file name of a WAL segment (XLogFileName): 24 upper-case hex digits,
 * timeline, then the segment number split at 2^32 bytes of WAL.
 *
 * @param tli the timeline
 * @param segNo the segment number
 * @param segSizeBytes the WAL segment size
 * @returns e.g. `000000010000000000000001`
 */
export function xlogFileName(tli: TimeLineId, segNo: XLogSegNo, segSizeBytes: number): string {
  const perId = 0x100000000n / BigInt(segSizeBytes);
  const hex = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, "0");
  return `${hex(tli)}${hex(segNo / perId)}${hex(segNo % perId)}`;
}

/**
 * Parses a WAL segment file name (XLogFromFileName).
 *
 * @param name a file name in pg_wal
 * @param segSizeBytes the WAL segment size
 * @returns timeline and segment number, or undefined if `name` is not a segment file name
 */
export function parseXlogFileName(
  name: string,
  segSizeBytes: number,
): { tli: TimeLineId; segNo: XLogSegNo } | undefined {
  if (!/^[0-9A-F]{24}$/.test(name)) return undefined;
  const perId = 0x100000000n / BigInt(segSizeBytes);
  const log = BigInt(`0x${name.slice(8, 16)}`);
  const seg = BigInt(`0x${name.slice(16, 24)}`);
  if (seg >= perId) return undefined;
  return { tli: parseInt(name.slice(0, 8), 16), segNo: log * perId + seg };
}
