/**
 * xact_record.ts — the WAL records of transaction commit and abort.
 *
 * PostgreSQL counterpart: src/include/access/xact.h (xl_xact_commit,
 * xl_xact_abort, XLOG_XACT_*) and xactdesc.c.
 *
 * NOTES
 * Byte layout is PostgreSQL 15's minimal form: main data is the 8-byte
 * commit or abort time (TimestampTz: microseconds since 2000-01-01 UTC);
 * the transaction id is the record header's xl_xid. No XLOG_XACT_HAS_INFO
 * extras (denogres has no subtransactions, invalidations or relation drops
 * in these records yet). `pg_waldump` shows them as `COMMIT <time>`. Pure.
 *
 * @module
 */

/** Commit record (XLOG_XACT_COMMIT). */
export const XLOG_XACT_COMMIT = 0x00;
/** Abort record (XLOG_XACT_ABORT). */
export const XLOG_XACT_ABORT = 0x20;
/** Mask of the operation bits of xl_info (XLOG_XACT_OPMASK). */
export const XLOG_XACT_OPMASK = 0x70;
/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
export const POSTGRES_EPOCH_OFFSET_US = 946684800_000000n;

/**
 * @param ms epoch milliseconds
 * @returns a TimestampTz (µs since 2000-01-01 UTC)
 */
export function timestampTzFromMs(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) - POSTGRES_EPOCH_OFFSET_US;
}

/**
 * @param ts a TimestampTz
 * @returns its text as PostgreSQL's timestamptz_to_str in UTC: `2026-11-25 12:11:47.308503 UTC`
 */
export function formatTimestampTz(ts: bigint): string {
  const us = ts + POSTGRES_EPOCH_OFFSET_US;
  const d = new Date(Number(us / 1000n));
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const frac = Number(((us % 1000000n) + 1000000n) % 1000000n);
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:` +
    `${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(frac, 6)} UTC`;
}

/**
 * @param xactTime the commit or abort time
 * @returns the main data of a commit or abort record
 */
export function encodeXactRecord(xactTime: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, xactTime, true);
  return b;
}

/**
 * @param mainData a commit or abort record's main data
 * @returns its time
 * @throws {RangeError} when the data is too short
 */
export function decodeXactRecord(mainData: Uint8Array): { xactTime: bigint } {
  if (mainData.length < 8) throw new RangeError("Transaction record main data is shorter than 8 bytes");
  return { xactTime: new DataView(mainData.buffer, mainData.byteOffset, 8).getBigInt64(0, true) };
}
