/**
 * xlog_file.ts — WAL segment files in `pg_wal/`: creating (zero-filled),
 * opening, recycling and removing them.
 *
 * PostgreSQL counterpart: XLogFileInit, XLogFileOpen,
 * InstallXLogFileSegment, RemoveOldXlogFiles and RemoveXlogFile in
 * src/backend/access/transam/xlog.c.
 *
 * NOTES
 * A new segment is written in full with zeros under a temporary name
 * (`xlogtemp.<pid>`), fsynced, then renamed into place and the directory
 * fsynced, so a segment file under its real name always has its full size and
 * later fdatasync calls never need to update file metadata. Old segments
 * (wholly before the last checkpoint's redo point) are renamed to future
 * segment names for reuse while fewer than min_wal_size worth exist ahead of
 * the insert point, else removed. A recycled segment still holds old records:
 * the reader rejects them by their page address (`unexpected pageaddr`).
 * Concurrency: only a process holding the WAL write lock creates the segment
 * it writes; the checkpointer recycles, and never touches a segment at or
 * after the redo point.
 *
 * @module
 */

import { LinuxConst } from "../ffi/libc.ts";
import { fileClose, fileOpen, fileOpenIfExists, fileSync, fileWriteAt, fsyncFname } from "../storage/fd.ts";
import { parseXlogFileName, TIMELINE_ID, xlogFileName, type XLogSegNo } from "./lsn.ts";

/** The WAL directory inside the data directory (XLOGDIR). */
export const XLOGDIR = "pg_wal";
/** Zeros written per call while creating a segment, in bytes. */
const _ZERO_CHUNK_BYTES = 1 << 20;

/** Segments this process created (CheckpointStats.ckpt_segs_added). */
let _segmentsCreated = 0;

/** @returns segments this process created since the last call, and resets the count */
export function takeSegmentsCreatedCount(): number {
  const n = _segmentsCreated;
  _segmentsCreated = 0;
  return n;
}

/**
 * @param dataDir the data directory
 * @param segNo a segment number
 * @param segSizeBytes the segment size
 * @returns the segment file's path (timeline 1)
 */
export function xlogFilePath(dataDir: string, segNo: XLogSegNo, segSizeBytes: number): string {
  return `${dataDir}/${XLOGDIR}/${xlogFileName(TIMELINE_ID, segNo, segSizeBytes)}`;
}

/**
 * Opens an existing segment for reading and writing (XLogFileOpen).
 *
 * @param dataDir the data directory
 * @param segNo the segment
 * @param segSizeBytes the segment size
 * @returns the descriptor, or -1 when the segment does not exist
 */
export function xlogFileOpen(dataDir: string, segNo: XLogSegNo, segSizeBytes: number): number {
  return fileOpenIfExists(xlogFilePath(dataDir, segNo, segSizeBytes), LinuxConst.O_RDWR);
}

/**
 * Opens a segment, creating it zero-filled if it does not exist yet
 * (XLogFileInit).
 *
 * @param dataDir the data directory
 * @param segNo the segment
 * @param segSizeBytes the segment size
 * @returns the open descriptor, and whether the file was created
 */
export function xlogFileInit(
  dataDir: string,
  segNo: XLogSegNo,
  segSizeBytes: number,
): { fd: number; created: boolean } {
  const existing = xlogFileOpen(dataDir, segNo, segSizeBytes);
  if (existing >= 0) return { fd: existing, created: false };
  const tmp = `${dataDir}/${XLOGDIR}/xlogtemp.${Deno.pid}`;
  const fd = fileOpen(tmp, LinuxConst.O_RDWR | LinuxConst.O_CREAT | LinuxConst.O_TRUNC);
  try {
    const zeros = new Uint8Array(Math.min(_ZERO_CHUNK_BYTES, segSizeBytes));
    for (let off = 0; off < segSizeBytes; off += zeros.length) fileWriteAt(fd, zeros, off, tmp);
    fileSync(fd, tmp);
  } finally {
    fileClose(fd);
  }
  const path = xlogFilePath(dataDir, segNo, segSizeBytes);
  Deno.renameSync(tmp, path);
  fsyncFname(`${dataDir}/${XLOGDIR}`);
  _segmentsCreated++;
  return { fd: fileOpen(path, LinuxConst.O_RDWR), created: true };
}

/**
 * Lists the segment numbers present in `pg_wal/`, ascending.
 *
 * @param dataDir the data directory
 * @param segSizeBytes the segment size
 * @returns the segment numbers of timeline-1 segment files
 */
export function listXlogSegments(dataDir: string, segSizeBytes: number): XLogSegNo[] {
  const out: XLogSegNo[] = [];
  for (const e of Deno.readDirSync(`${dataDir}/${XLOGDIR}`)) {
    const p = e.isFile ? parseXlogFileName(e.name, segSizeBytes) : undefined;
    if (p !== undefined && p.tli === TIMELINE_ID) out.push(p.segNo);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Removes or recycles segments wholly before `keepFromSegNo`
 * (RemoveOldXlogFiles): each is renamed to the next free future segment
 * number while fewer than `recycleMax` future segments exist past
 * `insertSegNo`, else unlinked.
 *
 * @param dataDir the data directory
 * @param segSizeBytes the segment size
 * @param keepFromSegNo the segment holding the redo point: it and later ones stay
 * @param insertSegNo the segment being written now
 * @param recycleMax how many segments to keep ready ahead of `insertSegNo` (from min_wal_size)
 * @returns how many segments were removed and recycled
 */
export function removeOldXlogFiles(
  dataDir: string,
  segSizeBytes: number,
  keepFromSegNo: XLogSegNo,
  insertSegNo: XLogSegNo,
  recycleMax: number,
): { removed: number; recycled: number } {
  const segs = listXlogSegments(dataDir, segSizeBytes);
  let nextFuture = segs.length > 0 && segs[segs.length - 1] > insertSegNo
    ? segs[segs.length - 1] + 1n
    : insertSegNo + 1n;
  let futureCount = segs.filter((s) => s > insertSegNo).length;
  let removed = 0;
  let recycled = 0;
  for (const seg of segs) {
    if (seg >= keepFromSegNo) break;
    const path = xlogFilePath(dataDir, seg, segSizeBytes);
    if (futureCount < recycleMax) {
      Deno.renameSync(path, xlogFilePath(dataDir, nextFuture, segSizeBytes));
      nextFuture++;
      futureCount++;
      recycled++;
    } else {
      Deno.removeSync(path);
      removed++;
    }
  }
  if (removed + recycled > 0) fsyncFname(`${dataDir}/${XLOGDIR}`);
  return { removed, recycled };
}
