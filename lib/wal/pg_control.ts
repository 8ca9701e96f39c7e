/**
 * pg_control.ts — the control file `global/pg_control`: the cluster's
 * identity, its state, and where the last checkpoint is.
 *
 * PostgreSQL counterpart: src/include/catalog/pg_control.h (ControlFileData,
 * CheckPoint, DBState), ReadControlFile/WriteControlFile/UpdateControlFile in
 * src/backend/access/transam/xlog.c, and src/common/controldata_utils.c.
 *
 * NOTES
 * The byte layout is PostgreSQL 15's ControlFileData on a 64-bit
 * little-endian machine (296 bytes, CRC-32C of the first 288 at offset 288,
 * zero-padded to an 8 KiB file), so PostgreSQL's `pg_controldata` reads our
 * files. Fields denogres has no use for (backup points, wal_level, …) are
 * written with the values a fresh PostgreSQL 15 cluster has.
 *
 * Crash behaviour: the file is replaced atomically (temporary file, fsync,
 * rename, fsync of `global/`), so after a crash it holds either the old or the
 * new contents, never a mix. Only the startup process and the checkpointer
 * write it (and initdb, through bootStrapXlog); they never run at the same time
 * (the postmaster starts the checkpointer after startup exits) except the
 * end-of-recovery checkpoint, which the startup process writes itself.
 *
 * Errors: reading verifies size, version and CRC; a mismatch is a FATAL
 * SqlError with PostgreSQL's message.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import {
  BLOCK_SIZE_BYTES,
  CATALOG_VERSION_NO,
  NAME_DATA_LEN,
  PG_CONTROL_VERSION,
  RELATION_SEGMENT_BLOCKS,
  WAL_PAGE_SIZE_BYTES,
} from "../common/limits.ts";
import { writeFileDurably } from "../storage/fd.ts";
import { crc32c } from "./crc32c.ts";
import { TIMELINE_ID, type TimeLineId, type XLogRecPtr } from "./lsn.ts";

/** Physical size of the control file (PG_CONTROL_FILE_SIZE). */
export const PG_CONTROL_FILE_SIZE = 8192;
/** Bytes covered by the CRC: everything before the `crc` field (offsetof(ControlFileData, crc)). */
export const PG_CONTROL_CRC_OFFSET = 288;
/** Size of a CheckPoint struct, in a checkpoint record and in pg_control. */
export const CHECKPOINT_SIZE_BYTES = 88;
/** Length of the mock authentication nonce (MOCK_AUTH_NONCE_LEN). */
export const MOCK_AUTH_NONCE_LEN = 32;
/** XLOG record: a checkpoint written at shutdown or end of recovery (XLOG_CHECKPOINT_SHUTDOWN). */
export const XLOG_CHECKPOINT_SHUTDOWN = 0x00;
/** XLOG record: an online checkpoint (XLOG_CHECKPOINT_ONLINE). */
export const XLOG_CHECKPOINT_ONLINE = 0x10;
/** XLOG record: nothing (XLOG_NOOP). */
export const XLOG_NOOP = 0x20;
/** XLOG record: the rest of the segment is unused (XLOG_SWITCH). */
export const XLOG_SWITCH = 0x40;
/** XLOG record: full-page images only (XLOG_FPI). */
export const XLOG_FPI = 0xb0;
/** Path of the control file inside the data directory (XLOG_CONTROL_FILE). */
export const XLOG_CONTROL_FILE = "global/pg_control";

/**
 * The cluster's state, with PostgreSQL's names as pg_controldata prints them.
 * - `starting up`: DB_STARTUP, never written by denogres;
 * - `shut down`: clean shutdown, no recovery needed;
 * - `shut down in recovery`: a standby shut down cleanly (not used: no standbys);
 * - `shutting down`: the shutdown checkpoint is being written;
 * - `in crash recovery`: the startup process is replaying WAL;
 * - `in archive recovery`: archive recovery (not used);
 * - `in production`: running normally; found at start, it means a crash.
 * Transitions: initdb → shut down; startup: shut down → in production, or
 * in production/in crash recovery → in crash recovery → in production;
 * shutdown checkpoint: in production → shutting down → shut down.
 */
