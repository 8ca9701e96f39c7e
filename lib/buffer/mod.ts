/**
 * The shared buffer manager. The background writer's main is in
 * bgwriter.ts (imported by path by lib/postmaster/child_main.ts). See README.md.
 *
 * @module
 */
export {
  type Buffer,
  bufferGetBlockNumber,
  bufferGetPage,
  bufferGetTag,
  bufferLocalPinCount,
  type BufferLockMode,
  bufferReleaseAll,
  dropRelationBuffers,
  flushRelationBuffers,
  INVALID_BUFFER,
  lockBuffer,
  markBufferDirty,
  P_NEW,
  readBuffer,
  type ReadBufferMode,
  releaseBuffer,
  unlockReleaseBuffer,
} from "./bufmgr.ts";
export { type BufferTag } from "./buf_internals.ts";
export { type BufferPoolSummary, bufferPoolSummary } from "./buf_summary.ts";
