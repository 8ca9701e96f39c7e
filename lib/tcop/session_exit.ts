/**
 * session_exit.ts — the sentinel that unwinds a session whose process exit
 * has begun.
 *
 * PostgreSQL counterpart: none directly; ereport(FATAL) calls proc_exit()
 * and never returns, which a JS process cannot do while its last bytes are
 * still being written, so the code unwinds with this instead.
 *
 * NOTES
 * Thrown only after the FATAL was sent and the exit scheduled; every catch
 * in lib/tcop rethrows it, and backendMain waits for the exit.
 *
 * @module
 */

/** Unwinds a session after its exit has begun. */
export class SessionExit extends Error {
  constructor() {
    super("session is exiting");
    this.name = "SessionExit";
  }
}
