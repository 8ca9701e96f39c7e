/**
 * storage_init.ts — setting up the storage subsystems: their shared memory
 * (once per segment) and each process's access to them.
 *
 * PostgreSQL counterpart: the storage parts of CreateSharedMemoryAndSemaphores
 * (src/backend/storage/ipc/ipci.c) and of BaseInit / InitProcess
 * (src/backend/utils/init/postinit.c).
 *
 * NOTES
 * {@link storageShmemInit} is the `initialize` callback the postmaster passes
 * to createShmemSegment / resetShmemSegment. {@link initStorageAccess} runs
 * in every process that touches pages, WAL or commit status, after it
 * attached the segment and claimed its process-array slot, and after the
 * startup process recorded the WAL geometry (so: in the startup process right
 * after it read pg_control; in every other process at start). Sync requests:
 * the checkpointer and the startup process keep them (they run checkpoints);
 * every other process forwards them to the checkpointer.
 *
 * @module
 */

import { bufferShmemInit } from "../buffer/buf_init.ts";
import { bufferReleaseAll, type BufferWriterRole, initBufferPoolAccess } from "../buffer/bufmgr.ts";
import type { GucSettings } from "../config/mod.ts";
import { pgstatCountCheckpointer, type ShmemSegment } from "../shmem/mod.ts";
import {
  checkpointerShmemInit,
  CheckpointFlags,
  forwardSyncRequest,
  requestCheckpointNoWait,
} from "../wal/checkpointer_shmem.ts";
import { closeXLogFile, initXLogAccess, xlogSetCheckpointTrigger, xlogShared } from "../wal/xlog.ts";
import { xlogShmemInit } from "../wal/xlog_shmem.ts";
import { clogShmemInit, initClogAccess } from "../xact/clog.ts";
import { setFsyncEnabled } from "./fd.ts";
import { smgrCloseAll, smgrInit } from "./smgr.ts";
import { setSyncRequestForwarder } from "./sync.ts";

/** The kind of process, for sync-request handling and write statistics. */
export type StorageProcessRole = "backend" | "startup" | "checkpointer" | "bgwriter" | "walwriter";

/**
 * Initialises every storage region of a new segment (postmaster, before
 * children attach). Pass it as `initialize` to createShmemSegment and
 * resetShmemSegment.
 *
 * @param seg the new segment
 */
export function storageShmemInit(seg: ShmemSegment): void {
  bufferShmemInit(seg);
  xlogShmemInit(seg);
  clogShmemInit(seg);
  checkpointerShmemInit(seg);
}

/**
 * Sets up this process's storage access: relation files, the buffer pool,
 * WAL, commit status, fsync handling.
 *
 * @param seg the attached segment; this process holds a process-array slot
 * @param dataDir the data directory
 * @param settings the process's settings (fsync)
 * @param role what this process is
 */
export function initStorageAccess(
  seg: ShmemSegment,
  dataDir: string,
  settings: GucSettings,
  role: StorageProcessRole,
): void {
  smgrInit(dataDir);
  setFsyncEnabled(settings.bool("fsync"));
  initXLogAccess(seg, dataDir);
  const writerRole: BufferWriterRole = role === "checkpointer" || role === "bgwriter" ? role : "backend";
  initBufferPoolAccess(seg, { dataChecksums: xlogShared().dataChecksums, role: writerRole });
  initClogAccess(seg, dataDir);
  const keepsOwn = role === "checkpointer" || role === "startup";
  setSyncRequestForwarder(
    keepsOwn ? undefined : (tag) => {
      if (forwardSyncRequest(seg, tag)) return true;
      pgstatCountCheckpointer(seg, "buffersBackendFsync");
      return false;
    },
  );
  xlogSetCheckpointTrigger(
    settings.int("max_wal_size"),
    settings.real("checkpoint_completion_target"),
    role === "startup" ? undefined : () => requestCheckpointNoWait(seg, CheckpointFlags.CAUSE_XLOG),
  );
}

/**
 * Applies reloaded settings that storage reads per process (fsync,
 * max_wal_size, checkpoint_completion_target).
 *
 * @param seg the segment
 * @param settings the new settings
 * @param role what this process is
 */
export function storageReloadSettings(seg: ShmemSegment, settings: GucSettings, role: StorageProcessRole): void {
  setFsyncEnabled(settings.bool("fsync"));
  xlogSetCheckpointTrigger(
    settings.int("max_wal_size"),
    settings.real("checkpoint_completion_target"),
    role === "startup" ? undefined : () => requestCheckpointNoWait(seg, CheckpointFlags.CAUSE_XLOG),
  );
}

/**
 * Releases this process's storage resources at exit or after an error:
 * buffer pins, an I/O in progress, open files. Release LWLocks first.
 */
export function storageProcessCleanup(): void {
  bufferReleaseAll();
  smgrCloseAll();
  closeXLogFile();
}
