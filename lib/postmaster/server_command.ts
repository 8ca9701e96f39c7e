/**
 * server_command.ts — the `server` command line: PostgreSQL's `postgres`
 * options, turned into settings for {@link postmasterMain}.
 *
 * PostgreSQL counterpart: the getopt loop of PostmasterMain() and
 * ParseLongOption() in src/backend/postmaster/postmaster.c,
 * InitializeGUCOptionsFromEnvironment() in src/backend/utils/misc/guc.c,
 * and the "does not know where to find the server configuration file"
 * check of SelectConfigFiles() (guc.c).
 *
 * NOTES
 * `-p`, `-k` and `-h` are shorthands for the `port`,
 * `unix_socket_directories` and `listen_addresses` parameters; `-c n=v` and
 * `--n=v` set any parameter (dashes in the name become underscores). They
 * apply in command-line order (a later one wins), over the configuration
 * files, which are over `PGPORT`. As PostgreSQL, `PGPORT` and then each
 * option are checked before any file is read: the first bad one is
 * `FATAL:  invalid value for parameter "port": "abc"` (or
 * `unrecognized configuration parameter`, `-c x requires a value`), exit 1.
 * Other usage errors follow the project's CLI convention (one line, a hint,
 * exit 1); a missing data directory exits 2 as PostgreSQL does. Requires
 * `--allow-env` (PGDATA, PGPORT).
 *
 * @module
 */

import { newProgram, runProgram } from "../cli/mod.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { checkGucOption, type GucOption, gucOptionsFromEnvironment } from "../config/mod.ts";
import { elog } from "../log/mod.ts";
import { postmasterMain } from "./postmaster.ts";

const _REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** The option that carries a `--name=value` through commander, in its place among the others. */
const _LONG_OPTION = "--long-option";
/** Short options whose value is the next argument (so a `--x=y` there is a value, as for getopt). */
const _TAKES_VALUE = new Set(["-D", "-p", "-k", "-h", "-c"]);
const _SHORTHANDS: Readonly<Record<string, string>> = {
  "-p": "port",
  "-k": "unix_socket_directories",
  "-h": "listen_addresses",
};

/** Rewrites each `--name[=value]` (not `--help`, `--version` or `--`) as `--long-option name[=value]`. */
function _markLongOptions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const isValue = i > 0 && _TAKES_VALUE.has(argv[i - 1]);
    if (!isValue && /^--[^-]/.test(a) && !/^--(help|version)$/.test(a)) out.push(_LONG_OPTION, a.slice(2));
    else out.push(a);
  }
  return out;
}

/** A command-line option as a parameter setting, as ParseLongOption() (dashes in the name become underscores). */
function _toGucOption(flag: string, text: string): GucOption {
  const name = _SHORTHANDS[flag];
  if (name !== undefined) return { name, value: text };
  const eq = text.indexOf("=");
  if (eq < 0) {
    throw new SqlError(SqlState.SYNTAX_ERROR, `${flag === "-c" ? "-c " : "--"}${text} requires a value`);
  }
  return { name: text.slice(0, eq).replaceAll("-", "_"), value: text.slice(eq + 1) };
}

/**
 * Parses the `server` command line and runs the postmaster.
 *
 * @param argv the arguments (without the program name)
 * @returns never (the process exits)
 */
export async function serverCommandMain(argv: readonly string[]): Promise<void> {
  const given: { flag: string; text: string }[] = [];
  const collect = (flag: string) => (text: string) => {
    given.push({ flag, text });
    return text;
  };
  const program = newProgram("server", "the denogres server (postmaster), in the foreground")
    .option("-D <datadir>", "database directory")
    .option("-p <port>", "port number to listen on", collect("-p"))
    .option("-k <directories>", "Unix-domain socket locations", collect("-k"))
    .option("-h <hostname>", "host name or IP address to listen on", collect("-h"))
    .option("-c <name=value>", "set run-time parameter", collect("-c"));
  program.addOption(program.createOption(`${_LONG_OPTION} <name=value>`).hideHelp().argParser(collect("--")));
  program.action(async (opts) => {
    const environment = gucOptionsFromEnvironment();
    const commandLine: GucOption[] = [];
    try {
      for (const option of environment) checkGucOption(option);
      for (const g of given) {
        const option = _toGucOption(g.flag, g.text);
        checkGucOption(option);
        commandLine.push(option);
      }
    } catch (e) {
      if (!(e instanceof SqlError)) throw e;
      elog("FATAL", e.message, { hint: e.hint });
      Deno.exit(1);
    }
    const dataDir = opts.D ?? Deno.env.get("PGDATA");
    if (dataDir === undefined || dataDir === "") {
      console.error(
        "server does not know where to find the server configuration file.\n" +
          "You must specify the -D invocation option or set the PGDATA environment variable.",
      );
      Deno.exit(2);
    }
    await postmasterMain({
      dataDir,
      commandLine,
      environment,
      argv: [...argv],
      program: `${_REPO_ROOT}/bin/server`,
    });
  });
  await runProgram(program, _markLongOptions(argv));
}
