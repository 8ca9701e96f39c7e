/**
 * cleanup.ts — the benchmark's undo list: every process group, cluster and
 * directory the harness makes is registered here and undone, newest first,
 * at the end of a run, on an exception, and on SIGINT/SIGTERM.
 *
 * PostgreSQL counterpart: none (pgbench and the regression driver
 * pg_regress clean up their temporary instance in the same spirit:
 * pg_regress's `atexit` stop of the temp postmaster).
 *
 * NOTES
 * Actions are async and must be idempotent (an interrupt may arrive while
 * the normal `finally` path is already undoing). {@link runCleanup} runs
 * each action once, catching and logging its failure so one broken step
 * cannot leave the rest undone. The signal handlers run the list and exit
 * with 128 + signal number, as a shell would report. From the signal on,
 * {@link interrupted} is true: the run loop stops at its next step and no
 * new process is started except by cleanup itself (proc.ts checks), so an
 * interrupted workload cannot restart a cluster that cleanup is stopping.
 *
 * @module
 */

/** One undo step: a label for the log and the action. */
interface _CleanupEntry {
  readonly label: string;
  readonly action: () => Promise<void>;
}

const _entries: _CleanupEntry[] = [];
let _running: Promise<void> | undefined;
let _signalsInstalled = false;
let _interrupted = false;

/** Thrown by the harness's steps once SIGINT/SIGTERM arrived: the run stops, only cleanup runs. */
export class InterruptedError extends Error {
  constructor() {
    super("interrupted");
    this.name = "InterruptedError";
  }
}

/** Whether SIGINT/SIGTERM arrived; from then on only cleanup steps may start processes. */
export function interrupted(): boolean {
  return _interrupted;
}

/** Most undo steps a run may register (clusters, dirs, live children). */
const CLEANUP_ENTRIES_MAX = 10000;

/**
 * Registers an undo step; returns a function that removes it again (for
 * things undone on the normal path, e.g. a finished child process).
 *
 * @param label what is undone, for the log
 * @param action idempotent async undo
 * @returns a function that unregisters the step without running it
 */
export function onCleanup(label: string, action: () => Promise<void>): () => void {
  if (_entries.length >= CLEANUP_ENTRIES_MAX) throw new RangeError(`more than ${CLEANUP_ENTRIES_MAX} cleanup steps`);
  const entry = { label, action };
  _entries.push(entry);
  return () => {
    const i = _entries.indexOf(entry);
    if (i >= 0) _entries.splice(i, 1);
  };
}

/**
 * Runs every registered undo step, newest first, once. Concurrent callers
 * share the same run.
 *
 * @param log where failures of single steps are reported
 */
export function runCleanup(log: (line: string) => void = console.error): Promise<void> {
  _running ??= (async () => {
    while (_entries.length > 0) {
      const entry = _entries.pop()!;
      try {
        await entry.action();
      } catch (e) {
        log(`bench: warning: cleanup of ${entry.label} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  })().finally(() => {
    _running = undefined;
  });
  return _running;
}

/**
 * Installs SIGINT and SIGTERM handlers that undo everything and exit
 * 130 / 143. Safe to call more than once.
 *
 * @param log progress output
 */
export function installSignalCleanup(log: (line: string) => void = console.error): void {
  if (_signalsInstalled) return;
  _signalsInstalled = true;
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    Deno.addSignalListener(signal, () => {
      if (_interrupted) return; // a second signal while cleaning up: the first one's cleanup goes on
      _interrupted = true;
      log(`bench: ${signal} received, stopping clusters and removing temporary files`);
      runCleanup(log).finally(() => Deno.exit(code));
    });
  }
}
