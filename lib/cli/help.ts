/**
 * help.ts — `--help` text in PostgreSQL's shape, generated from a program's
 * commander options so the text never drifts from what is accepted.
 *
 * PostgreSQL counterpart: the usage() functions of src/bin/* (initdb's,
 * pg_ctl's), which print a one-line summary, `Usage:` lines, option groups
 * with `-x, --long=VALUE` terms aligned in a column, and a footer.
 *
 * NOTES
 * Pure text formatting; no I/O. Options go under `Options:` unless they were
 * given a group with commander's `.helpGroup(heading)`; `--help` and
 * `--version` always go last under `Other options:`, as in PostgreSQL.
 *
 * @module
 */

import type { Command, Help, Option } from "@commander-js/extra-typings";

/** The fixed parts of a PostgreSQL-style help text. */
export interface PgHelpText {
  /** First line: what the command does, as a sentence (`initdb initializes a … cluster.`). */
  readonly summary: string;
  /** Usage lines without indentation (`initdb [OPTION]... [DATADIR]`). */
  readonly usage: readonly string[];
  /** Paragraphs after the options (environment variables, defaults). */
  readonly footer?: string;
}

/** Column at which option descriptions start, as in PostgreSQL's usage() texts. */
const _DESCRIPTION_COLUMN = 28;
const _DEFAULT_GROUP = "Options:";
const _OTHER_GROUP = "Other options:";

/**
 * Returns an option's term as PostgreSQL writes it: `-A, --auth=METHOD`,
 * `      --auth-host=METHOD` (long only), `-L DIRECTORY` (short only).
 *
 * @param option a commander option
 * @returns the term, without the leading two-space indent
 */
export function pgOptionTerm(option: Pick<Option, "flags" | "short" | "long">): string {
  const value = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1];
  const placeholder = value === undefined ? "" : value.replace(/[- ]/g, "_").toUpperCase();
  const optionalValue = /\[[^\]]+\]$/.test(option.flags);
  if (option.long === undefined) return `${option.short}${placeholder === "" ? "" : ` ${placeholder}`}`;
  const longPart = placeholder === ""
    ? option.long
    : optionalValue
    ? `${option.long}[=${placeholder}]`
    : `${option.long}=${placeholder}`;
  return option.short === undefined ? `    ${longPart}` : `${option.short}, ${longPart}`;
}

/**
 * Formats the help text of `cmd` in PostgreSQL's shape.
 *
 * @param cmd the command
 * @param helper commander's helper (lists the visible options)
 * @param text summary, usage lines and footer
 * @returns the whole help text, ending with a newline
 */
export function formatPgHelp(cmd: Command, helper: Help, text: PgHelpText): string {
  const groups = new Map<string, string[]>();
  const other: string[] = [];
  for (const option of helper.visibleOptions(cmd)) {
    const term = `  ${pgOptionTerm(option)}`;
    const line = term.length < _DESCRIPTION_COLUMN - 1
      ? `${term.padEnd(_DESCRIPTION_COLUMN)}${option.description}`
      : `${term}\n${" ".repeat(_DESCRIPTION_COLUMN)}${option.description}`;
    if (option.long === "--help" || option.long === "--version") {
      other.push(line);
      continue;
    }
    const heading = option.helpGroupHeading ?? _DEFAULT_GROUP;
    groups.set(heading, [...(groups.get(heading) ?? []), line]);
  }
  groups.set(_OTHER_GROUP, [...(groups.get(_OTHER_GROUP) ?? []), ...other]);
  let out = `${text.summary}\n\nUsage:\n${text.usage.map((u) => `  ${u}\n`).join("")}`;
  for (const [heading, lines] of groups) {
    if (lines.length > 0) out += `\n${heading}\n${lines.join("\n")}\n`;
  }
  if (text.footer !== undefined) out += `\n${text.footer.replace(/\n*$/, "")}\n`;
  return out;
}

/**
 * Makes `program --help` print PostgreSQL-style help (see {@link formatPgHelp}).
 *
 * @param program a program from `newProgram()`
 * @param text summary, usage lines and footer
 * @example
 * ```ts
 * usePgStyleHelp(program, { summary: "ctl is a utility to …", usage: ["ctl start [-D DATADIR] …"] });
 * ```
 */
export function usePgStyleHelp(program: Command<unknown[], Record<string, unknown>>, text: PgHelpText): void {
  program.configureHelp({ formatHelp: (cmd, helper) => formatPgHelp(cmd as Command, helper, text) });
}
