/**
 * End-to-end: the heavyweight lock manager (lib/lmgr) through the advisory
 * lock functions, with real sessions (node-postgres) on a real server:
 * contention and wake-up, the wait event, try-locks, shared and exclusive
 * modes, lock_timeout, a real deadlock, cancel while waiting, the
 * transaction's end, pg_advisory_unlock_all, a full table, a SIGKILLed
 * holder (crash reset frees the lock) and a recycled backend. Conditions
 * are polled, never timed.
 */
import { describe, expect, test } from "vitest";
import pg from "pg";
import {
  childPids,
  type Cluster,
  clusterScope,
  processTitle,
  readPidFileLines,
  sendCancelRequest,
  waitFor,
} from "./helpers/cluster.ts";
import { attachShmemSegment } from "../lib/shmem/mod.ts";

const scope = clusterScope();
const WAIT_MS = 30_000;

async function connect(c: Cluster, opts: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  const cl = new pg.Client({ host: "127.0.0.1", port: c.port, user: "postgres", database: "postgres", ...opts });
  cl.on("error", () => {}); // a session ended by the server is expected in some tests
  await cl.connect();
  return cl;
}

async function pidOf(cl: pg.Client): Promise<number> {
  return (await cl.query("SELECT pg_backend_pid() AS p")).rows[0].p;
}

/** Polls pg_stat_activity (from another session) until `pid` waits for an advisory lock. */
async function waitUntilWaiting(observer: pg.Client, pid: number): Promise<void> {
  await waitFor(
    async () => {
      const r = await observer.query("SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = $1", [pid]);
      return r.rows[0]?.wait_event_type === "Lock" && r.rows[0]?.wait_event === "advisory";
    },
    WAIT_MS,
    `backend ${pid} to wait for the lock`,
  );
}

async function advisoryRows(cl: pg.Client): Promise<{ pid: number; mode: string; granted: boolean }[]> {
  const r = await cl.query(
    "SELECT pid, mode, granted FROM pg_locks WHERE locktype = 'advisory' ORDER BY granted DESC, pid",
  );
  return r.rows;
}

