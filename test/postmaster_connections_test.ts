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
  processTitle,
  readPidFileLines,
  startHoldingStartupProcess,
  waitFor,
} from "./helpers/cluster.ts";

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
    const held = await startHoldingStartupProcess(c);
    try {
      const s = await openRawSession(c.port);
      expect(s.refused).toEqual({ severity: "FATAL", code: "57P03", message: "the database system is starting up" });
      expect(s.backendPid).toBe(0);
      expect(readPidFileLines(c.dataDir)?.[7]).toBe("starting");
    } finally {
      held.release();
    }
    await held.ready;
    const after = await openRawSession(c.port);
    expect(after.refused).toBeUndefined();
    after.close();
  }, 120_000);
});