export type DBState =
  | "starting up"
  | "shut down"
  | "shut down in recovery"
  | "shutting down"
  | "in crash recovery"
  | "in archive recovery"
  | "in production";

const _DB_STATES: readonly DBState[] = [
  "starting up",
  "shut down",
  "shut down in recovery",
  "shutting down",
  "in crash recovery",
  "in archive recovery",
  "in production",
];

/** The body of a checkpoint record, and its copy in pg_control (CheckPoint). */
export interface CheckPoint {
  /** Where replay must start: the insert position when the checkpoint began. */
  redo: XLogRecPtr;
  thisTimeLineId: TimeLineId;
  prevTimeLineId: TimeLineId;
  fullPageWrites: boolean;
  /** Next free full (epoch-qualified) transaction id. */
  nextXid: bigint;
  nextOid: number;
  nextMulti: number;
  nextMultiOffset: number;
  oldestXid: number;
  oldestXidDb: number;
  oldestMulti: number;
  oldestMultiDb: number;
  /** Seconds since the Unix epoch (pg_time_t). */
  time: number;
  oldestCommitTsXid: number;
  newestCommitTsXid: number;
  oldestActiveXid: number;
}

/** The contents of pg_control (ControlFileData), PostgreSQL 15's fields. */
export interface ControlFileData {
  systemIdentifier: bigint;
  pgControlVersion: number;
  catalogVersionNo: number;
  state: DBState;
  /** Seconds since the Unix epoch of the last update. */
  time: number;
  /** Location of the last checkpoint record. */
  checkPoint: XLogRecPtr;
  checkPointCopy: CheckPoint;
  unloggedLsn: XLogRecPtr;
  minRecoveryPoint: XLogRecPtr;
  minRecoveryPointTli: TimeLineId;
  backupStartPoint: XLogRecPtr;
  backupEndPoint: XLogRecPtr;
  backupEndRequired: boolean;
  /** 0 minimal, 1 replica, 2 logical. */
  walLevel: number;
  walLogHints: boolean;
  maxConnections: number;
  maxWorkerProcesses: number;
  maxWalSenders: number;
  maxPreparedXacts: number;
  maxLocksPerXact: number;
  trackCommitTimestamp: boolean;
  maxAlign: number;
  floatFormat: number;
  blcksz: number;
  relsegSize: number;
  xlogBlcksz: number;
  xlogSegSize: number;
  nameDataLen: number;
  indexMaxKeys: number;
  toastMaxChunkSize: number;
  loblksize: number;
  float8ByVal: boolean;
  /** 0: checksums off; 1: on (PG_DATA_CHECKSUM_VERSION). */
  dataChecksumVersion: number;
  mockAuthenticationNonce: Uint8Array;
}

/**
 * @param code a DBState number as stored on disk
 * @returns its name, or `unrecognized status code` as pg_controldata says
 */
export function dbStateName(code: number): DBState | "unrecognized status code" {
  return _DB_STATES[code] ?? "unrecognized status code";
}

/**
 * A checkpoint of this single-timeline cluster without multixacts or commit
 * timestamps (what initdb's bootstrap checkpoint and every later one share):
 * timeline 1, multixact counters at their start, time now.
 *
 * @param fields what differs between checkpoints
 * @returns the full CheckPoint
 */
export function newCheckPoint(
  fields: Pick<CheckPoint, "redo" | "fullPageWrites" | "nextXid" | "nextOid" | "oldestXid">,
): CheckPoint {
  return {
    ...fields,
    thisTimeLineId: TIMELINE_ID,
    prevTimeLineId: TIMELINE_ID,
    nextMulti: 1,
    nextMultiOffset: 0,
    oldestXidDb: 1,
    oldestMulti: 1,
    oldestMultiDb: 1,
    time: Math.floor(Date.now() / 1000),
    oldestCommitTsXid: 0,
    newestCommitTsXid: 0,
    oldestActiveXid: 0,
  };
}

/**
 * The main data of a checkpoint WAL record: the CheckPoint struct.
 *
 * @param cp the checkpoint
 * @returns its 88 bytes
 */
