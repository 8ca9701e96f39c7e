/**
 * End-to-end: the `server` command line and PGPORT as PostgreSQL 15's
 * `postgres` takes them. PGPORT sets the port below postgresql.conf and
 * `-p`; a bad `-p`, `-c`, `--name=value` or PGPORT ends the start with
 * PostgreSQL's FATAL alone (no configuration file blamed), exit 1, and `ctl
 * start` reports it as pg_ctl does; an error in postgresql.auto.conf names
 * that file. Expected lines were taken from PostgreSQL 15 on the same cases.
 */
import { describe, expect, test } from "vitest";
import pg from "pg";
import { type Cluster, clusterScope, readPidFileLines, runCommand, runCtl, waitFor } from "./helpers/cluster.ts";

const REPO_ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const clusters = clusterScope();

/** Runs `bin/server` to its end (it fails before listening); returns its exit code and log lines, without prefix. */
async function serverFails(c: Cluster, args: string[], env: Record<string, string> = {}) {
  const r = await runCommand(`${REPO_ROOT}/bin/server`, ["-D", c.dataDir, "-k", c.dataDir, ...args], env);
  const lines = r.stderr.split("\n").filter((l) => l !== "").map((l) => l.replace(/^\S+ \S+ \S+ \[\d+\] /, ""));
  return { code: r.code, lines };
}

