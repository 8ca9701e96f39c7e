/**
 * crc32c.ts — CRC-32C (Castagnoli), the checksum of WAL records and pg_control.
 *
 * PostgreSQL counterpart: src/include/port/pg_crc32c.h and
 * src/port/pg_crc32c_sb8.c (the slicing-by-8 software implementation).
 *
 * NOTES
 * Reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final XOR
 * 0xFFFFFFFF, exactly as PostgreSQL's INIT_CRC32C / COMP_CRC32C /
 * FIN_CRC32C, so files written here verify with PostgreSQL's own tools. A
 * running CRC is kept un-finalised between {@link crc32cUpdate} calls, which
 * lets a WAL record's CRC cover its body first and its header last, as
 * XLogInsertRecord does. Pure computation: no I/O, no shared state.
 *
 * @module
 */

/** Initial value of a running CRC (INIT_CRC32C). */
export const CRC32C_INIT = 0xffffffff;

// Eight 256-entry tables for slicing-by-8: 8 KiB of memory per process.
const _TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  for (let k = 0; k < 8; k++) t.push(new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k][n] = (t[k - 1][n] >>> 8) ^ t[0][t[k - 1][n] & 0xff];
  }
  return t;
})();

/**
 * Folds bytes into a running (not yet finalised) CRC (COMP_CRC32C).
 *
 * @param crc the running CRC, {@link CRC32C_INIT} to start
 * @param data the bytes
 * @param start first byte to include (default 0)
 * @param end one past the last byte (default `data.length`)
 * @returns the new running CRC
 * @example
 * ```ts
 * const crc = crc32cFinal(crc32cUpdate(CRC32C_INIT, bytes));
 * ```
 */
export function crc32cUpdate(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = _TABLES;
  let c = crc >>> 0;
  let i = start;
  // Byte-wise until 8 bytes remain in whole groups, then 8 at a time.
  for (; i + 8 <= end; i += 8) {
    const a = (c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[data[i + 4]] ^ t2[data[i + 5]] ^ t1[data[i + 6]] ^ t0[data[i + 7]];
  }
  for (; i < end; i++) c = t0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

/**
 * Finalises a running CRC (FIN_CRC32C).
 *
 * @param crc the running CRC
 * @returns the CRC-32C value as stored on disk (unsigned 32-bit)
 */
export function crc32cFinal(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32C of a byte range in one call.
 *
 * @param data the bytes
 * @param start first byte (default 0)
 * @param end one past the last byte (default `data.length`)
 * @returns the finalised CRC
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode("123456789")); // 0xe3069283
 * ```
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  return crc32cFinal(crc32cUpdate(CRC32C_INIT, data, start, end));
}
