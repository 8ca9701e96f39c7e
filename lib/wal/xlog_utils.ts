/**
 * xlog_utils.ts — redo's access to pages: reading the buffer a record's
 * block reference names, restoring a full-page image, or telling that the
 * page already contains the change.
 *
 * PostgreSQL counterpart: src/backend/access/transam/xlogutils.c
 * (XLogReadBufferForRedo, XLogReadBufferForRedoExtended,
 * XLogReadBufferExtended) and RestoreBlockImage in xlogreader.c.
 *
 * NOTES
 * Runs in the startup process only, with no other process touching the
 * buffers. A page whose LSN is at or past the record's end already has the
 * change (it was written after the record): "done", and redo must not
 * apply it twice. A full-page image is applied unconditionally (it protects
 * against a torn page on disk), and the page gets the record's end as LSN.
 * A relation file missing or too short is created or extended with zero
 * pages, since a later record may drop it (PostgreSQL's behaviour).
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import {
  type Buffer,
  bufferGetPage,
  lockBuffer,
  markBufferDirty,
  P_NEW,
  readBuffer,
  releaseBuffer,
} from "../buffer/bufmgr.ts";
import { pageGetLsn, pageIsNew, pageSetLsn } from "../storage/page.ts";
import type { ForkNumber, RelFileLocator } from "../storage/relpath.ts";
import { smgrCreate, smgrNblocks } from "../storage/smgr.ts";
import type { DecodedXLogRecord } from "./xlog_record.ts";

/** What redo must do with a block (XLogRedoAction). */
export type XLogRedoAction =
  /** The page is older than the record: apply the change. */
  | "needs redo"
  /** The page already has the change. */
  | "done"
  /** A full-page image was restored: nothing else to do. */
  | "restored"
  /** The block does not exist (its relation was truncated later). */
  | "not found";

/**
 * Returns a pinned buffer for a block, creating or extending the relation
 * file with zero pages when it is shorter (XLogReadBufferExtended).
 *
 * Lock contract: on exit the buffer is pinned; with `zero` also exclusively locked.
 */
function _readBufferExtended(
  rl: RelFileLocator,
  fork: ForkNumber,
  blockNum: number,
  zero: boolean,
): Buffer | undefined {
  smgrCreate(rl, fork, true);
  const nblocks = smgrNblocks(rl, fork);
  if (blockNum < nblocks) return readBuffer(rl, fork, blockNum, zero ? "zero_and_lock" : "normal");
  if (!zero) return undefined;
  let buf: Buffer;
  for (;;) {
    buf = readBuffer(rl, fork, P_NEW);
    if (smgrNblocks(rl, fork) > blockNum) break;
    releaseBuffer(buf);
  }
  lockBuffer(buf, "exclusive");
  return buf;
}

/**
 * Prepares a record's block for redo (XLogReadBufferForRedoExtended).
 *
 * Lock contract: on exit, unless "not found", the buffer is pinned and
 * exclusively locked; release it with unlockReleaseBuffer.
 *
 * @param rec the record being replayed
 * @param blockId the block reference's id
 * @returns the action and the buffer
 */
export function xlogReadBufferForRedo(
  rec: DecodedXLogRecord,
  blockId: number,
): { action: XLogRedoAction; buffer: Buffer } {
  const block = rec.blocks.find((b) => b.id === blockId);
  assert(block !== undefined, `record has block reference ${blockId}`);
  if (block.image !== undefined && block.applyImage) {
    const buffer = _readBufferExtended(block.rlocator, block.forkNum, block.blockNum, true)!;
    const page = bufferGetPage(buffer);
    page.set(block.image);
    // An uninitialised page must stay all zeros (no LSN), as RestoreBlockImage's caller does.
    if (!pageIsNew(page)) pageSetLsn(page, rec.endLsn);
    markBufferDirty(buffer);
    return { action: "restored", buffer };
  }
  if (block.willInit) {
    const buffer = _readBufferExtended(block.rlocator, block.forkNum, block.blockNum, true)!;
    return { action: "needs redo", buffer };
  }
  const buffer = _readBufferExtended(block.rlocator, block.forkNum, block.blockNum, false);
  if (buffer === undefined) return { action: "not found", buffer: 0 };
  lockBuffer(buffer, "exclusive");
  const lsn = pageGetLsn(bufferGetPage(buffer));
  return { action: rec.endLsn <= lsn ? "done" : "needs redo", buffer };
}
