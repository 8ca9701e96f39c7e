/**
 * End-to-end: accepting and handing over connections (issue 6, item 1):
 * TCP and Unix-socket clients reach a backend process that is a child of
 * the postmaster; a connection goes to a waiting spare backend, which is
 * then replaced; with no spare a backend is started for the connection.
 */
import { describe, expect, test } from "vitest";
import {
  childPids,
  type Cluster,
  clusterScope,
  openRawSession,
  processAlive,
  processTitle,
  readPidFileLines,
  waitFor,
} from "./helpers/cluster.ts";

const REPO_ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

const clusters = clusterScope();

function sparePids(c: Cluster): number[] {
  return childPids(c.pid).filter((p) => processTitle(p) === "denogres: spare backend");
}

describe("connection hand-off", () => {
  test("a TCP connection goes to a waiting spare backend, which is replaced", async () => {
    const c = await clusters.start({ port: 20041 });
    await waitFor(() => sparePids(c).length === 2, 30_000, "two spare backends");
    const before = sparePids(c);
    const s = await openRawSession(c.port);
    expect(s.refused).toBeUndefined();
    expect(before).toContain(s.backendPid);
    expect(childPids(c.pid)).toContain(s.backendPid);
    await waitFor(() => sparePids(c).length === 2, 30_000, "the spare replaced");
    expect(sparePids(c)).not.toContain(s.backendPid);
    s.close();
  }, 120_000);

  test("a Unix-socket connection reaches a backend too", async () => {
    const c = await clusters.start({ port: 20042 });
    const s = await openRawSession(`${c.socketDir}/.s.PGSQL.${c.port}`);
    expect(s.refused).toBeUndefined();
    expect(childPids(c.pid)).toContain(s.backendPid);
    s.close();
  }, 120_000);

  test("with spare_backends = 0 a backend is started for each connection", async () => {
    const c = await clusters.start({ port: 20043, conf: { spare_backends: "0" } });
    const before = childPids(c.pid);
    const a = await openRawSession(c.port);
    const b = await openRawSession(c.port);
    expect(a.refused).toBeUndefined();
    expect(b.refused).toBeUndefined();
    expect(a.backendPid).not.toBe(b.backendPid);
    for (const s of [a, b]) {
      expect(before).not.toContain(s.backendPid);
      expect(childPids(c.pid)).toContain(s.backendPid);
    }
    expect(sparePids(c)).toEqual([]);
    a.close();
    b.close();
  }, 120_000);

  test("a connection while the startup process runs gets 57P03 from a backend started for it", async () => {
    const c = await clusters.start({ port: 20044, noStart: true });
    const server = new Deno.Command(`${REPO_ROOT}/bin/server`, {
      args: ["-D", c.dataDir, "-p", String(c.port), "-k", c.dataDir, "-c", "listen_addresses=127.0.0.1"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let startup = 0;
    try {
      // The startup process is a Deno process that needs tens of ms to load before it does anything: caught at once
      // and held with SIGSTOP, it keeps the postmaster in PM_STARTUP for as long as the test needs.
      startup = await _holdStartupProcess(server.pid);
      expect(readPidFileLines(c.dataDir)?.[7]).toBe("starting");
      const s = await openRawSession(c.port);
      expect(s.refused).toEqual({ severity: "FATAL", code: "57P03", message: "the database system is starting up" });
      expect(s.backendPid).toBe(0);
      expect(readPidFileLines(c.dataDir)?.[7]).toBe("starting");
      Deno.kill(startup, "SIGCONT");
      await waitFor(() => readPidFileLines(c.dataDir)?.[7] === "ready   ", 60_000, "ready");
      const after = await openRawSession(c.port);
      expect(after.refused).toBeUndefined();
      after.close();
    } finally {
      if (startup > 0 && processAlive(startup)) Deno.kill(startup, "SIGCONT");
      server.kill("SIGINT");
      await server.status;
    }
  }, 120_000);
});

/** Longest wait for the postmaster to start its startup process, in ms. */
const STARTUP_PROCESS_WAIT_MS = 60_000;

/**
 * Finds the postmaster's startup process as soon as it exists (polling its
 * children every millisecond) and stops it with SIGSTOP.
 *
 * @param postmasterPid the postmaster
 * @returns the stopped startup process's pid
 */
async function _holdStartupProcess(postmasterPid: number): Promise<number> {
  const deadline = Date.now() + STARTUP_PROCESS_WAIT_MS;
  while (Date.now() < deadline) {
    for (const pid of childPids(postmasterPid)) {
      const cmd = processTitle(pid);
      if (cmd.includes("--child=startup") || cmd.startsWith("denogres: startup")) {
        Deno.kill(pid, "SIGSTOP");
        return pid;
      }
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`the postmaster started no startup process within ${STARTUP_PROCESS_WAIT_MS} ms`);
}
