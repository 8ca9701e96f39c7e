/**
 * End-to-end: the three shutdown modes with a live client session (issue 3,
 * acceptance point 4): smart waits for the session (and ctl reports the
 * timeout), fast terminates it with 57P01, immediate stops at once and the
 * next start runs crash recovery.
 */
import { describe, expect, test } from "vitest";
import { clusterScope, openRawSession, readPidFileLines, runCtl, waitFor } from "./helpers/cluster.ts";

const clusters = clusterScope();

describe("shutdown modes", () => {
  test("smart shutdown waits while a session lives, refuses new ones, then stops when it ends", async () => {
    const c = await clusters.start({ port: 20011 });
    const session = await openRawSession(c.port);
    expect(session.refused).toBeUndefined();
    const stop = await runCtl(["stop", "-D", c.dataDir, "-m", "smart", "-t", "2"]);
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
    const c = await clusters.start({ port: 20012 });
    const session = await openRawSession(c.port);
    const stop = await runCtl(["stop", "-D", c.dataDir]);
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
    const c = await clusters.start({ port: 20013 });
    const session = await openRawSession(c.port);
    const t0 = Date.now();
    const stop = await runCtl(["stop", "-D", c.dataDir, "-m", "immediate"]);
    expect(stop.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    await session.ended;
    expect(c.log()).toContain("received immediate shutdown request");
    expect(await c.stop()).toBe(0);
    await c.start();
    expect(c.log()).toContain("database system was not properly shut down; automatic recovery in progress");
  }, 120_000);
});