export function checkPointRecordData(cp: CheckPoint): Uint8Array {
  const body = new Uint8Array(CHECKPOINT_SIZE_BYTES);
  encodeCheckPoint(new DataView(body.buffer), 0, cp);
  return body;
}

/**
 * Writes a CheckPoint struct (88 bytes, PostgreSQL 15 layout).
 *
 * @param dv where to write
 * @param off byte offset of the struct
 * @param cp the checkpoint
 */
export function encodeCheckPoint(dv: DataView, off: number, cp: CheckPoint): void {
  dv.setBigUint64(off + 0, cp.redo, true);
  dv.setUint32(off + 8, cp.thisTimeLineId, true);
  dv.setUint32(off + 12, cp.prevTimeLineId, true);
  dv.setUint8(off + 16, cp.fullPageWrites ? 1 : 0);
  dv.setBigUint64(off + 24, cp.nextXid, true);
  dv.setUint32(off + 32, cp.nextOid, true);
  dv.setUint32(off + 36, cp.nextMulti, true);
  dv.setUint32(off + 40, cp.nextMultiOffset, true);
  dv.setUint32(off + 44, cp.oldestXid, true);
  dv.setUint32(off + 48, cp.oldestXidDb, true);
  dv.setUint32(off + 52, cp.oldestMulti, true);
  dv.setUint32(off + 56, cp.oldestMultiDb, true);
  dv.setBigInt64(off + 64, BigInt(cp.time), true);
  dv.setUint32(off + 72, cp.oldestCommitTsXid, true);
  dv.setUint32(off + 76, cp.newestCommitTsXid, true);
  dv.setUint32(off + 80, cp.oldestActiveXid, true);
}

/**
 * Reads a CheckPoint struct.
 *
 * @param dv where to read
 * @param off byte offset of the struct
 * @returns the checkpoint
 */
export function decodeCheckPoint(dv: DataView, off: number): CheckPoint {
  return {
    redo: dv.getBigUint64(off + 0, true),
    thisTimeLineId: dv.getUint32(off + 8, true),
    prevTimeLineId: dv.getUint32(off + 12, true),
    fullPageWrites: dv.getUint8(off + 16) !== 0,
    nextXid: dv.getBigUint64(off + 24, true),
    nextOid: dv.getUint32(off + 32, true),
    nextMulti: dv.getUint32(off + 36, true),
    nextMultiOffset: dv.getUint32(off + 40, true),
    oldestXid: dv.getUint32(off + 44, true),
    oldestXidDb: dv.getUint32(off + 48, true),
    oldestMulti: dv.getUint32(off + 52, true),
    oldestMultiDb: dv.getUint32(off + 56, true),
    time: Number(dv.getBigInt64(off + 64, true)),
    oldestCommitTsXid: dv.getUint32(off + 72, true),
    newestCommitTsXid: dv.getUint32(off + 76, true),
    oldestActiveXid: dv.getUint32(off + 80, true),
  };
}

/**
 * Builds a control file for a new cluster with PostgreSQL 15's constants.
 *
 * @param fields the cluster-specific values
 * @returns the control data
 */
