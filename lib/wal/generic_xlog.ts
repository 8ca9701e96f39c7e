/**
 * generic_xlog.ts — WAL-logging page changes of any layout as byte deltas,
 * with a real redo: the page-change record type denogres uses until a
 * subsystem brings its own resource manager.
 *
 * PostgreSQL counterpart: src/backend/access/transam/generic_xlog.c
 * (GenericXLogStart, GenericXLogRegisterBuffer, GenericXLogFinish,
 * GenericXLogAbort, generic_redo, generic_desc).
 *
 * NOTES
 * Usage: pin and exclusively lock up to {@link MAX_GENERIC_XLOG_PAGES}
 * buffers, register each (getting a private copy of its page), change the
 * copies, then finish: in one critical section the deltas are computed, the
 * copies are installed in the buffers (the pd_lower..pd_upper hole zeroed),
 * one RM_GENERIC record is inserted (with full-page images where the first
 * change since the checkpoint needs one), each page gets the record's end as
 * LSN and is marked dirty. Redo applies each delta to the page unless the
 * page is newer or was restored from its image, zeroes the hole, and sets
 * the LSN — producing the same bytes. Pages must have the standard layout
 * (pageInit) or be all zeros. Record format is PostgreSQL's (fragments of
 * offset, length, bytes per block), so pg_waldump shows `Generic`.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { BLOCK_SIZE_BYTES } from "../common/limits.ts";
import { type Buffer, bufferGetPage, bufferGetTag, markBufferDirty, unlockReleaseBuffer } from "../buffer/bufmgr.ts";
import { criticalSection } from "../storage/critical_section.ts";
import { pageGetLower, pageGetUpper, pageSetLsn, SIZE_OF_PAGE_HEADER_DATA } from "../storage/page.ts";
import { applyPageDelta, computePageDelta } from "./_generic_delta.ts";
import type { Rmgr } from "./rmgr.ts";
import { RM_GENERIC_ID } from "./rmgr_ids.ts";
import { xlogInsert } from "./xlog.ts";
import type { XLogRecPtr } from "./lsn.ts";
import { xlogReadBufferForRedo } from "./xlog_utils.ts";

/** Most pages one generic record changes (MAX_GENERIC_XLOG_PAGES). */
export const MAX_GENERIC_XLOG_PAGES = 4;
/** Register flag: log the whole page instead of a delta (GENERIC_XLOG_FULL_IMAGE). */
export const GENERIC_XLOG_FULL_IMAGE = 0x0001;

/** An open generic WAL action (GenericXLogState). */
export interface GenericXLogState {
  readonly pages: { buffer: Buffer; image: Uint8Array; flags: number }[];
}

/** @returns a new, empty generic WAL action (GenericXLogStart) */
export function genericXLogStart(): GenericXLogState {
  return { pages: [] };
}

/**
 * Registers a buffer and returns a private copy of its page to change
 * (GenericXLogRegisterBuffer). Registering the same buffer again returns
 * the same copy.
 *
 * Lock contract: the caller holds a pin and the exclusive content lock until
 * finish or abort.
 *
 * @param state the action
 * @param buffer the buffer
 * @param flags 0 or GENERIC_XLOG_FULL_IMAGE
 * @returns the page copy to modify
 */
export function genericXLogRegisterBuffer(state: GenericXLogState, buffer: Buffer, flags = 0): Uint8Array {
  const existing = state.pages.find((p) => p.buffer === buffer);
  if (existing) return existing.image;
  assert(state.pages.length < MAX_GENERIC_XLOG_PAGES, "at most MAX_GENERIC_XLOG_PAGES pages per generic record");
  const image = bufferGetPage(buffer).slice();
  state.pages.push({ buffer, image, flags });
  return image;
}

function _installImage(page: Uint8Array, image: Uint8Array): void {
  const lower = pageGetLower(image);
  const upper = pageGetUpper(image);
  page.set(image);
  if (lower >= SIZE_OF_PAGE_HEADER_DATA && lower < upper && upper <= BLOCK_SIZE_BYTES) page.fill(0, lower, upper);
}

/**
 * Applies the changes and WAL-logs them as one record (GenericXLogFinish).
 *
 * Lock contract: the registered buffers stay pinned and locked; the caller
 * releases them afterwards.
 *
 * @param state the action
 * @returns the record's end (the pages' new LSN)
 */
export function genericXLogFinish(state: GenericXLogState): XLogRecPtr {
  return criticalSection(() => {
    const blocks = state.pages.map((p) => {
      const page = bufferGetPage(p.buffer);
      const full = (p.flags & GENERIC_XLOG_FULL_IMAGE) !== 0;
      const delta = full ? undefined : computePageDelta(page, p.image, true);
      _installImage(page, p.image);
      markBufferDirty(p.buffer);
      const tag = bufferGetTag(p.buffer);
      return {
        rlocator: tag.rl,
        forkNum: tag.fork,
        blockNum: tag.blockNum,
        page,
        standard: true,
        forceImage: full,
        data: delta !== undefined && delta.length > 0 ? delta : undefined,
      };
    });
    const lsn = xlogInsert(RM_GENERIC_ID, 0, { blocks });
    for (const p of state.pages) pageSetLsn(bufferGetPage(p.buffer), lsn);
    return lsn;
  });
}

/** The generic WAL resource manager (generic_redo, generic_desc, generic_identify). */
export const GENERIC_RMGR: Rmgr = {
  id: RM_GENERIC_ID,
  name: "Generic",
  redo(rec) {
    const buffers: Buffer[] = [];
    try {
      for (const block of rec.blocks) {
        const { action, buffer } = xlogReadBufferForRedo(rec, block.id);
        if (buffer !== 0) buffers.push(buffer);
        if (action !== "needs redo") continue;
        const page = bufferGetPage(buffer);
        if (block.data !== undefined) applyPageDelta(page, block.data);
        const lower = pageGetLower(page);
        const upper = pageGetUpper(page);
        if (lower >= SIZE_OF_PAGE_HEADER_DATA && lower < upper && upper <= BLOCK_SIZE_BYTES) page.fill(0, lower, upper);
        pageSetLsn(page, rec.endLsn);
        markBufferDirty(buffer);
      }
    } finally {
      for (const b of buffers) unlockReleaseBuffer(b);
    }
  },
  desc(rec) {
    return rec.blocks.map((b) => `blk ${b.blockNum}: ${b.data?.length ?? 0} delta bytes${b.image ? " FPW" : ""}`)
      .join("; ");
  },
  identify() {
    return "Generic";
  },
};
