/**
 * Command-line conventions shared by the executables. See README.md.
 *
 * @module
 */
export { formatPgHelp, type PgHelpText, pgOptionTerm, usePgStyleHelp } from "./help.ts";
export { dataDirectoryFrom, DENOGRES_VERSION, fatal, newProgram, runProgram, UsageError } from "./program.ts";
