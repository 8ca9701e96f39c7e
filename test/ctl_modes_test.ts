/**
 * End-to-end: the other `ctl` modes and its command-line errors, with
 * pg_ctl's messages and exit codes (issue 3, deliverable 5).
 */
import { afterEach, describe, expect, test } from "vitest";
import { clusterScope, readPidFileLines, runCtl, waitFor } from "./helpers/cluster.ts";

const REPO_ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
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
    // As pg_ctl: the recorded command line is reused as it is, so restarts never add another -D.
    const started = `${REPO_ROOT}/bin/server "-D" "${c.dataDir}" "-p" "${c.port}" "-k" "${c.dataDir}" ` +
      `"-c" "listen_addresses=127.0.0.1"\n`;
    expect(Deno.readTextFileSync(`${c.dataDir}/postmaster.opts`)).toBe(started);
    expect((await runCtl(["restart", "-D", c.dataDir, "-l", c.logFile, "-s"])).code).toBe(0);
    expect(Deno.readTextFileSync(`${c.dataDir}/postmaster.opts`)).toBe(started);
    expect(readPidFileLines(c.dataDir)![3]).toBe(String(c.port));
  }, 120_000);

  test("restart -o runs the server with the new options only; a restart after stop reuses them", async () => {
    const c = await clusters.start({ port: 20081, noStart: true });
    const opts = `-p ${c.port} -k ${c.dataDir} -c listen_addresses=127.0.0.1`;
    expect((await runCtl(["start", "-D", c.dataDir, "-l", c.logFile, "-s", "-o", opts])).code).toBe(0);
    const r = await runCtl(["restart", "-D", c.dataDir, "-l", c.logFile, "-s", "-o", `-p ${c.port} -k ${c.dataDir}`]);
    expect(r.code).toBe(0);
    // No -D on the command line (pg_ctl passes none on restart): the server found its directory through PGDATA.
    const restarted = `${REPO_ROOT}/bin/server "-p" "${c.port}" "-k" "${c.dataDir}"\n`;
    expect(Deno.readTextFileSync(`${c.dataDir}/postmaster.opts`)).toBe(restarted);
    expect(readPidFileLines(c.dataDir)![4]).toBe(c.dataDir);
    expect((await runCtl(["stop", "-D", c.dataDir, "-s"])).code).toBe(0);
    const again = await runCtl(["restart", "-D", c.dataDir, "-l", c.logFile, "-s"]);
    expect(again).toMatchObject({
      code: 0,
      stderr: `ctl: PID file "${c.dataDir}/postmaster.pid" does not exist\nIs server running?\n` +
        "trying to start server anyway\n",
    });
    expect(Deno.readTextFileSync(`${c.dataDir}/postmaster.opts`)).toBe(restarted);
    expect(readPidFileLines(c.dataDir)![3]).toBe(String(c.port));
  }, 120_000);

  test("status --json prints one object with the error when there is no data directory", async () => {
    const base = await Deno.makeTempDir({ prefix: "denogres-ctl-status-" });
    dirs.push(base);
    const nulls = {
      running: false,
      pid: null,
      port: null,
      socketDir: null,
      listenAddresses: null,
      startTime: null,
      status: null,
      commandLine: null,
    };
    const missing = await runCtl(["status", "--json", "-D", `${base}/nope`]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toBe(`ctl: directory "${base}/nope" does not exist\n`);
    expect(JSON.parse(missing.stdout)).toEqual({
      ...nulls,
      dataDir: `${base}/nope`,
      error: `directory "${base}/nope" does not exist`,
    });
    // A directory without PG_VERSION is not a cluster: exit 4 too, as pg_ctl.
    const notCluster = await runCtl(["status", "--json", "-D", base]);
    expect(notCluster.code).toBe(4);
    expect(notCluster.stderr).toBe(`ctl: directory "${base}" is not a database cluster directory\n`);
    expect(JSON.parse(notCluster.stdout)).toEqual({
      ...nulls,
      dataDir: base,
      error: `directory "${base}" is not a database cluster directory`,
    });
    // A cluster with no server: exit 3 and error null.
    Deno.writeTextFileSync(`${base}/PG_VERSION`, "15\n");
    const stopped = await runCtl(["status", "--json", "-D", base]);
    expect(stopped.code).toBe(3);
    expect(JSON.parse(stopped.stdout)).toEqual({ ...nulls, dataDir: base, error: null });
  }, 60_000);

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
