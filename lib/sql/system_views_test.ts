/**
 * The statistics views and pg_stat_reset_shared() against a real segment
 * (made as the postmaster makes it) and a real bootstrap catalog; column
 * names and types are PostgreSQL 15's (checked with ../../shared/tools/pgref:
 * `\d pg_stat_bgwriter`, `\d pg_stat_wal`, `\d pg_stat_database`).
 */
import { afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { SqlError } from "../common/errors.ts";
import { GucSettings } from "../config/mod.ts";
import { bootstrapCatalog, CATALOG_DIR } from "../catalog/mod.ts";
import {
  createShmemSegment,
  pgstatCountCheckpointer,
  pgstatCountIo,
  pgstatCountWal,
  pgstatCountXact,
  pgstatReportChecksumFailure,
  procArrayClaimSlot,
  procArrayReleaseSlot,
  type ShmemSegment,
  unlinkShmemSegment,
} from "../shmem/mod.ts";
import { storageShmemInit } from "../storage/storage_init.ts";
import type { BackendActivity } from "./exec_context.ts";
import { sqlParserInit } from "./statement.ts";
import { SYSTEM_VIEWS } from "./system_views.ts";
import { runStatement, testSession, type TestSessionOptions } from "./testdata/test_session.ts";
import { formatType } from "./types.ts";

let seg: ShmemSegment;
let dataDir: string;

beforeAll(async () => {
  await sqlParserInit();
});

beforeEach(async () => {
  dataDir = await Deno.makeTempDir({ prefix: "denogres_views_" });
  await Deno.mkdir(`${dataDir}/${CATALOG_DIR}`);
  await bootstrapCatalog(dataDir, { superuser: "postgres" });
  const settings = GucSettings.defaults().with("shared_buffers", 16, "command line");
  const name = `/denogres.views.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}`;
  seg = createShmemSegment(name, settings, { initialize: storageShmemInit });
});

afterEach(async () => {
  if (seg.local.procNo >= 0) procArrayReleaseSlot(seg);
  unlinkShmemSegment(seg.name);
  seg.detach();
  await Deno.remove(dataDir, { recursive: true });
});

function session(options: Omit<TestSessionOptions, "process"> = {}) {
  return testSession({ ...options, process: { dataDir, segment: seg } }).env;
}

async function rows(sql: string, options: Omit<TestSessionOptions, "process"> = {}): Promise<(string | null)[][]> {
  return (await runStatement(session(options), sql)).rows;
}

/** Counts as a process of `type` would. */
function countAs(type: "client backend" | "checkpointer" | "walwriter", count: () => void): void {
  procArrayClaimSlot(seg, type);
  try {
    count();
  } finally {
    procArrayReleaseSlot(seg);
  }
}

describe("system views", () => {
  test("have PostgreSQL 15's column names and types, in order", () => {
    const columns = (name: string) => SYSTEM_VIEWS.get(name)!.columns.map((c) => `${c.name} ${formatType(c.type, -1)}`);
    expect(columns("pg_stat_bgwriter")).toEqual([
      "checkpoints_timed bigint",
      "checkpoints_req bigint",
      "checkpoint_write_time double precision",
      "checkpoint_sync_time double precision",
      "buffers_checkpoint bigint",
      "buffers_clean bigint",
      "maxwritten_clean bigint",
      "buffers_backend bigint",
      "buffers_backend_fsync bigint",
      "buffers_alloc bigint",
      "stats_reset timestamp with time zone",
    ]);
    expect(columns("pg_stat_wal")).toEqual([
      "wal_records bigint",
      "wal_fpi bigint",
      "wal_bytes numeric",
      "wal_buffers_full bigint",
      "wal_write bigint",
      "wal_sync bigint",
      "wal_write_time double precision",
      "wal_sync_time double precision",
      "stats_reset timestamp with time zone",
    ]);
    expect(columns("pg_stat_database")).toEqual([
      "datid oid",
      "datname name",
      "numbackends integer",
      "xact_commit bigint",
      "xact_rollback bigint",
      "blks_read bigint",
      "blks_hit bigint",
      "tup_returned bigint",
      "tup_fetched bigint",
      "tup_inserted bigint",
      "tup_updated bigint",
      "tup_deleted bigint",
      "conflicts bigint",
      "temp_files bigint",
      "temp_bytes bigint",
      "deadlocks bigint",
      "checksum_failures bigint",
      "checksum_last_failure timestamp with time zone",
      "blk_read_time double precision",
      "blk_write_time double precision",
      "session_time double precision",
      "active_time double precision",
      "idle_in_transaction_time double precision",
      "sessions bigint",
      "sessions_abandoned bigint",
      "sessions_fatal bigint",
      "sessions_killed bigint",
      "stats_reset timestamp with time zone",
    ]);
  });

  test("pg_stat_bgwriter shows the checkpointer's counters, times in milliseconds", async () => {
    countAs("checkpointer", () => {
      pgstatCountCheckpointer(seg, "checkpointsTimed", 2);
      pgstatCountCheckpointer(seg, "checkpointsReq");
      pgstatCountCheckpointer(seg, "checkpointWriteTimeUs", 1500);
      pgstatCountCheckpointer(seg, "buffersCheckpoint", 40);
      pgstatCountCheckpointer(seg, "buffersAlloc", 7);
    });
    const [row] = await rows("select * from pg_stat_bgwriter");
    expect(row.slice(0, 10)).toEqual(["2", "1", "1.5", "0", "40", "0", "0", "0", "0", "7"]);
    expect(row[10]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+00$/);
  });

  test("pg_stat_wal sums every process's WAL counters; wal_bytes is numeric", async () => {
    countAs("client backend", () => {
      pgstatCountWal(seg, "records", 10);
      pgstatCountWal(seg, "bytes", 5_000_000_000);
      pgstatCountWal(seg, "syncs", 2);
    });
    countAs("walwriter", () => {
      pgstatCountWal(seg, "writes", 3);
      pgstatCountWal(seg, "syncs", 1);
      pgstatCountWal(seg, "syncTimeUs", 2500);
    });
    const [row] = await rows(
      "select wal_records, wal_fpi, wal_bytes, wal_write, wal_sync, wal_sync_time from pg_stat_wal",
    );
    expect(row).toEqual(["10", "0", "5000000000", "3", "3", "2.5"]);
  });

  test("pg_stat_database lists shared objects (datid 0) and every database, with what denogres counts", async () => {
    countAs("client backend", () => {
      pgstatCountXact(seg, true, 5);
      pgstatCountXact(seg, false, 5);
      pgstatCountIo(seg, "hits", 9, 5);
      pgstatCountIo(seg, "reads", 1, 5);
      pgstatCountIo(seg, "reads", 2, 0);
      pgstatReportChecksumFailure(seg, 5);
    });
    const activity = (datid: number | null) => ({ datid, backendType: "client backend" }) as BackendActivity;
    const got = await rows(
      "select datid, datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit, conflicts, " +
        "checksum_failures, checksum_last_failure is not null, tup_returned, deadlocks, sessions, stats_reset " +
        "from pg_stat_database",
      { activity: () => [activity(5), activity(5), activity(null)] },
    );
    const nulls = [null, null, null, null];
    expect(got).toEqual([
      ["0", null, "0", "0", "0", "2", "0", "0", "0", "f", ...nulls],
      ["1", "template1", "0", "0", "0", "0", "0", "0", "0", "f", ...nulls],
      ["4", "template0", "0", "0", "0", "0", "0", "0", "0", "f", ...nulls],
      ["5", "postgres", "2", "1", "1", "1", "9", "0", "1", "t", ...nulls],
    ]);
  });

  test("the views read in pg_catalog, with WHERE and ORDER BY; other relations still do not exist", async () => {
    expect(await rows("select datname from pg_catalog.pg_stat_database where datid > 0 order by datid desc")).toEqual([
      ["postgres"],
      ["template0"],
      ["template1"],
    ]);
    const e = await rows("select * from public.pg_stat_wal").catch((x) => x);
    expect(e).toBeInstanceOf(SqlError);
    expect([e.sqlstate, e.message]).toEqual(["42P01", 'relation "public.pg_stat_wal" does not exist']);
  });
});

describe("pg_stat_reset_shared()", () => {
  test("zeroes the bgwriter or WAL counters and moves stats_reset", async () => {
    countAs("checkpointer", () => pgstatCountCheckpointer(seg, "checkpointsReq", 3));
    countAs("client backend", () => pgstatCountWal(seg, "records", 4));
    const [[resetBefore]] = await rows("select stats_reset from pg_stat_bgwriter");
    await new Promise((r) => setTimeout(r, 5));
    expect(await rows("select pg_stat_reset_shared('bgwriter')")).toEqual([[""]]);
    const [[checkpointsReq, resetAfter]] = await rows("select checkpoints_req, stats_reset from pg_stat_bgwriter");
    expect(checkpointsReq).toBe("0");
    expect(resetAfter! > resetBefore!).toBe(true);
    expect(await rows("select wal_records from pg_stat_wal")).toEqual([["4"]]);
    await rows("select pg_stat_reset_shared('wal')");
    expect(await rows("select wal_records from pg_stat_wal")).toEqual([["0"]]);
  });

  test("is void, strict, accepts PostgreSQL 15's other targets, refuses unknown ones as PostgreSQL does", async () => {
    expect(await rows("select pg_typeof(pg_stat_reset_shared('wal'))")).toEqual([["void"]]);
    expect(await rows("select pg_stat_reset_shared(null) is null")).toEqual([["t"]]);
    expect(await rows("select pg_stat_reset_shared('archiver')")).toEqual([[""]]);
    const e = await rows("select pg_stat_reset_shared('io')").catch((x) => x);
    expect({ code: e.sqlstate, message: e.message, hint: e.hint }).toEqual({
      code: "22023",
      message: 'unrecognized reset target: "io"',
      hint: 'Target must be "archiver", "bgwriter", "recovery_prefetch", or "wal".',
    });
  });

  test("is for superusers only, whatever the argument", async () => {
    const bob = { userName: "bob", userOid: 16384, isSuperuser: false };
    for (const arg of ["'wal'", "'nonsense'", "null"]) {
      const e = await rows(`select pg_stat_reset_shared(${arg})`, bob).catch((x) => x);
      expect([e.sqlstate, e.message]).toEqual(["42501", "permission denied for function pg_stat_reset_shared"]);
    }
    expect(await rows("select buffers_alloc from pg_stat_bgwriter", bob)).toEqual([["0"]]);
  });
});
