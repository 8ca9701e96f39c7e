/**
 * sync.ts — deferred fsync of relation files: writes register the file, the
 * next checkpoint fsyncs every registered file.
 *
 * PostgreSQL counterpart: src/backend/storage/sync/sync.c (RegisterSyncRequest,
 * RememberSyncRequest, ProcessSyncRequests) and ForwardSyncRequest in
 * postmaster/checkpointer.c.
 *
 * NOTES
 * Two modes per process. A process that runs checkpoints itself (the
 * checkpointer; the startup process for its end-of-recovery checkpoint; a
 * single-process test) keeps a local table of pending files. Every other
 * process forwards each request to the checkpointer through the forwarder
 * the checkpointer module installs ({@link setSyncRequestForwarder}); when
 * that queue is full the writer fsyncs the file itself, as PostgreSQL's
 * backends do (counted as `buffers_backend_fsync`).
 *
 * Crash-safety invariant: a request is registered right after the write and
 * before the buffer manager clears the buffer's dirty flag, so when a
 * checkpoint has written or waited for every buffer dirty at its start, every
 * file those writes touched is in the checkpointer's queue or table. The sync
 * phase fsyncs a snapshot of the table; requests arriving meanwhile wait for
 * the next checkpoint (they belong to writes after its redo point).
 *
 * @module
 */

import type { ForkNumber, RelFileLocator } from "./relpath.ts";
import { smgrSyncSegment } from "./smgr.ts";

/** One segment file that needs an fsync (FileTag). */
export interface FileTag {
  rl: RelFileLocator;
  fork: ForkNumber;
  segNo: number;
}

/** Forwards a request; returns false when the shared queue is full (the writer then fsyncs itself). */
export type SyncRequestForwarder = (tag: FileTag) => boolean;

const _state = {
  forwarder: undefined as SyncRequestForwarder | undefined,
  /** Local pending table: one entry per file (at most one per relation segment in existence). */
  pending: new Map<string, FileTag>(),
};

/** @returns a string key identifying the file of a tag */
export function fileTagKey(tag: FileTag): string {
  return `${tag.rl.spcOid}/${tag.rl.dbOid}/${tag.rl.relNumber}/${tag.fork}/${tag.segNo}`;
}

/**
 * Chooses this process's mode: forward requests (a function) or keep them
 * locally (undefined, the default).
 *
 * @param forwarder the checkpointer's queue, or undefined for local mode
 */
export function setSyncRequestForwarder(forwarder: SyncRequestForwarder | undefined): void {
  _state.forwarder = forwarder;
}

/**
 * Registers a written segment file for fsync at the next checkpoint
 * (register_dirty_segment). In forwarding mode with a full queue the file is
 * fsynced at once.
 *
 * @param tag the file
 */
export function registerSyncRequest(tag: FileTag): void {
  if (_state.forwarder === undefined) {
    rememberSyncRequest(tag);
    return;
  }
  if (_state.forwarder(tag)) return;
  smgrSyncSegment(tag.rl, tag.fork, tag.segNo);
}

/**
 * Adds a request to this process's local table (RememberSyncRequest); the
 * checkpointer calls it for each request it absorbs from the queue.
 *
 * @param tag the file
 */
export function rememberSyncRequest(tag: FileTag): void {
  _state.pending.set(fileTagKey(tag), tag);
}

/**
 * fsyncs every file in the local table (ProcessSyncRequests). Files removed
 * since they were registered are skipped. Requests added while this runs
 * stay for the next call.
 *
 * @returns how many files were fsynced, and the longest and total time taken
 */
export function processSyncRequests(): { synced: number; longestMs: number; totalMs: number } {
  const batch = [..._state.pending.values()];
  _state.pending.clear();
  let synced = 0;
  let longestMs = 0;
  let totalMs = 0;
  for (const tag of batch) {
    const t0 = performance.now();
    if (!smgrSyncSegment(tag.rl, tag.fork, tag.segNo)) continue;
    const ms = performance.now() - t0;
    synced++;
    totalMs += ms;
    longestMs = Math.max(longestMs, ms);
  }
  return { synced, longestMs, totalMs };
}

/** @returns how many files wait in the local table */
export function pendingSyncRequestCount(): number {
  return _state.pending.size;
}
