/**
 * End-to-end: SCRAM for a role that does not exist runs a mock exchange whose
 * salt is derived from the cluster's secret in pg_control (made by initdb),
 * so it is the same at every attempt and in every backend process, as a real
 * role's salt is: the salt does not tell whether a role exists (PostgreSQL's
 * scram_mock_salt with mock_authentication_nonce).
 */
import { describe, expect, test } from "vitest";
import { backendMessageReader, clusterScope, startupPacket } from "./helpers/cluster.ts";

const clusters = clusterScope();

/** Starts a SCRAM exchange as `user` and returns the salt in the server-first message. */
async function scramSalt(port: number, user: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const readMessage = backendMessageReader(conn);
  try {
    await conn.write(startupPacket(user, "postgres"));
    const sasl = (await readMessage())!;
    expect(sasl.type).toBe("R");
    expect(new TextDecoder().decode(sasl.body.subarray(4))).toContain("SCRAM-SHA-256");
    const mechanism = new TextEncoder().encode("SCRAM-SHA-256\0");
    const clientFirst = new TextEncoder().encode("n,,n=,r=abcdefghijklmnopqrstuvwx");
    const msg = new Uint8Array(1 + 4 + mechanism.length + 4 + clientFirst.length);
    const dv = new DataView(msg.buffer);
    msg[0] = "p".charCodeAt(0);
    dv.setInt32(1, msg.length - 1);
    msg.set(mechanism, 5);
    dv.setInt32(5 + mechanism.length, clientFirst.length);
    msg.set(clientFirst, 9 + mechanism.length);
    await conn.write(msg);
    const cont = (await readMessage())!;
    expect([cont.type, new DataView(cont.body.buffer).getInt32(0)]).toEqual(["R", 11]); // AuthenticationSASLContinue
    return /(?:^|,)s=([^,]+)/.exec(new TextDecoder().decode(cont.body.subarray(4)))![1];
  } finally {
    conn.close();
  }
}

describe("SCRAM for a role that does not exist", () => {
  test("the mock salt is the same at every attempt and in every backend process", async () => {
    // One session per backend process: every attempt below is answered by a different process.
    const c = await clusters.start({ port: 20076, noStart: true, conf: { backend_session_limit: "0" } });
    await Deno.writeTextFile(
      `${c.dataDir}/pg_hba.conf`,
      "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    );
    await c.start();
    const salts = [];
    for (let i = 0; i < 3; i++) salts.push(await scramSalt(c.port, "nosuchuser"));
    expect(new Set(salts).size).toBe(1);
    expect(await scramSalt(c.port, "anotherone")).not.toBe(salts[0]);
    // The same after a restart: the secret is the cluster's, not a process's.
    await c.stop();
    await c.start();
    expect(await scramSalt(c.port, "nosuchuser")).toBe(salts[0]);
  }, 120_000);
});
