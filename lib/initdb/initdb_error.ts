/**
 * initdb_error.ts — a failure of initdb, with PostgreSQL's three-part shape.
 *
 * PostgreSQL counterpart: pg_fatal(), pg_log_error_detail() and
 * pg_log_error_hint() in src/common/logging.c, as initdb uses them.
 *
 * NOTES
 * Thrown by the pieces of initdb for expected operating errors (a path that
 * cannot be created, an unreadable password file); initdbMain prints it as
 * `initdb: error: …` plus optional `initdb: detail: …` and `initdb: hint: …`
 * lines, removes what it created, and exits 1. Usage mistakes are
 * lib/cli's UsageError instead (they carry a `--help` hint).
 *
 * @module
 */

/** An operating error of initdb, printed as PostgreSQL's initdb prints its errors. */
export class InitdbError extends Error {
  /** Second line, `initdb: detail: …`, if any. */
  readonly detail?: string;
  /** Last line, `initdb: hint: …`, if any. */
  readonly hint?: string;

  /**
   * @param message one line, lower case, no trailing period
   * @param fields optional detail and hint (full sentences)
   */
  constructor(message: string, fields: { detail?: string; hint?: string; cause?: unknown } = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = "InitdbError";
    this.detail = fields.detail;
    this.hint = fields.hint;
  }
}

/**
 * The detail line for a path Deno refused (NotCapable): Deno 2 lets no
 * process without `--allow-all` touch anything under /dev, /proc or /sys,
 * whatever its `--allow-read`/`--allow-write`, and bin/initdb does not run
 * with `--allow-all`.
 */
export const DENO_REFUSED_PATH_DETAIL =
  "Deno, which denogres runs on, refuses access to paths under /dev, /proc and /sys.";

/**
 * Returns the operating-system reason of a Deno file-system error as
 * strerror(3) words it (`No such file or directory`), for messages of the
 * form `could not create directory "…": No such file or directory`. A path
 * Deno's permission checks refused (NotCapable, e.g. under /proc) is
 * `Permission denied`, what it is; never Deno's own `--allow-all` text.
 *
 * @param e the error thrown by a Deno file-system call
 * @returns the reason
 */
export function osErrorText(e: unknown): string {
  if (e instanceof Deno.errors.NotCapable) return "Permission denied";
  if (!(e instanceof Error)) return String(e);
  const m = /^(.*?) \(os error \d+\)/.exec(e.message);
  return m === null ? e.message : m[1];
}