export function newControlFile(fields: {
  systemIdentifier: bigint;
  checkPoint: XLogRecPtr;
  checkPointCopy: CheckPoint;
  walSegmentSizeBytes: number;
  dataChecksums: boolean;
  maxConnections: number;
  maxLocksPerXact: number;
}): ControlFileData {
  return {
    systemIdentifier: fields.systemIdentifier,
    pgControlVersion: PG_CONTROL_VERSION,
    catalogVersionNo: CATALOG_VERSION_NO,
    state: "shut down",
    time: fields.checkPointCopy.time,
    checkPoint: fields.checkPoint,
    checkPointCopy: fields.checkPointCopy,
    unloggedLsn: 1000n, // FirstNormalUnloggedLSN
    minRecoveryPoint: 0n,
    minRecoveryPointTli: 0,
    backupStartPoint: 0n,
    backupEndPoint: 0n,
    backupEndRequired: false,
    walLevel: 1,
    walLogHints: false,
    maxConnections: fields.maxConnections,
    maxWorkerProcesses: 8,
    maxWalSenders: 0,
    maxPreparedXacts: 0,
    maxLocksPerXact: fields.maxLocksPerXact,
    trackCommitTimestamp: false,
    maxAlign: 8,
    floatFormat: 1234567.0,
    blcksz: BLOCK_SIZE_BYTES,
    relsegSize: RELATION_SEGMENT_BLOCKS,
    xlogBlcksz: WAL_PAGE_SIZE_BYTES,
    xlogSegSize: fields.walSegmentSizeBytes,
    nameDataLen: NAME_DATA_LEN,
    indexMaxKeys: 32,
    toastMaxChunkSize: 1996,
    loblksize: 2048,
    float8ByVal: true,
    dataChecksumVersion: fields.dataChecksums ? 1 : 0,
    mockAuthenticationNonce: crypto.getRandomValues(new Uint8Array(MOCK_AUTH_NONCE_LEN)),
  };
}

/**
 * Encodes control data into the 8 KiB file image, CRC included.
 *
 * @param cf the control data
 * @returns the file's bytes
 */
export function encodeControlFile(cf: ControlFileData): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(PG_CONTROL_FILE_SIZE);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(0, cf.systemIdentifier, true);
  dv.setUint32(8, cf.pgControlVersion, true);
  dv.setUint32(12, cf.catalogVersionNo, true);
  dv.setUint32(16, _DB_STATES.indexOf(cf.state), true);
  dv.setBigInt64(24, BigInt(cf.time), true);
  dv.setBigUint64(32, cf.checkPoint, true);
  encodeCheckPoint(dv, 40, cf.checkPointCopy);
  dv.setBigUint64(128, cf.unloggedLsn, true);
  dv.setBigUint64(136, cf.minRecoveryPoint, true);
  dv.setUint32(144, cf.minRecoveryPointTli, true);
  dv.setBigUint64(152, cf.backupStartPoint, true);
  dv.setBigUint64(160, cf.backupEndPoint, true);
  dv.setUint8(168, cf.backupEndRequired ? 1 : 0);
  dv.setInt32(172, cf.walLevel, true);
  dv.setUint8(176, cf.walLogHints ? 1 : 0);
  const ints = [cf.maxConnections, cf.maxWorkerProcesses, cf.maxWalSenders, cf.maxPreparedXacts, cf.maxLocksPerXact];
  ints.forEach((v, i) => dv.setInt32(180 + 4 * i, v, true));
  dv.setUint8(200, cf.trackCommitTimestamp ? 1 : 0);
  dv.setUint32(204, cf.maxAlign, true);
  dv.setFloat64(208, cf.floatFormat, true);
  const sizes = [
    cf.blcksz,
    cf.relsegSize,
    cf.xlogBlcksz,
    cf.xlogSegSize,
    cf.nameDataLen,
    cf.indexMaxKeys,
    cf.toastMaxChunkSize,
    cf.loblksize,
  ];
  sizes.forEach((v, i) => dv.setUint32(216 + 4 * i, v, true));
  dv.setUint8(248, cf.float8ByVal ? 1 : 0);
  dv.setUint32(252, cf.dataChecksumVersion, true);
  bytes.set(cf.mockAuthenticationNonce.subarray(0, MOCK_AUTH_NONCE_LEN), 256);
  dv.setUint32(PG_CONTROL_CRC_OFFSET, crc32c(bytes, 0, PG_CONTROL_CRC_OFFSET), true);
  return bytes;
}

/**
 * Decodes and verifies a control file image (ReadControlFile's checks).
 *
 * @param bytes the file's contents
 * @param path the file's path, for messages
 * @returns the control data
 * @throws {SqlError} FATAL on a short file, a wrong version or a CRC mismatch
 */
