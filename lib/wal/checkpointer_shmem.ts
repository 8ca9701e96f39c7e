/**
 * checkpointer_shmem.ts — how other processes talk to the checkpointer:
 * checkpoint requests (flags + start/done counters) and the queue of files
 * that need an fsync at the next checkpoint.
 *
 * PostgreSQL counterpart: CheckpointerShmemStruct, RequestCheckpoint,
 * ForwardSyncRequest, CompactCheckpointerRequestQueue and
 * AbsorbSyncRequests in src/backend/postmaster/checkpointer.c.
 *
 * NOTES
 * "checkpointer" region: ckpt_lck spinlock at 0 protecting ckpt_started (4),
 * ckpt_done (8), ckpt_failed (12) and ckpt_flags (16); the checkpointer's
 * pid at 28 (0 when not running); then, under CheckpointerCommLock, the
 * request count at 20, capacity at 24, and from byte 128 the requests:
 * spcOid, dbOid, relNumber, fork, segment (24 bytes each, NBuffers of them).
 * A requester ORs its flags into ckpt_flags and sets the checkpointer's
 * latch; to wait, it watches ckpt_started move past the value it saw, then
 * ckpt_done reach the new ckpt_started, polling its own latch. A full queue
 * is first compacted (duplicates removed); if still full the writer fsyncs
 * itself (see lib/storage/sync.ts).
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import {
  lwlockAcquire,
  lwlockRelease,
  mainLWLock,
  procArrayAuxProcNo,
  setLatch,
  type ShmemSegment,
  spinLockAcquire,
  spinLockRelease,
  waitEventInfo,
  waitLatch,
} from "../shmem/mod.ts";
import type { ForkNumber } from "../storage/relpath.ts";
import { CHECKPOINTER_FIXED_BYTES, CHECKPOINTER_REQUEST_BYTES } from "../storage/shmem_sizes.ts";
import { type FileTag, fileTagKey } from "../storage/sync.ts";

/** Checkpoint flags, PostgreSQL's values (CHECKPOINT_*). */
export const CheckpointFlags = {
  IS_SHUTDOWN: 0x0001,
  END_OF_RECOVERY: 0x0002,
  IMMEDIATE: 0x0004,
  FORCE: 0x0008,
  FLUSH_ALL: 0x0010,
  WAIT: 0x0020,
  REQUESTED: 0x0040,
  CAUSE_XLOG: 0x0080,
  CAUSE_TIME: 0x0100,
} as const;

const _LCK = 0;
const _STARTED = 4;
const _DONE = 8;
const _FAILED = 12;
const _FLAGS = 16;
const _NUM_REQUESTS = 20;
const _MAX_REQUESTS = 24;
const _PID = 28;
const _REQ_WORDS = CHECKPOINTER_REQUEST_BYTES / 4;
/** How long a requester waits for a checkpointer to appear before giving up (PostgreSQL: 60 s). */
const _NO_CHECKPOINTER_WAIT_MS = 60_000;
/** Poll interval of a requester waiting for its checkpoint. */
const _WAIT_POLL_MS = 100;

function _base(seg: ShmemSegment): number {
  return seg.region("checkpointer").offset;
}

/**
 * Initialises the region: queue capacity from its size (segment creation).
 *
 * @param seg the new segment
 */
export function checkpointerShmemInit(seg: ShmemSegment): void {
  const r = seg.region("checkpointer");
  seg.i32[(r.offset + _MAX_REQUESTS) >> 2] = Math.floor(
    (r.sizeBytes - CHECKPOINTER_FIXED_BYTES) / CHECKPOINTER_REQUEST_BYTES,
  );
}

/**
 * Records the running checkpointer's pid (0 when it exits).
 *
 * @param seg the segment
 * @param pid the checkpointer's pid, or 0
 */
export function setCheckpointerPid(seg: ShmemSegment, pid: number): void {
  Atomics.store(seg.i32, (_base(seg) + _PID) >> 2, pid);
}

/** @returns the running checkpointer's pid, or 0 */
export function checkpointerPid(seg: ShmemSegment): number {
  return Atomics.load(seg.i32, (_base(seg) + _PID) >> 2);
}

function _spin<T>(seg: ShmemSegment, fn: (i32: Int32Array, b: number) => T): T {
  const b = _base(seg);
  spinLockAcquire(seg, b + _LCK, "checkpointer request");
  try {
    return fn(seg.i32, b);
  } finally {
    spinLockRelease(seg, b + _LCK);
  }
}

