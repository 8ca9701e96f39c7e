/**
 * data_dir.ts — finding, creating and (after a failure) removing the data
 * directory, remembering exactly what initdb made so that only that is removed.
 *
 * PostgreSQL counterpart: pg_check_dir() (src/port/pgcheckdir.c),
 * pg_mkdir_p() (src/port/pgmkdirp.c), and create_data_directory() and
 * cleanup_directories_atexit() in src/bin/initdb/initdb.c.
 *
 * NOTES
 * Crash behaviour: the record of what was made lives in this process; if
 * initdb is killed with SIGKILL the partial directory stays, as with
 * PostgreSQL. Parent directories created on the way (`mkdir -p`) are removed
 * too on failure, innermost first, so a failed initdb leaves the file system
 * as it found it. Errors are InitdbError with PostgreSQL's wording.
 * Requires `--allow-read` and `--allow-write` on the path.
 *
 * @module
 */

import { DENO_REFUSED_PATH_DETAIL, InitdbError, osErrorText } from "./initdb_error.ts";

/** Mode of the data directory and everything initdb creates in it (pg_dir_create_mode). */
export const DATA_DIR_MODE = 0o700;
/** Mode of the files initdb writes (pg_file_create_mode). */
export const DATA_FILE_MODE = 0o600;

/** What initdb found at the data directory's path. */
export type DataDirState =
  /** Nothing there: initdb creates it. */
  | { readonly kind: "missing" }
  /** An empty directory: initdb fixes its permissions and uses it. */
  | { readonly kind: "empty" }
  /** A directory with something in it: initdb refuses. */
  | { readonly kind: "not-empty"; readonly lostFound: boolean; readonly dotFile: boolean };

/**
 * Looks at the data directory's path, as PostgreSQL's pg_check_dir.
 *
 * @param path the data directory
 * @returns what is there
 * @throws {InitdbError} `could not access directory "…": …` (not a directory, no permission, a path Deno
 *   refuses such as /proc/…: `Permission denied` with a detail saying why)
 */
export function checkDataDir(path: string): DataDirState {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(path)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { kind: "missing" };
    throw new InitdbError(`could not access directory "${path}": ${osErrorText(e)}`, {
      cause: e,
      detail: _refusedDetail(e),
    });
  }
  if (entries.length === 0) return { kind: "empty" };
  // As pg_check_dir: only when nothing else is there do a dot file or lost+found get their own detail.
  const onlyHiddenOrMount = entries.every((e) => e.name.startsWith(".") || e.name === "lost+found");
  const dotFile = onlyHiddenOrMount && entries.some((e) => e.name.startsWith("."));
  return { kind: "not-empty", dotFile, lostFound: onlyHiddenOrMount && !dotFile };
}

/**
 * The error for a data directory that is not empty, with PostgreSQL's
 * message, detail and hint.
 *
 * @param path the data directory
 * @param state what checkDataDir found
 * @returns the error to throw
 */
export function notEmptyError(path: string, state: { lostFound: boolean; dotFile: boolean }): InitdbError {
  const hint = `If you want to create a new database system, either remove or empty the directory "${path}" ` +
    `or run initdb with an argument other than "${path}".`;
  if (state.lostFound) {
    return new InitdbError(`directory "${path}" exists but is not empty`, {
      detail: "It contains a lost+found directory, perhaps due to it being a mount point.",
      hint: "Using a mount point directly as the data directory is not recommended.\n" +
        "Create a subdirectory under the mount point.",
    });
  }
  if (state.dotFile) {
    return new InitdbError(`directory "${path}" exists but is not empty`, {
      detail: "It contains a dot-prefixed/invisible file, perhaps due to it being a mount point.",
      hint,
    });
  }
  return new InitdbError(`directory "${path}" exists but is not empty`, { hint });
}

/**
 * Creates the data directory and any missing parents (`mkdir -p`), the data
 * directory itself with mode 0700.
 *
 * @param path the data directory (must not exist)
 * @returns the directories created, outermost first (the data directory last)
 * @throws {InitdbError} `could not create directory "…": …`, after removing the parents it made
 */
export function createDataDir(path: string): string[] {
  const created: string[] = [];
  const parts = path.split("/");
  try {
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (prefix === "" || prefix === "." || prefix === "..") continue;
      const last = i === parts.length;
      try {
        Deno.mkdirSync(prefix, { mode: last ? DATA_DIR_MODE : 0o777 });
        created.push(prefix);
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists) || last) throw _mkdirError(prefix, e);
        if (!Deno.statSync(prefix).isDirectory) {
          throw new InitdbError(`could not create directory "${path}": Not a directory`);
        }
      }
    }
    // mkdir's mode passes through the umask; the data directory must be exactly 0700.
    Deno.chmodSync(path, DATA_DIR_MODE);
  } catch (e) {
    removeCreatedDirs(created);
    throw e instanceof InitdbError ? e : _mkdirError(path, e);
  }
  return created;
}

function _mkdirError(path: string, e: unknown): InitdbError {
  return new InitdbError(`could not create directory "${path}": ${osErrorText(e)}`, {
    cause: e,
    detail: _refusedDetail(e),
  });
}

/** Why `Permission denied` when Deno, not the operating system, refused the path. */
function _refusedDetail(e: unknown): string | undefined {
  return e instanceof Deno.errors.NotCapable ? DENO_REFUSED_PATH_DETAIL : undefined;
}

/**
 * Sets an existing, empty data directory's mode to 0700.
 *
 * @param path the data directory
 * @throws {InitdbError} `could not change permissions of directory "…": …`
 */
export function fixDataDirPermissions(path: string): void {
  try {
    Deno.chmodSync(path, DATA_DIR_MODE);
  } catch (e) {
    throw new InitdbError(`could not change permissions of directory "${path}": ${osErrorText(e)}`, { cause: e });
  }
}

/**
 * Removes directories that createDataDir made, innermost first, each with
 * whatever is in it. Never throws: cleanup is best effort, as PostgreSQL's.
 *
 * @param created the list createDataDir returned
 * @returns true when everything was removed
 */
export function removeCreatedDirs(created: readonly string[]): boolean {
  let ok = true;
  for (const dir of [...created].reverse()) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) ok = false;
    }
  }
  return ok;
}

/**
 * Removes everything inside a directory, keeping the directory itself (for
 * a data directory that existed, empty, before initdb ran).
 *
 * @param path the directory
 * @returns true when it is empty again
 */
export function emptyDirectory(path: string): boolean {
  let ok = true;
  try {
    for (const entry of Deno.readDirSync(path)) {
      try {
        Deno.removeSync(`${path}/${entry.name}`, { recursive: true });
      } catch {
        ok = false;
      }
    }
  } catch {
    return false;
  }
  return ok;
}
