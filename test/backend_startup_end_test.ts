/**
 * End-to-end: a connection whose session has not started yet (no startup
 * packet, or waiting at the password prompt) when authentication_timeout
 * runs out or a fast shutdown comes. As PostgreSQL: the backend exits at
 * once, the client sees its connection closed without a message, and only
 * a backend past the startup packet logs FATAL `canceling authentication due
 * to timeout`. A fast shutdown is never held up by such a connection.
 * log_connections logs a connection before its startup packet; a cancel
 * request with the right pid and a wrong key is logged as such.
 */
import { describe, expect, test } from "vitest";
import {
  type Cluster,
  clusterScope,
  openRawSession,
  runCtl,
  sendCancelRequest,
  startupPacket,
  waitFor,
} from "./helpers/cluster.ts";

const clusters = clusterScope();
const TIMEOUT_LINE = /FATAL: {2}canceling authentication due to timeout\n/g;

/** A cluster whose TCP clients must give a SCRAM password (the role has none: the exchange can never succeed). */
async function passwordCluster(port: number, authenticationTimeout: string): Promise<Cluster> {
  const c = await clusters.start({ port, noStart: true, conf: { authentication_timeout: authenticationTimeout } });
  await Deno.writeTextFile(
    `${c.dataDir}/pg_hba.conf`,
    "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
  );
  await c.start();
  return c;
}

/** A raw TCP client; `rest()` reads everything the server sends until it closes the connection. */
async function rawClient(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const read = async (max: number): Promise<Uint8Array> => {
    const buf = new Uint8Array(max);
    const n = await conn.read(buf).catch(() => null);
    return buf.subarray(0, n ?? 0);
  };
  return {
    /** Sends a startup packet and returns the server's first message type ('R' for a password request). */
    async startAuthentication(): Promise<string> {
      await conn.write(startupPacket("postgres", "postgres"));
      return String.fromCharCode((await read(8192))[0]);
    },
    async rest(): Promise<number> {
      let bytes = 0;
      for (let chunk = await read(8192); chunk.length > 0; chunk = await read(8192)) bytes += chunk.length;
      conn.close();
      return bytes;
    },
  };
}

describe("a connection that has not started its session", () => {
  test("authentication_timeout closes it silently; past the startup packet it is logged", async () => {
    const c = await passwordCluster(20071, "1s");
    const silent = await rawClient(c.port);
    const prompted = await rawClient(c.port);
    expect(await prompted.startAuthentication()).toBe("R");
    expect(await silent.rest()).toBe(0);
    expect(await prompted.rest()).toBe(0);
    await waitFor(() => c.log().match(TIMEOUT_LINE) !== null, 30_000, "the FATAL line");
    expect(c.log().match(TIMEOUT_LINE)).toHaveLength(1);
    expect(c.log()).not.toContain("incomplete startup packet");
    expect(c.log()).not.toContain("terminating any other active server processes");
  }, 120_000);

  test("a fast shutdown ends it at once, however long authentication_timeout is", async () => {
    const c = await passwordCluster(20072, "600s");
    const silent = await rawClient(c.port);
    const prompted = await rawClient(c.port);
    expect(await prompted.startAuthentication()).toBe("R");
    // ctl gives up after 60 s: a backend waiting out authentication_timeout would make it fail.
    const stop = await runCtl(["stop", "-D", c.dataDir, "-m", "fast"]);
    expect(stop.code).toBe(0);
    expect(await silent.rest()).toBe(0);
    expect(await prompted.rest()).toBe(0);
    expect(c.log().match(TIMEOUT_LINE)).toHaveLength(1);
    expect(c.log()).toContain("database system is shut down");
    expect(await c.stop()).toBe(0);
  }, 120_000);

  test(
    "log_connections logs each connection before its startup packet; a cancel with a wrong key says so",
    async () => {
      const c = await clusters.start({ port: 20073, conf: { log_connections: "on" } });
      // Logged as soon as the backend has the connection, before the client has said anything.
      const silent = await Deno.connect({ hostname: "127.0.0.1", port: c.port });
      await waitFor(
        () => /LOG: {2}connection received: host=127\.0\.0\.1 port=\d+\n/.test(c.log()),
        30_000,
        "the line",
      );
      silent.close();
      const session = await openRawSession(c.port);
      await sendCancelRequest(c.port, session.backendPid, 12345);
      await waitFor(
        () => c.log().includes(`LOG:  wrong key in cancel request for process ${session.backendPid}`),
        30_000,
        "the wrong key logged",
      );
      expect(c.log()).not.toContain("did not match any process");
      session.close();
    },
    120_000,
  );
});
