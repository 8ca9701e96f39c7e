/**
 * initdb_main.ts — initdb itself: lays out a new data directory, writes its
 * configuration, bootstraps WAL, pg_control and the catalogs, syncs it all
 * to disk, and on any failure removes what it made.
 *
 * PostgreSQL counterpart: main(), initialize_data_directory(),
 * create_data_directory(), setup_config(), bootstrap_template1(),
 * make_template0(), and the exit cleanup in src/bin/initdb/initdb.c.
 *
 * NOTES
 * Output is PostgreSQL's initdb's, line for line where denogres does the same
 * thing: progress on stdout (`creating subdirectories ... ok`), errors on
 * stderr as `initdb: error: …` with `detail:`/`hint:` lines. Failure: any
 * error after the data directory was made removes it (and any parent
 * directories initdb created); an existing empty directory is kept and
 * emptied; `-n` keeps everything. SIGINT, SIGTERM, SIGHUP and SIGQUIT are
 * caught: the step in progress finishes, then initdb cleans up and exits 1
 * (`caught signal`), as PostgreSQL's trapsig/check_ok. SIGKILL leaves the
 * partial directory behind, as with PostgreSQL. Durability: everything is
 * fsynced once at the end unless `-N`. See README.md.
 *
 * @module
 */

import { scramBuildVerifier } from "../auth/mod.ts";
import { bootstrapCatalog } from "../catalog/mod.ts";
import { findGuc, loadSettings } from "../config/mod.ts";
import { bootStrapXlog, generateSystemIdentifier } from "../wal/mod.ts";
import {
  type ChosenSetting,
  confValueText,
  initdbChosenSettings,
  pgHbaConfText,
  POSTGRESQL_AUTO_CONF_TEXT,
  postgresqlConfText,
} from "./conf_files.ts";
import {
  checkDataDir,
  createDataDir,
  emptyDirectory,
  fixDataDirPermissions,
  notEmptyError,
  removeCreatedDirs,
} from "./data_dir.ts";
import { InitdbError } from "./initdb_error.ts";
import { createSubdirectories, writeDataFile, writeVersionFile } from "./layout.ts";
import { CLUSTER_LOCALE, type InitdbOptions, SERVER_ENCODING } from "./options.ts";
import { effectiveUserName } from "./os_user.ts";
import { promptPassword, readPasswordFile } from "./password.ts";
import { syncDirectoryTree } from "./sync.ts";
import { NAME_DATA_LEN } from "../common/limits.ts";
import { assert } from "../common/assert.ts";

const _PROG = "initdb";
const _SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
const _encoder = new TextEncoder();

function _write(stream: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
  const bytes = _encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

function _out(text: string): void {
  _write(Deno.stdout, text);
}

function _err(kind: "error" | "warning" | "detail" | "hint" | "", text: string): void {
  _write(Deno.stderr, `${_PROG}: ${kind === "" ? "" : `${kind}: `}${text}\n`);
}

/** What this run has made, so a failure removes exactly that; and whether a signal came. */
class _InitdbRun {
  /** Directories createDataDir made (parents first); empty when the data directory existed. */
  createdDirs: string[] = [];
  /** The data directory existed, empty, before this run: on failure empty it, keep it. */
  foundExistingPgdata = false;
  /** A termination signal arrived; the next step boundary stops the run. */
  caughtSignal = false;
  /** Waiting for the password on standard input, before anything is made: a signal ends the run at once. */
  awaitingInput = false;

  constructor(readonly options: InitdbOptions) {}

  /** Called between steps; lets signal listeners run, then stops the run if one fired. */
  async checkpoint(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (this.caughtSignal) throw new InitdbError("caught signal");
  }

  /** Removes what this run made, printing PostgreSQL's messages. Never throws. */
  cleanup(): void {
    const dir = this.options.dataDir;
    const madeNew = this.createdDirs.length > 0;
    if (!madeNew && !this.foundExistingPgdata) return;
    if (this.options.noClean) {
      _err("", `data directory "${dir}" not removed at user's request`);
      return;
    }
    if (madeNew) {
      _err("", `removing data directory "${dir}"`);
      if (!removeCreatedDirs(this.createdDirs)) _err("error", "failed to remove data directory");
    } else {
      _err("", `removing contents of data directory "${dir}"`);
      if (!emptyDirectory(dir)) _err("error", "failed to remove contents of data directory");
    }
  }
}

/** Runs `fn` as one progress line: `label ... ` then `ok`, or the text `fn` returns. */
async function _step(run: _InitdbRun, label: string, fn: () => string | void | Promise<void>): Promise<void> {
  await run.checkpoint();
  _out(`${label} ... `);
  const shown = await fn();
  _out(`${shown ?? "ok"}\n`);
}

function _shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}

function _superuserName(options: InitdbOptions, osUser: string): string {
  const name = options.superuser ?? osUser;
  if (_encoder.encode(name).length >= NAME_DATA_LEN) {
    throw new InitdbError(`superuser name "${name}" is too long`, {
      detail: `Role names are at most ${NAME_DATA_LEN - 1} bytes.`,
    });
  }
  return name;
}

async function _superuserVerifier(options: InitdbOptions): Promise<string | undefined> {
  let password: string;
  if (options.pwfile !== undefined) password = readPasswordFile(options.pwfile);
  else if (options.pwprompt) password = await promptPassword();
  else return undefined;
  try {
    return scramBuildVerifier(password);
  } catch (e) {
    if (e instanceof RangeError) throw new InitdbError(`password is too long: ${e.message}`, { cause: e });
    throw e;
  }
}

