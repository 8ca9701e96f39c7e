/**
 * smgr.ts — the storage manager: relation forks as files of 8 KiB blocks,
 * split into 1 GiB segment files (`16384`, `16384.1`, …).
 *
 * PostgreSQL counterpart: src/backend/storage/smgr/smgr.c and md.c
 * (mdcreate, mdread, mdwrite, mdextend, mdnblocks, mdtruncate, mdimmedsync,
 * register_dirty_segment) with the VFD cache of storage/file/fd.c.
 *
 * NOTES
 * Process-local: each process opens its own descriptors, kept in a cache of
 * at most {@link SMGR_OPEN_FILES_MAX} (least recently used closed first).
 * Blocks are read and written with one pread/pwrite each, possibly straight
 * from/to shared buffers. Concurrency: smgr takes no locks; callers (the
 * buffer manager) guarantee that one block is written by one process at a
 * time (BM_IO_IN_PROGRESS) and that one relation is extended by one process
 * at a time (the extension lock).
 *
 * Durability: a write does not fsync. It registers the segment file with
 * lib/storage/sync.ts, which either remembers it for this process's next
 * checkpoint or forwards it to the checkpointer; the checkpoint fsyncs every
 * file written since the previous one before it records its redo point as
 * safe. A read past the end of a file returns short: callers decide (reading
 * a block that was never written is an error in PostgreSQL:
 * `could not read block %u in file "%s": read only %d of %d bytes`).
 *
 * Requires `--allow-ffi` and read/write access to the data directory.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { BLOCK_SIZE_BYTES, RELATION_SEGMENT_BLOCKS } from "../common/limits.ts";
import { LinuxConst } from "../ffi/libc.ts";
import {
  fileClose,
  fileOpen,
  fileOpenIfExists,
  fileReadAt,
  fileSize,
  fileSync,
  fileTruncate,
  fileWriteAt,
} from "./fd.ts";
import { type ForkNumber, type RelFileLocator, relPath } from "./relpath.ts";
import { registerSyncRequest } from "./sync.ts";

/** Relation segment files this process keeps open at once (each costs one descriptor). */
export const SMGR_OPEN_FILES_MAX = 256;
/** Largest block number + 1 of a fork (MaxBlockNumber + 1 = 2^32 - 1). */
export const MAX_BLOCK_NUMBER = 0xfffffffe;

const _state = {
  dataDir: "",
  /** path -> descriptor, in least-recently-used-first order (Map keeps insertion order). */
  open: new Map<string, number>(),
  /**
   * Cached fork sizes, trusted only while this process is the only one changing files (WAL
   * replay in the startup process), as PostgreSQL's smgr_cached_nblocks; undefined otherwise.
   */
  nblocksCache: undefined as Map<string, number> | undefined,
};

function _forkKey(rl: RelFileLocator, fork: ForkNumber): string {
  return `${rl.spcOid}/${rl.dbOid}/${rl.relNumber}/${fork}`;
}

function _cacheAtLeast(rl: RelFileLocator, fork: ForkNumber, nblocks: number): void {
  const c = _state.nblocksCache;
  if (c === undefined) return;
  const k = _forkKey(rl, fork);
  const old = c.get(k);
  if (old !== undefined && old < nblocks) c.set(k, nblocks);
}

/**
 * Turns the fork-size cache on (only during WAL replay, when no other process
 * changes relation files) or off.
 *
 * @param on whether sizes may be cached
 */
export function smgrSetNblocksCaching(on: boolean): void {
  _state.nblocksCache = on ? new Map() : undefined;
}

/**
 * Sets the data directory this process's relation paths are relative to.
 * Call once at process start, before any other smgr call.
 *
 * @param dataDir the data directory
 */
export function smgrInit(dataDir: string): void {
  smgrCloseAll();
  _state.dataDir = dataDir;
  _state.nblocksCache = undefined;
}

/** Closes every cached descriptor (at exit, or before files are removed). */
export function smgrCloseAll(): void {
  for (const fd of _state.open.values()) fileClose(fd);
  _state.open.clear();
}

/**
 * @param rl the relation
 * @param fork the fork
 * @param segNo the segment number
 * @returns the segment file's path relative to the data directory
 */
export function segmentPath(rl: RelFileLocator, fork: ForkNumber, segNo: number): string {
  const base = relPath(rl, fork);
  return segNo === 0 ? base : `${base}.${segNo}`;
}

function _full(rel: string): string {
  assert(_state.dataDir !== "", "smgrInit() was called");
  return `${_state.dataDir}/${rel}`;
}

/** How to open a segment: it must exist, create it if missing, or report -1 if missing. */
type _OpenMode = "must" | "create" | "ifExists";

