/**
 * critical_section.ts — code that must not fail half-way: any error inside
 * becomes a PANIC that crashes the process, so the postmaster resets the
 * cluster and WAL replay repairs the state.
 *
 * PostgreSQL counterpart: START_CRIT_SECTION / END_CRIT_SECTION
 * (src/include/miscadmin.h) and errstart()'s promotion of ERROR to PANIC
 * inside a critical section (src/backend/utils/error/elog.c).
 *
 * NOTES
 * Used around WAL insertion after space is reserved (a hole in the WAL
 * would stall every later flush), around the page change + WAL record +
 * mark-dirty sequence, and around fsync failures (the kernel may have
 * dropped the dirty pages). The process logs `PANIC:` and kills itself with
 * SIGABRT, never exit 0 or 1, so even a backend's crash is seen as one.
 *
 * @module
 */

import { SqlError } from "../common/errors.ts";
import { libc } from "../ffi/libc.ts";
import { elog } from "../log/mod.ts";

/** SIGABRT: the signal a PANIC dies by, as PostgreSQL's abort(). */
const _SIGABRT = 6;

/**
 * Logs a PANIC and crashes the process at once (ereport(PANIC)).
 *
 * @param message PostgreSQL's wording
 * @returns never
 */
export function panic(message: string): never {
  elog("PANIC", message);
  libc().kill(Deno.pid, _SIGABRT);
  Deno.exit(134);
}

/**
 * Runs `fn`; if it throws, PANICs with the error's message.
 *
 * @param fn the critical section
 * @returns what `fn` returns
 * @example
 * ```ts
 * const lsn = criticalSection(() => { changePage(); return xlogInsert(...); });
 * ```
 */
export function criticalSection<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    panic(e instanceof SqlError || e instanceof Error ? e.message : String(e));
  }
}
