import { describe, expect, test } from "vitest";
// node-postgres's own SCRAM client: a real, independent implementation of the other side.
// @ts-ignore: CommonJS module without types
import sasl from "pg/lib/crypto/sasl.js";
import { parseScramVerifier, scramBuildVerifier } from "./scram.ts";
import { ScramExchange } from "./scram_exchange.ts";

const NONCE = new Uint8Array(32).fill(7);

async function exchange(serverVerifier: string | undefined, password: string, user = "alice") {
  const x = new ScramExchange(
    serverVerifier === undefined ? undefined : parseScramVerifier(serverVerifier),
    user,
    NONCE,
  );
  const session = sasl.startSession(["SCRAM-SHA-256"]);
  const serverFirst = x.clientFirst(session.response);
  await sasl.continueSession(session, password, serverFirst);
  const r = x.clientFinal(session.response);
  if (r.ok) sasl.finalizeSession(session, r.serverFinal);
  return { r, serverFirst };
}

describe("ScramExchange", () => {
  test("authenticates node-postgres's SCRAM client with the right password, and the client verifies the server", async () => {
    const { r } = await exchange(scramBuildVerifier("s3cret"), "s3cret");
    expect(r.ok).toBe(true);
    expect(r.serverFinal).toMatch(/^v=[A-Za-z0-9+/]{43}=$/);
  });

  test("fails a wrong password", async () => {
    expect((await exchange(scramBuildVerifier("s3cret"), "nope")).r.ok).toBe(false);
  });

  test("runs a mock exchange for a missing role with a stable salt, then fails", async () => {
    const a = await exchange(undefined, "x", "ghost");
    const b = await exchange(undefined, "y", "ghost");
    expect(a.r.ok).toBe(false);
    expect(a.serverFirst.split(",")[1]).toBe(b.serverFirst.split(",")[1]);
    expect(a.serverFirst).toMatch(/,i=4096$/);
  });

  test("refuses malformed messages and a changed nonce with 08P01", () => {
    const x = new ScramExchange(parseScramVerifier(scramBuildVerifier("pw")), "a", NONCE);
    expect(() => x.clientFirst("q,,n=,r=abc")).toThrow("malformed SCRAM message");
    const y = new ScramExchange(parseScramVerifier(scramBuildVerifier("pw")), "a", NONCE);
    y.clientFirst("n,,n=,r=abc");
    let e: unknown;
    try {
      y.clientFinal("c=biws,r=abcX,p=" + "A".repeat(43) + "=");
    } catch (x) {
      e = x;
    }
    expect((e as { sqlstate: string }).sqlstate).toBe("08P01");
  });
});
