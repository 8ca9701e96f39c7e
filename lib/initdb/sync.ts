/**
 * sync.ts — making a new data directory durable: fsync every file, then
 * every directory (children before parents), so that after a power loss the
 * cluster is either not there or complete.
 *
 * PostgreSQL counterpart: fsync_pgdata() in src/common/file_utils.c, which
 * initdb calls at the end ("syncing data to disk ... ok").
 *
 * NOTES
 * initdb writes everything with fsync off and syncs once here, as
 * PostgreSQL's initdb runs its bootstrap backend with -F and syncs at the
 * end. Symbolic links are not followed. The walk is bounded by
 * {@link SYNC_ENTRIES_MAX}: initdb only syncs the directory it has just
 * made, which holds a few dozen entries. Errors: InitdbError
 * `could not fsync file "…": …`. Requires `--allow-read` on the directory.
 *
 * @module
 */

import { InitdbError, osErrorText } from "./initdb_error.ts";

/** Most entries synced in one call (a fresh data directory has about 50). */
export const SYNC_ENTRIES_MAX = 100_000;

function _fsync(path: string): void {
  try {
    const f = Deno.openSync(path, { read: true });
    try {
      f.syncSync();
    } finally {
      f.close();
    }
  } catch (e) {
    throw new InitdbError(`could not fsync file "${path}": ${osErrorText(e)}`, { cause: e });
  }
}

/**
 * Fsyncs every regular file and directory under `dir`, and `dir` itself.
 *
 * @param dir the directory
 * @returns how many entries were synced
 * @throws {InitdbError} when an fsync fails, or the tree exceeds SYNC_ENTRIES_MAX
 */
export function syncDirectoryTree(dir: string): number {
  const dirs: string[] = [];
  const pending = [dir];
  let count = 0;
  while (pending.length > 0) {
    const d = pending.pop()!;
    dirs.push(d);
    for (const entry of Deno.readDirSync(d)) {
      if (++count > SYNC_ENTRIES_MAX) {
        throw new InitdbError(`could not fsync directory "${dir}": more than ${SYNC_ENTRIES_MAX} entries`);
      }
      const path = `${d}/${entry.name}`;
      if (entry.isDirectory) pending.push(path);
      else if (entry.isFile) _fsync(path);
    }
  }
  // Parents after children: a directory's entry for a child is durable only once the child is.
  for (const d of dirs.reverse()) _fsync(d);
  return count + 1;
}
