/**
 * End to end: the statistics views through psql against a real cluster —
 * PostgreSQL 15's column names, values that move with real work (a
 * CHECKPOINT), pg_stat_reset_shared(), and pg_stat_activity after the
 * startup process has exited (it must not be listed, also after crash
 * recovery).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import pg from "pg";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.ts";

const PORT = 20510;
/** Generous: two shared cores. */
const LONG_MS = 120_000;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ port: PORT });
}, LONG_MS);

afterAll(async () => {
  await cluster?.destroy();
}, LONG_MS);

/** Runs psql over the Unix socket; returns the unaligned rows (fields split on `|`), headers included. */
async function psql(sql: string): Promise<string[][]> {
  const out = await new Deno.Command("psql", {
    args: [
      "-X",
      "-A",
      "-q",
      "-P",
      "footer=off",
      "-h",
      cluster.socketDir,
      "-p",
      String(PORT),
      "-U",
      "postgres",
      "-c",
      sql,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { PGDATABASE: "postgres" },
  }).output();
  const d = new TextDecoder();
  if (out.code !== 0) throw new Error(`psql -c "${sql}" failed (${out.code}): ${d.decode(out.stderr)}`);
  return d.decode(out.stdout).trimEnd().split("\n").map((l) => l.split("|"));
}

async function one(sql: string): Promise<string> {
  return (await psql(sql))[1][0];
}

async function backendTypes(): Promise<string[]> {
  return (await psql("select backend_type from pg_stat_activity")).slice(1).map((r) => r[0]);
}

describe("statistics views through psql", () => {
  test("have PostgreSQL 15's columns", async () => {
    expect((await psql("select * from pg_stat_bgwriter"))[0]).toEqual([
      "checkpoints_timed",
      "checkpoints_req",
      "checkpoint_write_time",
      "checkpoint_sync_time",
      "buffers_checkpoint",
      "buffers_clean",
      "maxwritten_clean",
      "buffers_backend",
      "buffers_backend_fsync",
      "buffers_alloc",
      "stats_reset",
    ]);
    expect((await psql("select * from pg_stat_wal"))[0]).toEqual([
      "wal_records",
      "wal_fpi",
      "wal_bytes",
      "wal_buffers_full",
      "wal_write",
      "wal_sync",
      "wal_write_time",
      "wal_sync_time",
      "stats_reset",
    ]);
    const database = await psql("select * from pg_stat_database");
    expect(database[0].slice(0, 7)).toEqual([
      "datid",
      "datname",
      "numbackends",
      "xact_commit",
      "xact_rollback",
      "blks_read",
      "blks_hit",
    ]);
    expect(database[0]).toHaveLength(28);
    expect(database.slice(1).map((r) => r.slice(0, 2))).toEqual([
      ["0", ""],
      ["1", "template1"],
      ["4", "template0"],
      ["5", "postgres"],
    ]);
  }, LONG_MS);

  test("a CHECKPOINT moves pg_stat_bgwriter and pg_stat_wal; pg_stat_reset_shared() zeroes them", async () => {
    const requested = Number(await one("select checkpoints_req from pg_stat_bgwriter"));
    const records = Number(await one("select wal_records from pg_stat_wal"));
    await psql("checkpoint");
    expect(Number(await one("select checkpoints_req from pg_stat_bgwriter"))).toBe(requested + 1);
    // The checkpoint record at least (the startup process's and the checkpointer's WAL count too).
    expect(Number(await one("select wal_records from pg_stat_wal"))).toBeGreaterThan(records);
    expect(Number(await one("select checkpoint_write_time + checkpoint_sync_time from pg_stat_bgwriter")))
      .toBeGreaterThanOrEqual(0);
    const resetBefore = await one("select stats_reset from pg_stat_bgwriter");
    await psql("select pg_stat_reset_shared('bgwriter')");
    expect(await psql("select checkpoints_req, stats_reset > '" + resetBefore + "' from pg_stat_bgwriter"))
      .toEqual([["checkpoints_req", "?column?"], ["0", "t"]]);
    await psql("select pg_stat_reset_shared('wal')");
    expect(Number(await one("select wal_records from pg_stat_wal"))).toBeLessThan(records + 1);
  }, LONG_MS);

  test("pg_stat_database counts this session in numbackends", async () => {
    expect(Number(await one("select numbackends from pg_stat_database where datname = 'postgres'")))
      .toBeGreaterThanOrEqual(1);
    expect(await one("select numbackends from pg_stat_database where datid = 0")).toBe("0");
  }, LONG_MS);

  test("pg_stat_database counts every transaction's end once: commits, rollbacks, and a failed block", async () => {
    const counts = async () =>
      (await psql("select xact_commit, xact_rollback from pg_stat_database where datname = 'postgres'"))[1]
        .map(Number);
    const [commit0, rollback0] = await counts(); // this reading commits after it read
    const c = new pg.Client({ host: cluster.socketDir, port: PORT, user: "postgres", database: "postgres" });
    await c.connect();
    try {
      await c.query("select 1"); // commit
      await c.query("begin");
      await c.query("commit"); // commit
      await c.query("begin");
      await c.query("rollback"); // rollback
      await c.query("begin");
      expect((await c.query("select 1/0").catch((e) => e)).code).toBe("22012"); // rollback, when the block fails
      await c.query("rollback"); // nothing more
      expect((await c.query("select 1/0").catch((e) => e)).code).toBe("22012"); // rollback
    } finally {
      await c.end();
    }
    expect(await counts()).toEqual([commit0 + 3, rollback0 + 3]);
  }, LONG_MS);

  test("each background process shows its main loop's wait event while it sleeps", async () => {
    const expected = [
      ["autovacuum launcher", "Activity", "AutoVacuumMain"],
      ["checkpointer", "Activity", "CheckpointerMain"],
      ["walwriter", "Activity", "WalWriterMain"],
    ];
    const sql = "select backend_type, wait_event_type, wait_event from pg_stat_activity " +
      "where backend_type in ('autovacuum launcher', 'checkpointer', 'walwriter') order by 1";
    // A process can be caught awake: look until all three are seen asleep at once.
    await waitFor(
      async () => JSON.stringify((await psql(sql)).slice(1)) === JSON.stringify(expected),
      LONG_MS,
      "the three wait events",
    );
  }, LONG_MS);

  test("pg_stat_activity does not list the startup process once it has exited, also after crash recovery", async () => {
    const types = await backendTypes();
    expect(types).toContain("client backend");
    expect(types).toContain("checkpointer");
    expect(types).not.toContain("startup");
    const before = cluster.log().length;
    await cluster.stop("immediate");
    await cluster.start();
    expect(cluster.log().slice(before)).toContain("automatic recovery in progress");
    // The background processes claim their slots as they start: wait for them, then look for the startup process.
    await waitFor(async () => (await backendTypes()).includes("walwriter"), LONG_MS, "the walwriter's slot");
    expect(await backendTypes()).not.toContain("startup");
  }, LONG_MS);
});
