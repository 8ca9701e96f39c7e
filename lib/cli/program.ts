/**
 * program.ts — command-line conventions shared by every executable, on
 * commander (+ @commander-js/extra-typings).
 *
 * PostgreSQL counterpart: the option handling of src/bin/* (pg_log_error,
 * pg_log_error_hint, the `--help`/`--version` conventions).
 *
 * NOTES
 * Usage errors print one line `prog: error: …` and a hint line
 * `prog: hint: Try "prog --help" for more information.`, then exit 1, as
 * PostgreSQL's tools do. Runtime failures use {@link fatal} with the same
 * shape. Requires `--allow-env` for PGDATA.
 *
 * @module
 */

import { Command, CommanderError } from "@commander-js/extra-typings";
import { PG_MAJOR_VERSION } from "../common/limits.ts";

/** denogres's own version, shown by `--version`. */
export const DENOGRES_VERSION = "0.1.0";

/** A usage error: printed with a `--help` hint, exit status 1. */
export class UsageError extends Error {
  /** Optional hint replacing the default `Try "prog --help"` one. */
  readonly hint?: string;
  /**
   * @param message one line, lower case, no trailing period
   * @param hint a more specific hint
   */
  constructor(message: string, hint?: string) {
    super(message);
    this.name = "UsageError";
    this.hint = hint;
  }
}

/**
 * Creates a program with the shared conventions: `--version` printing
 * `prog (denogres) 0.1.0; PostgreSQL 15 compatible`, `--help`, and usage
 * errors raised instead of printed.
 *
 * @param name the command's name as the user types it (`initdb`, `ctl`)
 * @param description one line for `--help`
 * @returns the commander program
 * @example
 * ```ts
 * const program = newProgram("initdb", "creates a new database cluster")
 *   .argument("[datadir]");
 * await runProgram(program, Deno.args, async () => { ... });
 * ```
 */
export function newProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .version(
      `${name} (denogres) ${DENOGRES_VERSION}; PostgreSQL ${PG_MAJOR_VERSION} compatible`,
      "-V, --version",
      "output version information, then exit",
    )
    .helpOption("-?, --help", "show this help, then exit")
    .exitOverride()
    // No colours, as PostgreSQL's tools; this also keeps commander from reading NO_COLOR/FORCE_COLOR,
    // which a wrapper's --allow-env list would otherwise have to grant.
    .configureOutput({ writeErr: () => {}, getOutHasColors: () => false, getErrHasColors: () => false })
    .showHelpAfterError(false);
}

/**
 * Prints an error in PostgreSQL tools' shape and exits 1.
 *
 * @param prog the command's name
 * @param message one line, lower case
 * @param hint optional hint line
 * @returns never
 */
export function fatal(prog: string, message: string, hint?: string): never {
  console.error(`${prog}: error: ${message}`);
  if (hint !== undefined) console.error(`${prog}: hint: ${hint}`);
  Deno.exit(1);
}

/**
 * Parses `args` and runs the action; turns usage errors into PostgreSQL's
 * two-line message and exit status 1, and lets `--help`/`--version` exit 0.
 *
 * @param program a program from {@link newProgram} (with its action set)
 * @param args command-line arguments, without the program name
 */
export async function runProgram(
  program: Command<unknown[], Record<string, unknown>>,
  args: readonly string[],
): Promise<void> {
  const prog = program.name();
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") {
        Deno.exit(0);
      }
      fatal(prog, _usageMessage(program, e), `Try "${prog} --help" for more information.`);
    }
    if (e instanceof UsageError) {
      fatal(prog, e.message, e.hint ?? `Try "${prog} --help" for more information.`);
    }
    throw e;
  }
}

/**
 * Rewords commander's usage errors as PostgreSQL's tools word them: lower
 * case, no trailing period, `too many command-line arguments (first is "…")`.
 */
function _usageMessage(program: Command<unknown[], Record<string, unknown>>, e: CommanderError): string {
  if (e.code === "commander.excessArguments") {
    const first = program.args[program.registeredArguments.length];
    return `too many command-line arguments (first is "${first}")`;
  }
  return e.message.replace(/^error: /, "").replace(/\.$/, "");
}

/**
 * Returns the data directory from `-D` or `PGDATA`, as PostgreSQL's tools.
 *
 * @param fromOption the `-D` value, if given
 * @param hint the PostgreSQL hint to show when neither is set
 * @returns the directory
 * @throws {UsageError} when neither is set
 */
export function dataDirectoryFrom(fromOption: string | undefined, hint: string): string {
  const dir = fromOption ?? Deno.env.get("PGDATA");
  if (dir === undefined || dir === "") throw new UsageError("no data directory specified", hint);
  return dir;
}