function _printHeader(options: InitdbOptions, osUser: string): void {
  _out(
    `The files belonging to this database system will be owned by user "${osUser}".\n` +
      "This user must also own the server process.\n\n" +
      `The database cluster will be initialized with locale "${CLUSTER_LOCALE}".\n` +
      (options.encodingGiven ? "" : `The default database encoding has been set to "${SERVER_ENCODING}".\n`) +
      `The default text search configuration will be set to "english".\n\n` +
      "Data page checksums are enabled.\n",
  );
}

async function _makeDataDirectory(run: _InitdbRun): Promise<void> {
  const dir = run.options.dataDir;
  const state = checkDataDir(dir);
  if (state.kind === "not-empty") throw notEmptyError(dir, state);
  if (state.kind === "missing") {
    await _step(run, `creating directory ${dir}`, () => {
      run.createdDirs = createDataDir(dir);
    });
  } else {
    run.foundExistingPgdata = true;
    await _step(run, `fixing permissions on existing directory ${dir}`, () => fixDataDirPermissions(dir));
  }
}

/** A chosen value as PostgreSQL's initdb shows it on a `selecting …` line: as in the file, unquoted. */
function _shown(chosen: readonly ChosenSetting[], name: string): string {
  const c = chosen.find((x) => x.name === name);
  const def = findGuc(name);
  assert(c !== undefined && def !== undefined, `initdb chooses ${name}`);
  return confValueText(def, c.value).replace(/^'(.*)'$/, "$1");
}

async function _initializeCluster(run: _InitdbRun): Promise<void> {
  const options = run.options;
  const osUser = effectiveUserName();
  const superuser = _superuserName(options, osUser);
  _printHeader(options, osUser);
  run.awaitingInput = true;
  const verifier = await _superuserVerifier(options);
  run.awaitingInput = false;
  _out("\n");
  await _makeDataDirectory(run);
  const dir = options.dataDir;
  await _step(run, "creating subdirectories", () => {
    createSubdirectories(dir);
    writeVersionFile(dir);
  });
  const chosen = initdbChosenSettings(options.walSegmentSizeBytes);
  await _step(
    run,
    "selecting dynamic shared memory implementation",
    () => _shown(chosen, "dynamic_shared_memory_type"),
  );
  await _step(run, "selecting default max_connections", () => _shown(chosen, "max_connections"));
  await _step(run, "selecting default shared_buffers", () => _shown(chosen, "shared_buffers"));
  await _step(run, "selecting default time zone", () => _shown(chosen, "TimeZone"));
  await _step(run, "creating configuration files", () => {
    writeDataFile(`${dir}/postgresql.conf`, postgresqlConfText(chosen));
    writeDataFile(`${dir}/postgresql.auto.conf`, POSTGRESQL_AUTO_CONF_TEXT);
    writeDataFile(`${dir}/pg_hba.conf`, pgHbaConfText(options.authLocal, options.authHost));
  });
  // Read the files back with the server's own reader: what initdb wrote must load.
  const settings = (await loadSettings(dir)).with("wal_segment_size", options.walSegmentSizeBytes, "command line");
  await _step(run, "running bootstrap script", () => {
    bootStrapXlog(dir, settings, generateSystemIdentifier());
  });
  await _step(run, "performing post-bootstrap initialization", async () => {
    await bootstrapCatalog(dir, { superuser, superuserVerifier: verifier });
  });
  if (options.noSync) {
    _out("\nSync to disk skipped.\nThe data directory might become corrupt if the operating system crashes.\n");
  } else {
    await _step(run, "syncing data to disk", () => {
      syncDirectoryTree(dir);
    });
  }
  await run.checkpoint();
}

function _printSuccess(options: InitdbOptions): void {
  if (options.authWarning) {
    _out("\n");
    _err("warning", 'enabling "trust" authentication for local connections');
    _err(
      "hint",
      "You can change this by editing pg_hba.conf or using the option -A, or --auth-local and --auth-host, " +
        "the next time you run initdb.",
    );
  }
  if (options.noInstructions) return;
  _out(
    "\nSuccess. You can now start the database server using:\n\n" +
      `    ctl -D ${_shellQuote(options.dataDirAsGiven)} -l logfile start\n\n`,
  );
}

function _reportError(e: unknown): void {
  if (e instanceof InitdbError) {
    _err("error", e.message);
    if (e.detail !== undefined) _err("detail", e.detail);
    if (e.hint !== undefined) _err("hint", e.hint);
  } else if (e instanceof Error && e.name === "SqlError") {
    _err("error", e.message);
  } else {
    _err("error", `unexpected failure: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
}

/**
 * Creates a new database cluster, as PostgreSQL's initdb.
 *
 * @param options checked options (see options.ts)
 * @returns the exit status: 0 on success, 1 on failure (after cleanup)
 * @example
 * ```ts
 * Deno.exit(await initdbMain(resolveInitdbOptions("./data", { clean: true, sync: true, instructions: true })));
 * ```
 */
export async function initdbMain(options: InitdbOptions): Promise<number> {
  const run = new _InitdbRun(options);
  const onSignal = () => {
    run.caughtSignal = true;
    if (!run.awaitingInput) return;
    // A read of standard input does not return on a signal; nothing has been made yet, so stop here.
    assert(run.createdDirs.length === 0 && !run.foundExistingPgdata, "nothing is made before the password is read");
    if (Deno.stdin.isTerminal()) Deno.stdin.setRaw(false);
    _err("error", "caught signal");
    Deno.exit(1);
  };
  for (const s of _SIGNALS) Deno.addSignalListener(s, onSignal);
  try {
    await _initializeCluster(run);
    _printSuccess(options);
    return 0;
  } catch (e) {
    _reportError(e);
    run.cleanup();
    return 1;
  } finally {
    for (const s of _SIGNALS) Deno.removeSignalListener(s, onSignal);
  }
}