describe("advisory locks", () => {
  test("a second session waits (Lock/advisory), and gets the lock when the first unlocks", async () => {
    const c = await scope.start({ port: 20101 });
    const a = await connect(c);
    const b = await connect(c);
    const obs = await connect(c);
    const bPid = await pidOf(b);
    await a.query("SELECT pg_advisory_lock(42)");
    let done = false;
    const waiting = b.query("SELECT pg_advisory_lock(42)").then(() => (done = true));
    await waitUntilWaiting(obs, bPid);
    const rows = await advisoryRows(obs);
    expect(rows.map((r) => [r.mode, r.granted])).toEqual([["ExclusiveLock", true], ["ExclusiveLock", false]]);
    expect(rows[1].pid).toBe(bPid);
    const ws = await obs.query("SELECT waitstart IS NOT NULL AS w FROM pg_locks WHERE NOT granted");
    expect(ws.rows[0].w).toBe(true);
    expect(done).toBe(false);
    expect((await a.query("SELECT pg_advisory_unlock(42) AS u")).rows[0].u).toBe(true);
    await waiting;
    expect((await advisoryRows(obs)).map((r) => [r.pid, r.granted])).toEqual([[bPid, true]]);

    // Try-locks: false while another session holds it, no wait.
    expect((await a.query("SELECT pg_try_advisory_lock(42) AS t")).rows[0].t).toBe(false);
    expect((await a.query("SELECT pg_try_advisory_xact_lock(42) AS t")).rows[0].t).toBe(false);
    expect((await a.query("SELECT pg_try_advisory_lock(1, 2) AS t")).rows[0].t).toBe(true);
    await b.query("SELECT pg_advisory_unlock(42)");

    // Shared vs exclusive: shared holders coexist (and a session's holds count); an exclusive request waits.
    await a.query("SELECT pg_advisory_lock_shared(7), pg_advisory_lock_shared(7)");
    expect((await b.query("SELECT pg_try_advisory_lock_shared(7) AS t")).rows[0].t).toBe(true);
    expect((await obs.query("SELECT pg_try_advisory_lock(7) AS t")).rows[0].t).toBe(false);
    const obsPid = await pidOf(obs);
    const excl = obs.query("SELECT pg_advisory_lock(7)");
    await waitUntilWaiting(a, obsPid);
    // PostgreSQL's queue rule: a new shared request conflicts with the waiting exclusive one, so it is not granted.
    const d = await connect(c);
    expect((await d.query("SELECT pg_try_advisory_lock_shared(7) AS t")).rows[0].t).toBe(false);
    await d.end();
    await a.query("SELECT pg_advisory_unlock_shared(7)");
    expect((await advisoryRows(b)).filter((r) => r.granted)).toHaveLength(3); // a's second hold, b's and (1,2)
    expect((await a.query("SELECT pg_advisory_unlock_shared(7) AS u")).rows[0].u).toBe(true);
    await b.query("SELECT pg_advisory_unlock_shared(7)");
    await excl;
    await obs.query("SELECT pg_advisory_unlock_all()");

    // The end of a transaction releases xact locks and wakes the waiter.
    await a.query("BEGIN");
    await a.query("SELECT pg_advisory_xact_lock(5)");
    const xactWaiter = b.query("SELECT pg_advisory_xact_lock(5), 'b' AS who");
    await waitUntilWaiting(obs, bPid);
    await a.query("COMMIT");
    expect((await xactWaiter).rows[0].who).toBe("b");
    expect(await advisoryRows(obs)).toEqual([{ pid: await pidOf(a), mode: "ExclusiveLock", granted: true }]); // (1,2)

    // Unlock of a lock not held: false and PostgreSQL's warning.
    const notices: string[] = [];
    b.on("notice", (n) => notices.push(`${n.severity}: ${n.message}`));
    expect((await b.query("SELECT pg_advisory_unlock(5) AS u")).rows[0].u).toBe(false);
    expect((await b.query("SELECT pg_advisory_unlock_shared(5) AS u")).rows[0].u).toBe(false);
    await waitFor(() => notices.length === 2, WAIT_MS, "the warnings");
    expect(notices).toEqual([
      "WARNING: you don't own a lock of type ExclusiveLock",
      "WARNING: you don't own a lock of type ShareLock",
    ]);

    // pg_advisory_unlock_all releases session locks, not the transaction's.
    await b.query("SELECT pg_advisory_lock(11), pg_advisory_lock(11), pg_advisory_lock(12, 13)");
    await b.query("BEGIN");
    await b.query("SELECT pg_advisory_xact_lock(14)");
    await b.query("SELECT pg_advisory_unlock_all()");
    const held = await b.query(
      "SELECT objid, objsubid FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
    );
    expect(held.rows).toEqual([{ objid: 14, objsubid: 1 }]);
    await b.query("COMMIT");
    await Promise.all([a.end(), b.end(), obs.end()]);
  }, 120_000);

  test("lock_timeout, cancel while waiting, and a deadlock between two sessions", async () => {
    const c = await scope.start({ port: 20102, conf: { deadlock_timeout: "50ms" } });
    const a = await connect(c);
    const b = await connect(c);
    const obs = await connect(c);
    const bPid = await pidOf(b);
    await a.query("SELECT pg_advisory_lock(1)");

    await b.query("SET lock_timeout = '100ms'");
    const timedOut = await b.query("SELECT pg_advisory_lock(1)").catch((e) => e);
    expect([timedOut.code, timedOut.message]).toEqual(["55P03", "canceling statement due to lock timeout"]);
    await b.query("SET lock_timeout = 0");
    expect(await advisoryRows(obs)).toHaveLength(1); // the withdrawn request left nothing behind

    const canceled = b.query("SELECT pg_advisory_lock(1)").catch((e) => e);
    await waitUntilWaiting(obs, bPid);
    const { processID, secretKey } = b as unknown as { processID: number; secretKey: number };
    await sendCancelRequest(c.port, processID, secretKey);
    const ce = await canceled;
    expect([ce.code, ce.message]).toEqual(["57014", "canceling statement due to user request"]);
    expect(await advisoryRows(obs)).toHaveLength(1);

    // A real deadlock: a holds 1 and wants 2; b holds 2 and wants 1 (transaction locks: the victim's abort frees its).
    await a.query("SELECT pg_advisory_unlock(1)");
    await a.query("BEGIN");
    await a.query("SELECT pg_advisory_xact_lock(1)");
    await b.query("BEGIN");
    await b.query("SELECT pg_advisory_xact_lock(2)");
    const aPid = await pidOf(a);
    const aWaits = a.query("SELECT pg_advisory_xact_lock(2), 'a' AS who").catch((e) => e);
    await waitUntilWaiting(obs, aPid);
    const bWaits = b.query("SELECT pg_advisory_xact_lock(1), 'b' AS who").catch((e) => e);
    const [ra, rb] = await Promise.all([aWaits, bWaits]);
    const [victim, survivor, victimPid, survivorPid] = ra instanceof Error
      ? [ra, rb, aPid, bPid]
      : [rb, ra, bPid, aPid];
    expect(victim.code).toBe("40P01");
    expect(victim.message).toBe("deadlock detected");
    const db = (await obs.query("SELECT datid FROM pg_stat_activity WHERE pid = pg_backend_pid()")).rows[0].datid;
    const key = (k: number) => `advisory lock [${db},0,${k},1]`;
    const victimWants = victimPid === aPid ? 2 : 1;
    const survivorWants = victimPid === aPid ? 1 : 2;
    expect(victim.detail).toBe(
      `Process ${victimPid} waits for ExclusiveLock on ${key(victimWants)}; blocked by process ${survivorPid}.\n` +
        `Process ${survivorPid} waits for ExclusiveLock on ${key(survivorWants)}; blocked by process ${victimPid}.`,
    );
    expect(victim.hint).toBe("See server log for query details.");
    expect(survivor.rows).toBeDefined(); // the other proceeds once the victim's transaction ends
    await a.query(victimPid === aPid ? "ROLLBACK" : "COMMIT");
    await b.query(victimPid === bPid ? "ROLLBACK" : "COMMIT");
    expect(await advisoryRows(obs)).toEqual([]);
    await Promise.all([a.end(), b.end(), obs.end()]);
  }, 120_000);

  test("a full lock table is 53200 out of shared memory, with PostgreSQL's hint", async () => {
    // 10 x (5 + 1 + 1) = 70 lock entries.
    const c = await scope.start({
      port: 20103,
      conf: { max_locks_per_transaction: "10", max_connections: "5", autovacuum_max_workers: "1" },
    });
    const a = await connect(c);
    const b = await connect(c);
    let err: { code?: string; message?: string; hint?: string } | undefined;
    for (let k = 0; k < 100 && err === undefined; k++) {
      err = await a.query(`SELECT pg_advisory_lock(${k})`).then(() => undefined, (e) => e);
    }
    expect([err?.code, err?.message, err?.hint]).toEqual([
      "53200",
      "out of shared memory",
      "You might need to increase max_locks_per_transaction.",
    ]);
    expect((await b.query("SELECT pg_try_advisory_lock(1000) AS t").catch((e) => e)).code).toBe("53200");
    await a.query("SELECT pg_advisory_unlock_all()");
    expect((await b.query("SELECT pg_try_advisory_lock(1000) AS t")).rows[0].t).toBe(true);
    await Promise.all([a.end(), b.end()]);
  }, 120_000);

  test("a holder killed with SIGKILL: crash reset, new segment generation, the lock is free", async () => {
    const c = await scope.start({ port: 20104 });
    const segName = readPidFileLines(c.dataDir)![6].trim();
    const before = attachShmemSegment(segName, { readOnly: true });
    const generation = before.generation;
    before.detach();
    const holder = await connect(c);
    const holderPid = await pidOf(holder);
    await holder.query("SELECT pg_advisory_lock(99)");
    const waiter = await connect(c);
    const waiterPid = await pidOf(waiter);
    const waited = waiter.query("SELECT pg_advisory_lock(99)").catch((e) => e);
    const obs = await connect(c);
    await waitUntilWaiting(obs, waiterPid);
    await obs.end();
    Deno.kill(holderPid, "SIGKILL");
    expect(await waited).toBeInstanceOf(Error); // every session ends with the crash
    await waitFor(() => c.log().split("database system is ready to accept connections").length === 3, WAIT_MS, "reset");
    const after = attachShmemSegment(segName, { readOnly: true });
    expect(after.generation).toBe(generation + 1);
    after.detach();
    const fresh = await connect(c);
    expect((await fresh.query("SELECT pg_try_advisory_lock(99) AS t")).rows[0].t).toBe(true);
    await fresh.end();
  }, 120_000);

  test("a recycled backend holds nothing of the previous session", async () => {
    const c = await scope.start({
      port: 20105,
      conf: { spare_backends: "0", spare_backend_idle_timeout: "600000" },
    });
    const first = await connect(c);
    const pid = await pidOf(first);
    await first.query("SELECT pg_advisory_lock(3), pg_advisory_lock(3), pg_advisory_lock_shared(4, 5)");
    await first.end(); // Terminate: a clean end, the process serves the next session
    await waitFor(
      () => childPids(c.pid).some((p) => p === pid && processTitle(p) === "denogres: spare backend"),
      WAIT_MS,
      `backend ${pid} to wait for a client again`,
    );
    const second = await connect(c);
    expect(await pidOf(second)).toBe(pid);
    expect(await advisoryRows(second)).toEqual([]);
    const other = await connect(c);
    expect((await other.query("SELECT pg_try_advisory_lock(3) AS t")).rows[0].t).toBe(true);
    expect((await second.query("SELECT pg_advisory_unlock(3) AS u")).rows[0].u).toBe(false);
    await Promise.all([second.end(), other.end()]);
  }, 120_000);
});