export function decodeControlFile(bytes: Uint8Array, path = XLOG_CONTROL_FILE): ControlFileData {
  if (bytes.length < PG_CONTROL_CRC_OFFSET + 4) {
    throw new SqlError(
      SqlState.IO_ERROR,
      `could not read file "${path}": read ${bytes.length} of ${PG_CONTROL_FILE_SIZE}`,
      { severity: "FATAL" },
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== PG_CONTROL_VERSION) {
    const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
    throw new SqlError(SqlState.INTERNAL_ERROR, "database files are incompatible with server", {
      severity: "FATAL",
      detail: `The database cluster was initialized with PG_CONTROL_VERSION ${version} (${hex(version)}), ` +
        `but the server was compiled with PG_CONTROL_VERSION ${PG_CONTROL_VERSION} (${hex(PG_CONTROL_VERSION)}).`,
      hint: "It looks like you need to initdb.",
    });
  }
  if (crc32c(bytes, 0, PG_CONTROL_CRC_OFFSET) !== dv.getUint32(PG_CONTROL_CRC_OFFSET, true)) {
    throw new SqlError(SqlState.DATA_CORRUPTED, "calculated CRC checksum does not match value stored in file", {
      severity: "FATAL",
      detail: `Either the file "${path}" is corrupt, or it has a different layout than this program is expecting.`,
    });
  }
  const state = dbStateName(dv.getUint32(16, true));
  if (state === "unrecognized status code") {
    throw new SqlError(SqlState.DATA_CORRUPTED, `control file "${path}" contains an invalid database state`, {
      severity: "FATAL",
    });
  }
  const i32 = (o: number) => dv.getInt32(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  return {
    systemIdentifier: dv.getBigUint64(0, true),
    pgControlVersion: version,
    catalogVersionNo: u32(12),
    state,
    time: Number(dv.getBigInt64(24, true)),
    checkPoint: dv.getBigUint64(32, true),
    checkPointCopy: decodeCheckPoint(dv, 40),
    unloggedLsn: dv.getBigUint64(128, true),
    minRecoveryPoint: dv.getBigUint64(136, true),
    minRecoveryPointTli: u32(144),
    backupStartPoint: dv.getBigUint64(152, true),
    backupEndPoint: dv.getBigUint64(160, true),
    backupEndRequired: dv.getUint8(168) !== 0,
    walLevel: i32(172),
    walLogHints: dv.getUint8(176) !== 0,
    maxConnections: i32(180),
    maxWorkerProcesses: i32(184),
    maxWalSenders: i32(188),
    maxPreparedXacts: i32(192),
    maxLocksPerXact: i32(196),
    trackCommitTimestamp: dv.getUint8(200) !== 0,
    maxAlign: u32(204),
    floatFormat: dv.getFloat64(208, true),
    blcksz: u32(216),
    relsegSize: u32(220),
    xlogBlcksz: u32(224),
    xlogSegSize: u32(228),
    nameDataLen: u32(232),
    indexMaxKeys: u32(236),
    toastMaxChunkSize: u32(240),
    loblksize: u32(244),
    float8ByVal: dv.getUint8(248) !== 0,
    dataChecksumVersion: u32(252),
    mockAuthenticationNonce: bytes.slice(256, 256 + MOCK_AUTH_NONCE_LEN),
  };
}

/**
 * Reads and verifies `global/pg_control`.
 *
 * @param dataDir the data directory
 * @returns the control data
 * @throws {SqlError} FATAL when the file is short, of another version, or its CRC does not match
 * @throws {Deno.errors.NotFound} when the file does not exist
 * @example
 * ```ts
 * const cf = readControlFile("/srv/data");
 * cf.state; // "shut down"
 * ```
 */
export function readControlFile(dataDir: string): ControlFileData {
  const path = `${dataDir}/${XLOG_CONTROL_FILE}`;
  return decodeControlFile(Deno.readFileSync(path), path);
}

/**
 * Replaces `global/pg_control` atomically and durably, stamping `time` with
 * the current time (UpdateControlFile).
 *
 * @param dataDir the data directory
 * @param cf the new contents (its `time` is set to now)
 */
export function writeControlFile(dataDir: string, cf: ControlFileData): void {
  cf.time = Math.floor(Date.now() / 1000);
  writeFileDurably(`${dataDir}/${XLOG_CONTROL_FILE}`, encodeControlFile(cf));
}
