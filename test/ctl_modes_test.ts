/**
 * End-to-end: the other `ctl` modes and its command-line errors, with
 * pg_ctl's messages and exit codes (issue 3, deliverable 5).
 */
import { afterEach, describe, expect, test } from "vitest";
import { clusterScope, readPidFileLines, runCtl, waitFor } from "./helpers/cluster.ts";

const clusters = clusterScope();
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await Deno.remove(d, { recursive: true }).catch(() => {});
});

describe("ctl modes", () => {
  test("init runs initdb on the directory", async () => {
    const base = await Deno.makeTempDir({ prefix: "denogres-ctl-init-" });
    dirs.push(base);
    const r = await runCtl(["init", "-D", `${base}/data`, "-s", "-o", "-U postgres"]);
    expect(r.code).toBe(0);
    expect(Deno.readTextFileSync(`${base}/data/PG_VERSION`).trim()).toBe("15");
    const again = await runCtl(["init", "-D", `${base}/data`, "-s"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("ctl: database system initialization failed");
  }, 120_000);

  test("restart stops the server and starts it again with the options in postmaster.opts", async () => {
    const c = await clusters.start({ port: 20051, noStart: true });
    const opts = `-p ${c.port} -k ${c.dataDir} -c listen_addresses=127.0.0.1`;
    expect((await runCtl(["start", "-D", c.dataDir, "-l", c.logFile, "-s", "-o", opts])).code).toBe(0);
    const first = Number(readPidFileLines(c.dataDir)![0]);
    const r = await runCtl(["restart", "-D", c.dataDir, "-l", c.logFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^waiting for server to shut down\.+ done\nserver stopped\nwaiting for server to start\.+ done\nserver started\n$/,
    );
    const lines = readPidFileLines(c.dataDir)!;
    expect(Number(lines[0])).not.toBe(first);
    expect(lines[3]).toBe(String(c.port));
    expect(lines[4]).toBe(c.dataDir);
  }, 120_000);

  test("kill sends a named signal; reload and stop without a server say so", async () => {
    const c = await clusters.start({ port: 20052 });
    expect((await runCtl(["kill", "HUP", String(c.pid)])).code).toBe(0);
    await waitFor(() => c.log().includes("received SIGHUP, reloading configuration files"), 10_000, "the reload");
    const bad = await runCtl(["kill", "BOGUS", String(c.pid)]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ctl: error: unrecognized signal name "BOGUS"');
    expect(await c.stop()).toBe(0);
    for (const mode of ["reload", "stop"]) {
      const r = await runCtl([mode, "-D", c.dataDir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`ctl: PID file "${c.dataDir}/postmaster.pid" does not exist\nIs server running?\n`);
    }
  }, 120_000);

  test("start -W returns at once with 'server starting'", async () => {
    const c = await clusters.start({ port: 20053, noStart: true });
    const opts = `-p ${c.port} -k ${c.dataDir} -c listen_addresses=127.0.0.1`;
    const r = await runCtl(["start", "-W", "-D", c.dataDir, "-l", c.logFile, "-o", opts]);
    expect(r).toMatchObject({ code: 0, stdout: "server starting\n" });
    await waitFor(() => readPidFileLines(c.dataDir)?.[7] === "ready   ", 60_000, "ready");
  }, 120_000);

  test("usage errors exit 1 with one line and a hint", async () => {
    const none = await runCtl([]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('ctl: error: no operation specified\nctl: hint: Try "ctl --help" for more information.\n');
    const unknown = await runCtl(["frobnicate", "-D", "/tmp"]);
    expect(unknown.stderr).toContain('ctl: error: unrecognized operation mode "frobnicate"');
    const noDir = await runCtl(["status"], { PGDATA: "" });
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toContain("ctl: error: no database directory specified and environment variable PGDATA unset");
    const mode = await runCtl(["stop", "-D", "/tmp", "-m", "gentle"]);
    expect(mode.stderr).toContain('ctl: error: unrecognized shutdown mode "gentle"');
  }, 60_000);
});