function _openSeg(rl: RelFileLocator, fork: ForkNumber, segNo: number, mode: _OpenMode): number {
  const rel = segmentPath(rl, fork, segNo);
  const cached = _state.open.get(rel);
  if (cached !== undefined) {
    _state.open.delete(rel);
    _state.open.set(rel, cached);
    return cached;
  }
  let fd = fileOpenIfExists(_full(rel), LinuxConst.O_RDWR);
  if (fd < 0) {
    if (mode === "ifExists") return -1;
    if (mode === "must") {
      throw new SqlError(SqlState.UNDEFINED_FILE, `could not open file "${rel}": No such file or directory`);
    }
    fd = fileOpen(_full(rel), LinuxConst.O_RDWR | LinuxConst.O_CREAT);
  }
  if (_state.open.size >= SMGR_OPEN_FILES_MAX) {
    const [oldest, oldFd] = _state.open.entries().next().value!;
    _state.open.delete(oldest);
    fileClose(oldFd);
  }
  _state.open.set(rel, fd);
  return fd;
}

function _forget(rl: RelFileLocator, fork: ForkNumber, segNo: number): void {
  const rel = segmentPath(rl, fork, segNo);
  const fd = _state.open.get(rel);
  if (fd !== undefined) {
    fileClose(fd);
    _state.open.delete(rel);
  }
}

/** @returns the blocks in one segment file, or -1 if it does not exist */
function _segBlocks(rl: RelFileLocator, fork: ForkNumber, segNo: number): number {
  const fd = _openSeg(rl, fork, segNo, "ifExists");
  return fd < 0 ? -1 : Math.floor(fileSize(fd, segmentPath(rl, fork, segNo)) / BLOCK_SIZE_BYTES);
}

/**
 * @param rl the relation
 * @param fork the fork
 * @returns whether the fork's first segment file exists (smgrexists)
 */
export function smgrExists(rl: RelFileLocator, fork: ForkNumber): boolean {
  if (_state.nblocksCache?.has(_forkKey(rl, fork))) return true;
  return _segBlocks(rl, fork, 0) >= 0;
}

/**
 * Creates a fork's first segment file, empty (mdcreate). The database
 * directory is created if missing.
 *
 * @param rl the relation
 * @param fork the fork
 * @param isRedo during WAL replay an existing file is fine
 * @throws {SqlError} 58P02 `could not create file "…": File exists` when it exists and not in redo
 */
export function smgrCreate(rl: RelFileLocator, fork: ForkNumber, isRedo = false): void {
  const rel = segmentPath(rl, fork, 0);
  if (smgrExists(rl, fork)) {
    if (isRedo) return;
    throw new SqlError(SqlState.DUPLICATE_FILE, `could not create file "${rel}": File exists`);
  }
  const dir = _full(rel).slice(0, _full(rel).lastIndexOf("/"));
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  _openSeg(rl, fork, 0, "create");
}

/**
 * Number of blocks in a fork (mdnblocks): full earlier segments plus the
 * blocks of the last one.
 *
 * @param rl the relation
 * @param fork the fork
 * @returns the block count
 * @throws {SqlError} 58P01 when the fork does not exist
 */
export function smgrNblocks(rl: RelFileLocator, fork: ForkNumber): number {
  const cached = _state.nblocksCache?.get(_forkKey(rl, fork));
  if (cached !== undefined) return cached;
  const n = _nblocksFromFiles(rl, fork);
  _state.nblocksCache?.set(_forkKey(rl, fork), n);
  return n;
}

function _nblocksFromFiles(rl: RelFileLocator, fork: ForkNumber): number {
  let segNo = 0;
  for (;;) {
    const n = _segBlocks(rl, fork, segNo);
    if (n < 0) {
      if (segNo === 0) {
        throw new SqlError(
          SqlState.UNDEFINED_FILE,
          `could not open file "${segmentPath(rl, fork, 0)}": No such file or directory`,
        );
      }
      return segNo * RELATION_SEGMENT_BLOCKS;
    }
    assert(n <= RELATION_SEGMENT_BLOCKS, "a segment holds at most RELATION_SEGMENT_BLOCKS blocks");
    if (n < RELATION_SEGMENT_BLOCKS) return segNo * RELATION_SEGMENT_BLOCKS + n;
    segNo++;
  }
}

/**
 * Reads one block (mdread).
 *
 * @param rl the relation
 * @param fork the fork
 * @param blockNum the block
 * @param buf where to read (one block; may be a shared buffer)
 * @throws {SqlError} `could not read block %u in file "%s": read only %d of %d bytes` past the end
 */
export function smgrRead(rl: RelFileLocator, fork: ForkNumber, blockNum: number, buf: Uint8Array): void {
  assert(buf.length === BLOCK_SIZE_BYTES, "smgrRead reads one block");
  const segNo = Math.floor(blockNum / RELATION_SEGMENT_BLOCKS);
  const rel = segmentPath(rl, fork, segNo);
  const fd = _openSeg(rl, fork, segNo, "must");
  const n = fileReadAt(fd, buf, (blockNum % RELATION_SEGMENT_BLOCKS) * BLOCK_SIZE_BYTES, rel);
  if (n !== BLOCK_SIZE_BYTES) {
    throw new SqlError(
      SqlState.DATA_CORRUPTED,
      `could not read block ${blockNum} in file "${rel}": read only ${n} of ${BLOCK_SIZE_BYTES} bytes`,
    );
  }
}

