/**
 * End-to-end: session parameters that act, not only show: the per-transaction
 * isolation level and read-only status, statement_timeout set earlier in the
 * same query string, idle_in_transaction_session_timeout and
 * idle_session_timeout (PostgreSQL 15's messages and SQLSTATEs).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import pg from "pg";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.ts";

const PORT = 20075;
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ port: PORT });
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
}, 60_000);

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ host: cluster.socketDir, port: PORT, user: "postgres", database: "postgres" });
  await c.connect();
  return c;
}

async function show(c: pg.Client, name: string): Promise<string> {
  return (await c.query(`show ${name}`)).rows[0][name];
}

/** Connects, runs `setup`, then waits for the server to end the session; returns the error it sent. */
async function endedByServer(setup: string[]): Promise<{ code?: string; message: string }> {
  const c = await connect();
  const ended = new Promise<{ code?: string; message: string }>((resolve) => c.on("error", resolve));
  for (const sql of setup) await c.query(sql);
  const e = await ended;
  await c.end().catch(() => {});
  return { code: e.code, message: e.message };
}

describe("session parameters", () => {
  test(
    "transaction_isolation and transaction_read_only belong to one transaction and start from the defaults",
    async () => {
      const c = await connect();
      try {
        // Set outside a block, they last for that statement's own transaction only.
        await c.query("set transaction_isolation = 'serializable'");
        expect(await show(c, "transaction_isolation")).toBe("read committed");
        await c.query("begin isolation level repeatable read read only");
        expect(await show(c, "transaction_isolation")).toBe("repeatable read");
        expect(await show(c, "transaction_read_only")).toBe("on");
        await c.query("commit");
        expect(await show(c, "transaction_isolation")).toBe("read committed");
        expect(await show(c, "transaction_read_only")).toBe("off");
        await c.query("set default_transaction_read_only = on");
        await c.query("set session characteristics as transaction isolation level serializable");
        expect(await show(c, "transaction_read_only")).toBe("on");
        expect(await show(c, "transaction_isolation")).toBe("serializable");
        await c.query("begin");
        await c.query("set transaction read write");
        expect(await show(c, "transaction_read_only")).toBe("off");
        await c.query("rollback");
        expect(await show(c, "transaction_read_only")).toBe("on");
      } finally {
        await c.end();
      }
    },
    60_000,
  );

  test("a statement_timeout set earlier in the same query string limits the statements after it", async () => {
    const c = await connect();
    try {
      const e = await c.query("set statement_timeout = '300ms'; select pg_sleep(30)").catch((x) => x);
      expect([e.code, e.message]).toEqual(["57014", "canceling statement due to statement timeout"]);
      // The error aborted the string's implicit transaction, the SET with it.
      expect(await show(c, "statement_timeout")).toBe("0");
      await c.query("set statement_timeout = '10s'; select pg_sleep(0.3)");
      expect(await show(c, "statement_timeout")).toBe("10s");
    } finally {
      await c.end();
    }
  }, 60_000);

  test("idle_in_transaction_session_timeout ends a session idle in a transaction with FATAL 25P03", async () => {
    const e = await endedByServer(["set idle_in_transaction_session_timeout = '300ms'", "select 1", "begin"]);
    expect(e).toEqual({ code: "25P03", message: "terminating connection due to idle-in-transaction timeout" });
    await waitFor(
      () => cluster.log().includes("FATAL:  terminating connection due to idle-in-transaction timeout"),
      10_000,
      "the FATAL logged",
    );
  }, 60_000);

  test("idle_session_timeout ends a session idle outside a transaction with FATAL 57P05", async () => {
    const e = await endedByServer(["set idle_session_timeout = '300ms'"]);
    expect(e).toEqual({ code: "57P05", message: "terminating connection due to idle-session timeout" });
  }, 60_000);
});
