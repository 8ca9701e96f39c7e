/**
 * server — the denogres postmaster (PostgreSQL's `postgres`), in the
 * foreground; also the entry point of every child process it starts
 * (`--child=<type>`). See lib/postmaster/README.md.
 *
 * Each side imports only its own module graph, through a computed
 * specifier: Deno prepares every literal dynamic import at start, so a
 * literal would make each child read the postmaster's graph and the
 * postmaster every child's.
 *
 * @module
 */

function importLazily<T>(relative: string): Promise<T> {
  return import(new URL(relative, import.meta.url).href) as Promise<T>;
}

if (Deno.args[0]?.startsWith("--child=")) {
  const { childMain } = await importLazily<typeof import("../lib/postmaster/child_main.ts")>(
    "../lib/postmaster/child_main.ts",
  );
  await childMain(Deno.args);
} else {
  const { serverCommandMain } = await importLazily<typeof import("../lib/postmaster/server_command.ts")>(
    "../lib/postmaster/server_command.ts",
  );
  await serverCommandMain(Deno.args);
}