/**
 * Writes one existing block (mdwrite) and registers the file for fsync at
 * the next checkpoint.
 *
 * @param rl the relation
 * @param fork the fork
 * @param blockNum the block (below the fork's current size, or extending it by one)
 * @param buf the block's bytes
 * @param skipFsync do not register for fsync (the caller fsyncs itself, or the relation is temporary)
 */
export function smgrWrite(
  rl: RelFileLocator,
  fork: ForkNumber,
  blockNum: number,
  buf: Uint8Array,
  skipFsync = false,
): void {
  assert(buf.length === BLOCK_SIZE_BYTES, "smgrWrite writes one block");
  assert(blockNum >= 0 && blockNum < MAX_BLOCK_NUMBER, "block number in range");
  const segNo = Math.floor(blockNum / RELATION_SEGMENT_BLOCKS);
  const fd = _openSeg(rl, fork, segNo, "create");
  fileWriteAt(fd, buf, (blockNum % RELATION_SEGMENT_BLOCKS) * BLOCK_SIZE_BYTES, segmentPath(rl, fork, segNo));
  _cacheAtLeast(rl, fork, blockNum + 1);
  if (!skipFsync) registerSyncRequest({ rl, fork, segNo });
}

/**
 * Adds a block at the end of a fork (mdextend). Same as a write at block
 * `nblocks`; kept apart to state the intent, as PostgreSQL does.
 *
 * @param rl the relation
 * @param fork the fork
 * @param blockNum the new block's number: the fork's current size
 * @param buf its contents (usually zeros)
 * @param skipFsync as {@link smgrWrite}
 * @throws {SqlError} 54000 `cannot extend file "…" beyond %u blocks`
 */
export function smgrExtend(
  rl: RelFileLocator,
  fork: ForkNumber,
  blockNum: number,
  buf: Uint8Array,
  skipFsync = false,
): void {
  if (blockNum >= MAX_BLOCK_NUMBER) {
    throw new SqlError(
      SqlState.PROGRAM_LIMIT_EXCEEDED,
      `cannot extend file "${relPath(rl, fork)}" beyond ${MAX_BLOCK_NUMBER} blocks`,
    );
  }
  smgrWrite(rl, fork, blockNum, buf, skipFsync);
}

/**
 * Shrinks a fork to `nblocks` blocks (mdtruncate): later segment files are
 * emptied and removed, the last one truncated. Durable at return.
 *
 * @param rl the relation
 * @param fork the fork
 * @param nblocks the new size in blocks
 */
export function smgrTruncate(rl: RelFileLocator, fork: ForkNumber, nblocks: number): void {
  _state.nblocksCache?.delete(_forkKey(rl, fork));
  const keepSegs = Math.max(1, Math.ceil(nblocks / RELATION_SEGMENT_BLOCKS));
  for (let segNo = keepSegs; _segBlocks(rl, fork, segNo) >= 0; segNo++) {
    const fd = _openSeg(rl, fork, segNo, "must");
    fileTruncate(fd, 0, segmentPath(rl, fork, segNo));
    _forget(rl, fork, segNo);
    Deno.removeSync(_full(segmentPath(rl, fork, segNo)));
  }
  const lastSeg = keepSegs - 1;
  const fd = _openSeg(rl, fork, lastSeg, "must");
  const rel = segmentPath(rl, fork, lastSeg);
  fileTruncate(fd, (nblocks - lastSeg * RELATION_SEGMENT_BLOCKS) * BLOCK_SIZE_BYTES, rel);
  fileSync(fd, rel);
}

/**
 * Removes a fork's files (mdunlink). Missing files are fine.
 *
 * @param rl the relation
 * @param fork the fork
 */
export function smgrUnlink(rl: RelFileLocator, fork: ForkNumber): void {
  _state.nblocksCache?.delete(_forkKey(rl, fork));
  for (let segNo = 0;; segNo++) {
    _forget(rl, fork, segNo);
    try {
      Deno.removeSync(_full(segmentPath(rl, fork, segNo)));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
  }
}

/**
 * fsyncs one segment file by name, for the checkpoint's sync phase. A file
 * removed since it was written is skipped, as PostgreSQL's mdsyncfiletag.
 *
 * @param rl the relation
 * @param fork the fork
 * @param segNo the segment
 * @returns false if the file no longer exists
 */
export function smgrSyncSegment(rl: RelFileLocator, fork: ForkNumber, segNo: number): boolean {
  const fd = _openSeg(rl, fork, segNo, "ifExists");
  if (fd < 0) return false;
  fileSync(fd, segmentPath(rl, fork, segNo));
  return true;
}
