/**
 * _generic_delta.ts — the page delta format of generic WAL records: which
 * byte ranges of a page changed, and applying them again in redo.
 *
 * PostgreSQL counterpart: computeRegionDelta, computeDelta and applyPageRedo
 * in src/backend/access/transam/generic_xlog.c.
 *
 * NOTES
 * A delta is a sequence of fragments `offset u16, length u16, bytes`. For a
 * standard page only [0, pd_lower) and [pd_upper, BLCKSZ) are compared: the
 * hole between them is zeroed by both the writer and redo, so it never needs
 * logging. Changes closer than {@link MATCH_THRESHOLD} bytes share a
 * fragment (a fragment header costs as much). Pure.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { BLOCK_SIZE_BYTES } from "../common/limits.ts";
import { pageGetLower, pageGetUpper } from "../storage/page.ts";

/** Bytes of a fragment header (offset + length). */
export const FRAGMENT_HEADER_SIZE = 4;
/** Unchanged runs shorter than this do not split a fragment (MATCH_THRESHOLD). */
export const MATCH_THRESHOLD = FRAGMENT_HEADER_SIZE;
/** Largest delta of one page (MAX_DELTA_SIZE). */
export const MAX_DELTA_SIZE = BLOCK_SIZE_BYTES + 2 * FRAGMENT_HEADER_SIZE;

function _regionDelta(out: number[], cur: Uint8Array, next: Uint8Array, start: number, end: number): void {
  let i = start;
  while (i < end) {
    if (cur[i] === next[i]) {
      i++;
      continue;
    }
    const fragStart = i;
    let lastDiff = i;
    // Extend while differences are at most MATCH_THRESHOLD bytes apart.
    while (i < end && i - lastDiff <= MATCH_THRESHOLD) {
      if (cur[i] !== next[i]) lastDiff = i;
      i++;
    }
    const len = lastDiff + 1 - fragStart;
    out.push(fragStart & 0xff, fragStart >>> 8, len & 0xff, len >>> 8);
    for (let k = fragStart; k < fragStart + len; k++) out.push(next[k]);
    i = lastDiff + 1;
  }
}

/**
 * Computes the delta that turns `cur` into `next` (computeDelta).
 *
 * @param cur the page before the change
 * @param next the page after it
 * @param standard both pages have the standard layout (compare around the hole)
 * @returns the delta bytes (empty when nothing changed)
 */
export function computePageDelta(cur: Uint8Array, next: Uint8Array, standard: boolean): Uint8Array {
  const out: number[] = [];
  if (standard) {
    const lower = pageGetLower(next);
    const upper = pageGetUpper(next);
    _regionDelta(out, cur, next, 0, lower);
    _regionDelta(out, cur, next, upper, BLOCK_SIZE_BYTES);
  } else {
    _regionDelta(out, cur, next, 0, BLOCK_SIZE_BYTES);
  }
  assert(out.length <= MAX_DELTA_SIZE, "a page delta is at most MAX_DELTA_SIZE bytes");
  return Uint8Array.from(out);
}

/**
 * Applies a delta to a page (applyPageRedo).
 *
 * @param page the page to change in place
 * @param delta fragments from {@link computePageDelta}
 * @throws {RangeError} when a fragment falls outside the page
 */
export function applyPageDelta(page: Uint8Array, delta: Uint8Array): void {
  let p = 0;
  while (p < delta.length) {
    if (p + FRAGMENT_HEADER_SIZE > delta.length) throw new RangeError("Truncated generic WAL fragment header");
    const off = delta[p] | (delta[p + 1] << 8);
    const len = delta[p + 2] | (delta[p + 3] << 8);
    p += FRAGMENT_HEADER_SIZE;
    if (off + len > BLOCK_SIZE_BYTES || p + len > delta.length) {
      throw new RangeError("Generic WAL fragment out of range");
    }
    page.set(delta.subarray(p, p + len), off);
    p += len;
  }
}