describe("server options", () => {
  test("a bad -p, -c, --name=value or PGPORT is a FATAL of its own, reported before any file", async () => {
    const c = await clusters.start({ port: 20085, noStart: true });
    // The file has an error too: PostgreSQL checks the command line first and never gets to it.
    Deno.writeTextFileSync(`${c.dataDir}/postgresql.conf`, "no_such_parameter = 1\n", { append: true });
    const cases: [string[], Record<string, string>, string[]][] = [
      [["-p", "abc"], {}, ['FATAL:  invalid value for parameter "port": "abc"']],
      [["-c", "nosuch=1"], {}, ['FATAL:  unrecognized configuration parameter "nosuch"']],
      [["-c", "nosuch"], {}, ["FATAL:  -c nosuch requires a value"]],
      [["--nosuch"], {}, ["FATAL:  --nosuch requires a value"]],
      [["--max-connections=0"], {}, [
        'FATAL:  0 is outside the valid range for parameter "max_connections" (1 .. 262143)',
      ]],
      [["-c", "server_version=1"], {}, ['FATAL:  parameter "server_version" cannot be changed']],
      [["-c", "shared_buffers=5min"], {}, [
        'FATAL:  invalid value for parameter "shared_buffers": "5min"',
        'HINT:  Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".',
      ]],
      // The first bad option in command-line order; PGPORT before all of them.
      [["-p", "abc", "-c", "nosuch=1"], {}, ['FATAL:  invalid value for parameter "port": "abc"']],
      [["-c", "nosuch=1", "-p", "abc"], {}, ['FATAL:  unrecognized configuration parameter "nosuch"']],
      [["-c", "nosuch=1"], { PGPORT: "99999" }, [
        'FATAL:  99999 is outside the valid range for parameter "port" (1 .. 65535)',
      ]],
      [[], { PGPORT: "" }, ['FATAL:  invalid value for parameter "port": ""']],
    ];
    for (const [args, env, want] of cases) {
      expect(await serverFails(c, args, env), `${JSON.stringify(env)} ${args.join(" ")}`).toEqual({
        code: 1,
        lines: want,
      });
    }
    expect(readPidFileLines(c.dataDir)).toBeUndefined();
  }, 120_000);

  test("errors in the files name the file that has them", async () => {
    const c = await clusters.start({ port: 20086, noStart: true });
    const conf = `${c.dataDir}/postgresql.conf`;
    const auto = `${c.dataDir}/postgresql.auto.conf`;
    const autoText = Deno.readTextFileSync(auto);
    Deno.writeTextFileSync(auto, "port = 99999\n", { append: true });
    expect(await serverFails(c, [])).toEqual({
      code: 1,
      lines: [
        'LOG:  99999 is outside the valid range for parameter "port" (1 .. 65535)',
        `FATAL:  configuration file "${auto}" contains errors`,
      ],
    });
    // Both files: every bad value is logged, and the FATAL names the file of the last one.
    Deno.writeTextFileSync(conf, "max_connections = 0\n", { append: true });
    expect(await serverFails(c, [])).toEqual({
      code: 1,
      lines: [
        'LOG:  0 is outside the valid range for parameter "max_connections" (1 .. 262143)',
        'LOG:  99999 is outside the valid range for parameter "port" (1 .. 65535)',
        `FATAL:  configuration file "${auto}" contains errors`,
      ],
    });
    // An unknown name is reported (with file and line) before any value is checked.
    Deno.writeTextFileSync(auto, `${autoText}no_such = 1\n`);
    const line = autoText.split("\n").length;
    expect(await serverFails(c, [])).toEqual({
      code: 1,
      lines: [
        `LOG:  unrecognized configuration parameter "no_such" in file "${auto}" line ${line}`,
        `FATAL:  configuration file "${auto}" contains errors`,
      ],
    });
    // A syntax error in postgresql.auto.conf: PostgreSQL names it by its bare name.
    Deno.writeTextFileSync(auto, `${autoText}port = = 1\n`);
    expect(await serverFails(c, [])).toEqual({
      code: 1,
      lines: [
        `LOG:  syntax error in file "${auto}" line ${line}, near token "="`,
        'FATAL:  configuration file "postgresql.auto.conf" contains errors',
      ],
    });
  }, 120_000);

  test("PGPORT sets the port unless postgresql.conf does; a reload keeps it", async () => {
    const c = await clusters.start({ port: 20087, noStart: true });
    const start = async (env: Record<string, string>) => {
      const r = await runCtl(
        ["start", "-D", c.dataDir, "-l", c.logFile, "-o", `-k ${c.dataDir} -c listen_addresses=127.0.0.1`],
        env,
      );
      expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining("server started\n") });
      return readPidFileLines(c.dataDir)!;
    };
    const lines = await start({ PGPORT: "20087" });
    expect(lines[3]).toBe("20087");
    expect(c.log()).toContain('listening on IPv4 address "127.0.0.1", port 20087');
    const client = new pg.Client({ host: c.socketDir, port: 20087, user: "postgres", database: "postgres" });
    await client.connect();
    try {
      expect((await client.query("show port")).rows[0].port).toBe("20087");
    } finally {
      await client.end();
    }
    expect(await runCtl(["reload", "-D", c.dataDir])).toMatchObject({ code: 0 });
    await waitFor(() => c.log().includes("received SIGHUP"), 10_000, "the reload logged");
    expect((await runCtl(["stop", "-D", c.dataDir, "-m", "fast"])).code).toBe(0);
    expect(c.log()).not.toContain('parameter "port" cannot be changed');
    Deno.writeTextFileSync(`${c.dataDir}/postgresql.conf`, "port = 20088\n", { append: true });
    expect((await start({ PGPORT: "20087" }))[3]).toBe("20088");
    expect((await runCtl(["stop", "-D", c.dataDir, "-m", "fast"])).code).toBe(0);
  }, 120_000);

  test("ctl start -o '-p abc' fails as pg_ctl does, with the FATAL alone in the log", async () => {
    const c = await clusters.start({ port: 20089, noStart: true });
    const r = await runCtl(["start", "-D", c.dataDir, "-l", c.logFile, "-o", `-p abc -k ${c.dataDir}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^waiting for server to start\.+ stopped waiting\n$/);
    expect(r.stderr).toBe("ctl: could not start server\nExamine the log output.\n");
    expect(c.log()).toMatch(/^\S+ \S+ \S+ \[\d+\] FATAL: {2}invalid value for parameter "port": "abc"\n$/);
  }, 120_000);

  test("superuser_reserved_connections >= max_connections ends the start before the pid file", async () => {
    const c = await clusters.start({ port: 20088, noStart: true });
    expect(await serverFails(c, ["-c", "max_connections=3"])).toEqual({
      code: 1,
      lines: ["server: superuser_reserved_connections (3) must be less than max_connections (3)"],
    });
    expect(readPidFileLines(c.dataDir)).toBeUndefined();
  }, 120_000);
});