/**
 * Asks the checkpointer for a checkpoint (RequestCheckpoint) and, with
 * CHECKPOINT_WAIT, waits until one that started after the request is done.
 *
 * Lock contract: no locks held; waits on this process's latch.
 *
 * @param seg the segment; this process holds a slot when it waits
 * @param flags CheckpointFlags ORed (FORCE, IMMEDIATE, WAIT, CAUSE_XLOG …)
 * @throws {SqlError} `checkpoint request failed`, or when no checkpointer runs
 * @example
 * ```ts
 * await requestCheckpoint(seg, CheckpointFlags.FORCE | CheckpointFlags.IMMEDIATE | CheckpointFlags.WAIT);
 * ```
 */
export async function requestCheckpoint(seg: ShmemSegment, flags: number): Promise<void> {
  const { oldStarted, oldFailed } = _spin(seg, (i32, b) => {
    i32[(b + _FLAGS) >> 2] |= flags | CheckpointFlags.REQUESTED;
    return { oldStarted: i32[(b + _STARTED) >> 2], oldFailed: i32[(b + _FAILED) >> 2] };
  });
  const start = performance.now();
  while (checkpointerPid(seg) === 0) {
    if (performance.now() - start > _NO_CHECKPOINTER_WAIT_MS) {
      throw new SqlError(SqlState.INTERNAL_ERROR, "could not request checkpoint because checkpointer not running");
    }
    await _sleep(seg);
  }
  setLatch(seg, procArrayAuxProcNo(seg, "checkpointer"));
  if (!(flags & CheckpointFlags.WAIT)) return;
  let newStarted = oldStarted;
  while (newStarted === oldStarted) {
    await _sleep(seg);
    newStarted = _spin(seg, (i32, b) => i32[(b + _STARTED) >> 2]);
  }
  for (;;) {
    const { done, failed } = _spin(seg, (i32, b) => ({ done: i32[(b + _DONE) >> 2], failed: i32[(b + _FAILED) >> 2] }));
    if (done - newStarted >= 0) {
      if (failed !== oldFailed) {
        throw new SqlError(SqlState.INTERNAL_ERROR, "checkpoint request failed", {
          hint: "Consult recent messages in the server log for details.",
        });
      }
      return;
    }
    await _sleep(seg);
  }
}

/**
 * Asks for a checkpoint without waiting or failing (RequestCheckpoint
 * without CHECKPOINT_WAIT, from code that cannot wait): sets the flags and
 * wakes the checkpointer if it runs; if it does not, it will see the flags
 * when it starts.
 *
 * @param seg the segment
 * @param flags CheckpointFlags ORed
 */
export function requestCheckpointNoWait(seg: ShmemSegment, flags: number): void {
  _spin(seg, (i32, b) => {
    i32[(b + _FLAGS) >> 2] |= flags | CheckpointFlags.REQUESTED;
  });
  if (checkpointerPid(seg) !== 0) setLatch(seg, procArrayAuxProcNo(seg, "checkpointer"));
}

const _WAIT_CHECKPOINT = waitEventInfo("IPC", "CheckpointDone");

async function _sleep(seg: ShmemSegment): Promise<void> {
  if (seg.local.procNo >= 0) await waitLatch(seg, _WAIT_POLL_MS, _WAIT_CHECKPOINT);
  else await new Promise((r) => setTimeout(r, _WAIT_POLL_MS));
}

/**
 * Takes the pending request flags, clearing them (the checkpointer).
 *
 * @param seg the segment
 * @returns the flags, 0 if nothing was requested
 */
export function takeCheckpointRequestFlags(seg: ShmemSegment): number {
  return _spin(seg, (i32, b) => {
    const f = i32[(b + _FLAGS) >> 2];
    i32[(b + _FLAGS) >> 2] = 0;
    return f;
  });
}

/** @returns whether an immediate checkpoint has been requested meanwhile (ImmediateCheckpointRequested) */
export function immediateCheckpointRequested(seg: ShmemSegment): boolean {
  return (Atomics.load(seg.i32, (_base(seg) + _FLAGS) >> 2) & CheckpointFlags.IMMEDIATE) !== 0;
}

