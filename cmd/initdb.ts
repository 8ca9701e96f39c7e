/**
 * initdb — creates a new denogres database cluster.
 *
 * PostgreSQL counterpart: src/bin/initdb. Thin: parses the command line and
 * runs initdbMain (lib/initdb). Run it through bin/initdb, which gives it
 * its permissions.
 *
 * @module
 */
import { runProgram } from "../lib/cli/mod.ts";
import { initdbMain, initdbProgram } from "../lib/initdb/mod.ts";

await runProgram(initdbProgram(async (options) => Deno.exit(await initdbMain(options))), Deno.args);
