/**
 * Write-ahead log: record format, insertion into shared WAL buffers, flush
 * with group commit, segment files, pg_control, checkpoints, the resource
 * manager table. The startup, checkpointer and walwriter processes' mains
 * live in startup.ts, checkpointer.ts and walwriter.ts.
 * See README.md.
 *
 * @module
 */
export { crc32c, CRC32C_INIT, crc32cFinal, crc32cUpdate } from "./crc32c.ts";
export {
  formatLsn,
  INVALID_XLOG_REC_PTR,
  parseLsn,
  parseXlogFileName,
  TIMELINE_ID,
  type TimeLineId,
  xlogFileName,
  type XLogRecPtr,
  xlogSegmentOffset,
  type XLogSegNo,
  xlogSegNoOf,
} from "./lsn.ts";
export {
  type CheckPoint,
  type ControlFileData,
  type DBState,
  dbStateName,
  decodeControlFile,
  encodeControlFile,
  PG_CONTROL_FILE_SIZE,
  readControlFile,
  writeControlFile,
  XLOG_CHECKPOINT_ONLINE,
  XLOG_CHECKPOINT_SHUTDOWN,
  XLOG_CONTROL_FILE,
  XLOG_FPI,
  XLOG_NOOP,
  XLOG_SWITCH,
} from "./pg_control.ts";
export { bootStrapXlog, generateSystemIdentifier, isValidWalSegSize } from "./xlog_bootstrap.ts";
export {
  RM_BTREE_ID,
  RM_CLOG_ID,
  RM_GENERIC_ID,
  RM_HEAP_ID,
  RM_MAX_BUILTIN_ID,
  RM_MAX_ID,
  RM_MIN_CUSTOM_ID,
  RM_SMGR_ID,
  RM_XACT_ID,
  RM_XLOG_ID,
  type RmgrId,
} from "./rmgr_ids.ts";
export { buildRmgrTable, type Rmgr } from "./rmgr.ts";
export {
  type DecodedBlockRef,
  type DecodedXLogRecord,
  XLOG_RECORD_MAX_BYTES,
  type XLogBlockRefInput,
  XLR_MAX_BLOCK_ID,
} from "./xlog_record.ts";
export { XLogReader } from "./xlog_reader.ts";
export {
  getFlushRecPtr,
  getRedoRecPtr,
  getXLogInsertRecPtr,
  xlogFlush,
  xlogInsert,
  type XLogInsertData,
} from "./xlog.ts";
export {
  GENERIC_XLOG_FULL_IMAGE,
  genericXLogFinish,
  genericXLogRegisterBuffer,
  genericXLogStart,
  type GenericXLogState,
  MAX_GENERIC_XLOG_PAGES,
} from "./generic_xlog.ts";
export { xlogReadBufferForRedo, type XLogRedoAction } from "./xlog_utils.ts";
export { type WalPositions, xlogReadPositions } from "./xlog_shmem.ts";
export { CheckpointFlags, requestCheckpoint, requestCheckpointNoWait } from "./checkpointer_shmem.ts";
export { type CheckpointResult, createCheckPoint } from "./checkpoint.ts";
export { startupProcessMain, type StartupResult, startupXlog } from "./startup.ts";
export { checkpointerMain } from "./checkpointer.ts";
export { walWriterMain } from "./walwriter.ts";
