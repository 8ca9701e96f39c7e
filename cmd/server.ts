/**
 * server — the denogres postmaster (PostgreSQL's `postgres`), in the
 * foreground; also the entry point of every child process it starts
 * (`--child=<type>`). See lib/postmaster/README.md.
 *
 * @module
 */
import { childMain, serverCommandMain } from "../lib/postmaster/mod.ts";

if (Deno.args[0]?.startsWith("--child=")) await childMain(Deno.args);
else await serverCommandMain(Deno.args);
