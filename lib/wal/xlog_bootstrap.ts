/**
 * xlog_bootstrap.ts — the WAL and control file of a brand-new cluster.
 *
 * PostgreSQL counterpart: BootStrapXLOG in src/backend/access/transam/xlog.c
 * (with BootStrapCLOG from clog.c).
 *
 * NOTES
 * Called once by initdb, before any server process exists. It writes segment
 * 1 of timeline 1 (`pg_wal/000000010000000000000001`, zero-filled to
 * wal_segment_size) whose first page holds one XLOG_CHECKPOINT_SHUTDOWN
 * record at `segment start + 40`, the first commit-status page
 * `pg_xact/0000` (all zeros: every transaction in progress), and
 * `global/pg_control` in state `shut down` pointing at that checkpoint. The
 * next start therefore needs no recovery. Every file is fsynced; the control
 * file is written last, so a crash part-way leaves no control file and initdb
 * starts over. Errors: file errors propagate as SqlError.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { WAL_PAGE_SIZE_BYTES } from "../common/limits.ts";
import type { GucSettings } from "../config/mod.ts";
import { LinuxConst } from "../ffi/libc.ts";
import { fileClose, fileOpen, fileSync, fileWriteAt, fsyncFname } from "../storage/fd.ts";
import { FIRST_NORMAL_OBJECT_ID, FIRST_NORMAL_TRANSACTION_ID } from "../xact/transam.ts";
import { CLOG_DIR, CLOG_PAGE_BYTES, clogSegmentFileName } from "../xact/clog_page.ts";
import { TIMELINE_ID } from "./lsn.ts";
import {
  checkPointRecordData,
  newCheckPoint,
  newControlFile,
  writeControlFile,
  XLOG_CHECKPOINT_SHUTDOWN,
} from "./pg_control.ts";
import { RM_XLOG_ID } from "./rmgr_ids.ts";
import { encodeXLogPageHeader, SIZE_OF_XLOG_LONG_PHD, XLOG_PAGE_MAGIC, XLP_LONG_HEADER } from "./xlog_page.ts";
import { assembleXLogRecord, finishXLogRecordCrc } from "./xlog_record.ts";
import { XLOGDIR, xlogFileInit, xlogFilePath } from "./xlog_file.ts";

/**
 * Checks a WAL segment size as initdb's --wal-segsize does: a power of two
 * from 1 MB to 1 GB.
 *
 * @param bytes the size
 * @returns whether it is valid (IsValidWalSegSize)
 */
export function isValidWalSegSize(bytes: number): boolean {
  return Number.isInteger(bytes) && bytes >= 1 << 20 && bytes <= 1 << 30 && (bytes & (bytes - 1)) === 0;
}

/**
 * Makes a new system identifier as PostgreSQL does: seconds in the high 32
 * bits, microseconds shifted by 12, and the low 12 bits of the pid.
 *
 * @returns a 64-bit identifier unique to this cluster
 */
export function generateSystemIdentifier(): bigint {
  const nowUs = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  const sec = nowUs / 1_000_000n;
  const usec = nowUs % 1_000_000n;
  return ((sec << 32n) | (usec << 12n) | BigInt(Deno.pid & 0xfff)) & 0xffffffffffffffffn;
}

/**
 * Writes the first WAL segment with a shutdown checkpoint, the first
 * pg_xact page and `global/pg_control` (state `shut down`) for a new
 * cluster. The directories `pg_wal`, `pg_xact` and `global` are created if
 * missing.
 *
 * @param dataDir the new data directory
 * @param settings the cluster's settings (wal_segment_size, data_checksums,
 *   full_page_writes, max_connections, max_locks_per_transaction)
 * @param systemIdentifier the cluster's identifier (see {@link generateSystemIdentifier})
 * @returns the location of the checkpoint record
 * @throws {RangeError} on an invalid wal_segment_size
 * @example
 * ```ts
 * bootStrapXlog("/srv/data", settings, generateSystemIdentifier());
 * readControlFile("/srv/data").state; // "shut down"
 * ```
 */
export function bootStrapXlog(dataDir: string, settings: GucSettings, systemIdentifier: bigint): bigint {
  const segSize = settings.int("wal_segment_size");
  if (!isValidWalSegSize(segSize)) {
    throw new RangeError(`WAL segment size must be a power of two between 1 MB and 1 GB, not ${segSize}`);
  }
  for (const d of [XLOGDIR, CLOG_DIR, "global"]) Deno.mkdirSync(`${dataDir}/${d}`, { recursive: true, mode: 0o700 });

  const redo = BigInt(segSize) + BigInt(SIZE_OF_XLOG_LONG_PHD);
  const checkPoint = newCheckPoint({
    redo,
    fullPageWrites: settings.bool("full_page_writes"),
    nextXid: BigInt(FIRST_NORMAL_TRANSACTION_ID),
    nextOid: FIRST_NORMAL_OBJECT_ID,
    oldestXid: FIRST_NORMAL_TRANSACTION_ID,
  });
  const rec = assembleXLogRecord({
    rmid: RM_XLOG_ID,
    info: XLOG_CHECKPOINT_SHUTDOWN,
    xid: 0,
    mainData: checkPointRecordData(checkPoint),
  });
  finishXLogRecordCrc(rec, 0n);

  const page = new Uint8Array(WAL_PAGE_SIZE_BYTES);
  encodeXLogPageHeader(new DataView(page.buffer), 0, {
    magic: XLOG_PAGE_MAGIC,
    info: XLP_LONG_HEADER,
    tli: TIMELINE_ID,
    pageAddr: BigInt(segSize),
    remLen: 0,
    sysid: systemIdentifier,
    segSize,
    blcksz: WAL_PAGE_SIZE_BYTES,
  });
  assert(SIZE_OF_XLOG_LONG_PHD + rec.bytes.length <= WAL_PAGE_SIZE_BYTES, "bootstrap record fits the first page");
  page.set(rec.bytes, SIZE_OF_XLOG_LONG_PHD);
  const { fd } = xlogFileInit(dataDir, 1n, segSize);
  const walPath = xlogFilePath(dataDir, 1n, segSize);
  try {
    fileWriteAt(fd, page, 0, walPath);
    fileSync(fd, walPath);
  } finally {
    fileClose(fd);
  }

  const clogPath = `${dataDir}/${CLOG_DIR}/${clogSegmentFileName(0)}`;
  const cfd = fileOpen(clogPath, LinuxConst.O_RDWR | LinuxConst.O_CREAT | LinuxConst.O_TRUNC);
  try {
    fileWriteAt(cfd, new Uint8Array(CLOG_PAGE_BYTES), 0, clogPath);
    fileSync(cfd, clogPath);
  } finally {
    fileClose(cfd);
  }
  fsyncFname(`${dataDir}/${CLOG_DIR}`);

  writeControlFile(
    dataDir,
    newControlFile({
      systemIdentifier,
      checkPoint: redo,
      checkPointCopy: checkPoint,
      walSegmentSizeBytes: segSize,
      dataChecksums: settings.bool("data_checksums"),
      maxConnections: settings.int("max_connections"),
      maxLocksPerXact: settings.int("max_locks_per_transaction"),
    }),
  );
  return redo;
}
