/**
 * stale_segment.ts — at postmaster start, finding out whether the segment
 * named in an old postmaster.pid is still in use, and removing it if not.
 *
 * PostgreSQL counterpart: PGSharedMemoryIsInUse() and the pre-existing
 * segment handling of PGSharedMemoryCreate() in src/backend/port/sysv_shmem.c.
 *
 * NOTES
 * POSIX segments have no attach count, so "in use" means: some process
 * maps `/dev/shm/<name>` (also under its " (deleted)" name after an
 * unlink), found by scanning /proc/<pid>/maps (through lib/ffi/procfs.ts:
 * Deno refuses /proc paths to anything short of `--allow-all`). Only
 * processes whose maps this user may read are seen, which covers every
 * process of a cluster we own. A segment still in use stops the start with
 * PostgreSQL's FATAL `pre-existing shared memory block … is still in use`
 * and its hint; one nobody maps (its postmaster and children died) is
 * unlinked. Requires `--allow-ffi`.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { listProcPids, readProcMaps } from "../ffi/procfs.ts";
import { unlinkShmemSegment } from "./segment.ts";

/**
 * Lists the processes that map a segment.
 *
 * @param name the segment's name (`/denogres.…`)
 * @returns their pids, ascending (this process included if it maps it)
 */
export function shmemSegmentUsers(name: string): number[] {
  const path = `/dev/shm/${name.replace(/^\//, "")}`;
  const pids: number[] = [];
  for (const pid of listProcPids()) {
    // undefined: exited meanwhile, or not ours to read.
    if (readProcMaps(pid)?.some((m) => m.pathname === path)) pids.push(pid);
  }
  return pids;
}

/**
 * Removes a segment left behind by a dead postmaster; refuses one that live
 * processes still map.
 *
 * @param name the segment name from the old postmaster.pid line 7
 * @param dataDir the data directory (for the hint)
 * @returns true if a stale segment was removed, false if none existed
 * @throws {SqlError} FATAL F0001 when processes still map it
 */
export function removeStaleShmemSegment(name: string, dataDir: string): boolean {
  const users = shmemSegmentUsers(name).filter((pid) => pid !== Deno.pid);
  if (users.length > 0) {
    throw new SqlError(SqlState.LOCK_FILE_EXISTS, `pre-existing shared memory block "${name}" is still in use`, {
      severity: "FATAL",
      detail: `Processes still attached: ${users.join(", ")}.`,
      hint: `Terminate any old server processes associated with data directory "${dataDir}".`,
    });
  }
  return unlinkShmemSegment(name);
}
