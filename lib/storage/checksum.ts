/**
 * checksum.ts — the data page checksum.
 *
 * PostgreSQL counterpart: src/include/storage/checksum_impl.h
 * (pg_checksum_page, pg_checksum_block) and storage/checksum.h.
 *
 * NOTES
 * PostgreSQL's algorithm, bit for bit, so `pg_checksums` verifies our files:
 * the page is read as 32 columns of little-endian 32-bit words, each column
 * folded with an FNV-1a-like step (`tmp = sum ^ v; sum = tmp * FNV_PRIME ^
 * (tmp >>> 17)`) from its own base offset, two extra rounds of zeros, the
 * columns XORed together, the block number XORed in, and the result reduced
 * to 16 bits (modulo 65535) plus one (never zero). The pd_checksum field is treated as zero
 * without writing to the page, so a page in shared memory is never modified
 * by computing its checksum. Pure.
 *
 * @module
 */

import { BLOCK_SIZE_BYTES } from "../common/limits.ts";

const _N_SUMS = 32;
const _FNV_PRIME = 16777619;
const _BASE_OFFSETS = Uint32Array.of(
  0x5b1f36e9,
  0xb8525960,
  0x02ab50aa,
  0x1de66d2a,
  0x79ff467a,
  0x9bb9f8a3,
  0x217e7cd2,
  0x83e13d2c,
  0xf8d4474f,
  0xe39eb970,
  0x42c6ae16,
  0x993216fa,
  0x7b093b5d,
  0x98daff3c,
  0xf718902a,
  0x0b1c9cdb,
  0xe58f764b,
  0x187636bc,
  0x5d7b3bb1,
  0xe73de7de,
  0x92bec979,
  0xcca6c0b2,
  0x304a0979,
  0x85aa43d4,
  0x783125bb,
  0x6ca8eaa2,
  0xe407eac6,
  0x4b5cfc3e,
  0x9fbf8c76,
  0x15ca20be,
  0xf2ca9fd3,
  0x959bd756,
);
// Word 2 of the page holds pd_checksum (low half) and pd_flags (high half).
const _CHECKSUM_WORD = 2;
const _sums = new Uint32Array(_N_SUMS);

function _words(page: Uint8Array): Uint32Array {
  if (page.byteOffset % 4 === 0) return new Uint32Array(page.buffer, page.byteOffset, BLOCK_SIZE_BYTES / 4);
  return new Uint32Array(page.slice(0, BLOCK_SIZE_BYTES).buffer);
}

/**
 * Computes a page's checksum (pg_checksum_page). The page must not be new
 * (all zeros); PostgreSQL never checksums those.
 *
 * @param page one block, `BLOCK_SIZE_BYTES` long
 * @param blockNumber the block's number in its relation fork
 * @returns the 16-bit checksum, 1..65535
 * @example
 * ```ts
 * setPageChecksum(page, pgChecksumPage(page, 7));
 * ```
 */
export function pgChecksumPage(page: Uint8Array, blockNumber: number): number {
  const w = _words(page);
  const sums = _sums;
  sums.set(_BASE_OFFSETS);
  const rows = BLOCK_SIZE_BYTES / (4 * _N_SUMS);
  for (let i = 0; i < rows; i++) {
    const base = i * _N_SUMS;
    for (let j = 0; j < _N_SUMS; j++) {
      const v = base + j === _CHECKSUM_WORD ? w[_CHECKSUM_WORD] & 0xffff0000 : w[base + j];
      const tmp = (sums[j] ^ v) >>> 0;
      sums[j] = Math.imul(tmp, _FNV_PRIME) ^ (tmp >>> 17);
    }
  }
  let result = 0;
  for (let j = 0; j < _N_SUMS; j++) {
    for (let r = 0; r < 2; r++) {
      const tmp = sums[j] >>> 0;
      sums[j] = Math.imul(tmp, _FNV_PRIME) ^ (tmp >>> 17);
    }
    result ^= sums[j];
  }
  return (((result ^ blockNumber) >>> 0) % 65535) + 1;
}
