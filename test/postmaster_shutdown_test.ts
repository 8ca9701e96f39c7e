/**
 * End-to-end: the three shutdown modes with a live client session (issue 3,
 * acceptance point 4): smart waits for the session (and ctl reports the
 * timeout), fast terminates it with 57P01, immediate stops at once and the
 * next start runs crash recovery.
 */
import { afterEach, describe, expect, test } from "vitest";
import { type Cluster, openRawSession, readPidFileLines, startCluster, waitFor } from "./helpers/cluster.ts";

const REPO_ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const clusters: Cluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.destroy();
});

async function ctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command(`${REPO_ROOT}/bin/ctl`, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  return { code: r.code, stdout: new TextDecoder().decode(r.stdout), stderr: new TextDecoder().decode(r.stderr) };
}

describe("shutdown modes", () => {
  test("smart shutdown waits while a session lives, refuses new ones, then stops when it ends", async () => {
    const c = await startCluster({ port: 20011 });
    clusters.push(c);
    const session = await openRawSession(c.port);
    expect(session.refused).toBeUndefined();
    const stop = await ctl(["stop", "-D", c.dataDir, "-m", "smart", "-t", "2"]);
    expect(stop.code).toBe(1);
    expect(stop.stdout).toMatch(/^waiting for server to shut down\.+ failed\n$/);
    expect(stop.stderr).toContain("ctl: server does not shut down\n");
    expect(stop.stderr).toContain('HINT: The "-m fast" option immediately disconnects sessions rather than');
    expect(c.log()).toContain("received smart shutdown request");
    expect(readPidFileLines(c.dataDir)![7]).toBe("stopping");
    const refused = await openRawSession(c.port);
    expect(refused.refused).toEqual({
      severity: "FATAL",
      code: "57P03",
      message: "the database system is shutting down",
    });
    session.close();
    await waitFor(() => readPidFileLines(c.dataDir) === undefined, 30_000, "the server to stop");
    expect(await c.stop("smart")).toBe(0);
    expect(c.log()).toContain("database system is shut down");
  }, 120_000);

  test("fast shutdown terminates the session with 57P01 and stops", async () => {
    const c = await startCluster({ port: 20012 });
    clusters.push(c);
    const session = await openRawSession(c.port);
    const stop = await ctl(["stop", "-D", c.dataDir]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^waiting for server to shut down\.+ done\nserver stopped\n$/);
    expect(await session.ended).toEqual({
      severity: "FATAL",
      code: "57P01",
      message: "terminating connection due to administrator command",
    });
    const log = c.log();
    expect(log).toContain("received fast shutdown request");
    expect(log).toContain("aborting any active transactions");
    expect(log).toContain("database system is shut down");
    expect(await c.stop()).toBe(0);
  }, 120_000);

  test("immediate shutdown stops at once and the next start runs crash recovery", async () => {
    const c = await startCluster({ port: 20013 });
    clusters.push(c);
    const session = await openRawSession(c.port);
    const t0 = Date.now();
    const stop = await ctl(["stop", "-D", c.dataDir, "-m", "immediate"]);
    expect(stop.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    await session.ended;
    expect(c.log()).toContain("received immediate shutdown request");
    expect(await c.stop()).toBe(0);
    await c.start();
    expect(c.log()).toContain("database system was not properly shut down; automatic recovery in progress");
  }, 120_000);
});
