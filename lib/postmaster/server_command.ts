/**
 * server_command.ts — the `server` command line: PostgreSQL's `postgres`
 * options, turned into settings for {@link postmasterMain}.
 *
 * PostgreSQL counterpart: the getopt loop of PostmasterMain() and
 * ParseLongOption() in src/backend/postmaster/postmaster.c, and the
 * "does not know where to find the server configuration file" check of
 * SelectConfigFiles() (src/backend/utils/misc/guc.c).
 *
 * NOTES
 * `-p`, `-k` and `-h` are shorthands for the `port`,
 * `unix_socket_directories` and `listen_addresses` parameters; `-c n=v` and
 * `--n=v` set any parameter (dashes in the name become underscores).
 * Usage errors follow the project's CLI convention (one line, a hint, exit
 * 1); a missing data directory exits 2 as PostgreSQL does. Requires
 * `--allow-env` (PGDATA).
 *
 * @module
 */

import { newProgram, runProgram, UsageError } from "../cli/mod.ts";
import { postmasterMain } from "./postmaster.ts";

const _REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

function _parseLongOption(text: string, flag: string): { name: string; value: string } {
  const eq = text.indexOf("=");
  if (eq < 0) throw new UsageError(`${flag}${text} requires a value`);
  return { name: text.slice(0, eq).replaceAll("-", "_"), value: text.slice(eq + 1) };
}

/**
 * Parses the `server` command line and runs the postmaster.
 *
 * @param argv the arguments (without the program name)
 * @returns never (the process exits)
 */
export async function serverCommandMain(argv: readonly string[]): Promise<void> {
  // `--name=value` is PostgreSQL's long form of `-c name=value`; commander would reject it as unknown.
  const longOpts = argv.filter((a) => /^--[A-Za-z_][A-Za-z0-9_-]*=/.test(a) && !a.startsWith("--help"));
  const rest = argv.filter((a) => !longOpts.includes(a));
  const program = newProgram("server", "the denogres server (postmaster), in the foreground")
    .option("-D <datadir>", "database directory")
    .option("-p <port>", "port number to listen on")
    .option("-k <directories>", "Unix-domain socket locations")
    .option("-h <hostname>", "host name or IP address to listen on")
    .option(
      "-c <name=value>",
      "set run-time parameter",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .action(async (opts) => {
      const commandLine: { name: string; value: string }[] = [];
      for (const c of opts.c ?? []) commandLine.push(_parseLongOption(c, "-c "));
      for (const l of longOpts) commandLine.push(_parseLongOption(l.slice(2), "--"));
      if (opts.p !== undefined) commandLine.push({ name: "port", value: opts.p });
      if (opts.k !== undefined) commandLine.push({ name: "unix_socket_directories", value: opts.k });
      if (opts.h !== undefined) commandLine.push({ name: "listen_addresses", value: opts.h });
      const dataDir = opts.D ?? Deno.env.get("PGDATA");
      if (dataDir === undefined || dataDir === "") {
        console.error(
          "server does not know where to find the server configuration file.\n" +
            "You must specify the -D invocation option or set the PGDATA environment variable.",
        );
        Deno.exit(2);
      }
      await postmasterMain({ dataDir, commandLine, argv: [...argv], program: `${_REPO_ROOT}/bin/server` });
    });
  await runProgram(program, rest);
}