/**
 * Counts a checkpoint's start (the checkpointer), returning the new count.
 *
 * @param seg the segment
 * @returns the new ckpt_started
 */
export function checkpointStarted(seg: ShmemSegment): number {
  return _spin(seg, (i32, b) => ++i32[(b + _STARTED) >> 2]);
}

/**
 * Counts a checkpoint's end (the checkpointer).
 *
 * @param seg the segment
 * @param started the value {@link checkpointStarted} returned
 * @param ok false if it failed
 */
export function checkpointDone(seg: ShmemSegment, started: number, ok: boolean): void {
  _spin(seg, (i32, b) => {
    if (!ok) i32[(b + _FAILED) >> 2]++;
    i32[(b + _DONE) >> 2] = started;
  });
}

/**
 * Queues a file for fsync by the checkpointer (ForwardSyncRequest).
 *
 * Lock contract: takes and releases CheckpointerCommLock.
 *
 * @param seg the segment
 * @param tag the file
 * @returns false when the queue is full even after compaction (fsync it yourself)
 */
export function forwardSyncRequest(seg: ShmemSegment, tag: FileTag): boolean {
  const b = _base(seg);
  const lock = mainLWLock(seg, "CheckpointerCommLock");
  lwlockAcquire(seg, lock, "exclusive");
  try {
    const i32 = seg.i32;
    let n = i32[(b + _NUM_REQUESTS) >> 2];
    const max = i32[(b + _MAX_REQUESTS) >> 2];
    if (n >= max) n = _compact(seg, n);
    if (n >= max) return false;
    const w = (b + CHECKPOINTER_FIXED_BYTES) / 4 + n * _REQ_WORDS;
    i32[w] = tag.rl.spcOid;
    i32[w + 1] = tag.rl.dbOid;
    i32[w + 2] = tag.rl.relNumber;
    i32[w + 3] = tag.fork;
    i32[w + 4] = tag.segNo;
    i32[(b + _NUM_REQUESTS) >> 2] = n + 1;
    return true;
  } finally {
    lwlockRelease(seg, lock);
  }
}

function _read(seg: ShmemSegment, i: number): FileTag {
  const i32 = seg.i32;
  const w = (_base(seg) + CHECKPOINTER_FIXED_BYTES) / 4 + i * _REQ_WORDS;
  return {
    rl: { spcOid: i32[w] >>> 0, dbOid: i32[w + 1] >>> 0, relNumber: i32[w + 2] >>> 0 },
    fork: i32[w + 3] as ForkNumber,
    segNo: i32[w + 4],
  };
}

/** Removes duplicate requests (CompactCheckpointerRequestQueue). Lock held. @returns the new count */
function _compact(seg: ShmemSegment, n: number): number {
  const seen = new Set<string>();
  const keep: FileTag[] = [];
  for (let i = 0; i < n; i++) {
    const t = _read(seg, i);
    const k = fileTagKey(t);
    if (!seen.has(k)) {
      seen.add(k);
      keep.push(t);
    }
  }
  const i32 = seg.i32;
  keep.forEach((t, i) => {
    const w = (_base(seg) + CHECKPOINTER_FIXED_BYTES) / 4 + i * _REQ_WORDS;
    i32[w] = t.rl.spcOid;
    i32[w + 1] = t.rl.dbOid;
    i32[w + 2] = t.rl.relNumber;
    i32[w + 3] = t.fork;
    i32[w + 4] = t.segNo;
  });
  i32[(_base(seg) + _NUM_REQUESTS) >> 2] = keep.length;
  return keep.length;
}

/**
 * Takes every queued request (AbsorbSyncRequests, the checkpointer).
 *
 * Lock contract: takes and releases CheckpointerCommLock.
 *
 * @param seg the segment
 * @returns the requests
 */
export function absorbSyncRequests(seg: ShmemSegment): FileTag[] {
  const lock = mainLWLock(seg, "CheckpointerCommLock");
  lwlockAcquire(seg, lock, "exclusive");
  try {
    const n = seg.i32[(_base(seg) + _NUM_REQUESTS) >> 2];
    const out: FileTag[] = [];
    for (let i = 0; i < n; i++) out.push(_read(seg, i));
    seg.i32[(_base(seg) + _NUM_REQUESTS) >> 2] = 0;
    return out;
  } finally {
    lwlockRelease(seg, lock);
  }
}
