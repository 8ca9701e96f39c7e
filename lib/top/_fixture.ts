/**
 * _fixture.ts — snapshots built by hand for the component and key tests.
 *
 * PostgreSQL counterpart: none.
 *
 * NOTES
 * Test support only: a small cluster (postmaster, four background processes,
 * a spare backend and three client sessions) with every figure set, so a test
 * can check each panel, and `fixtureProcess()` for rows a test needs.
 *
 * @module
 */

import { type ProcessInfo, TOP_SNAPSHOT_SCHEMA_VERSION, type TopSnapshot } from "./snapshot.ts";

/** The fixture's postmaster pid. */
export const FIXTURE_POSTMASTER_PID = 4000;

/**
 * A process row with every optional field null.
 *
 * @param pid the pid
 * @param backendType the backend type
 * @param fields fields to set
 * @returns the process
 */
export function fixtureProcess(pid: number, backendType: string, fields: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid,
    parentPid: backendType === "postmaster" ? 1 : FIXTURE_POSTMASTER_PID,
    backendType,
    background: backendType !== "client backend",
    inProcArray: backendType !== "postmaster" && backendType !== "backend",
    state: null,
    waitEventType: null,
    waitEvent: null,
    stateDurationS: null,
    user: null,
    database: null,
    applicationName: null,
    clientAddr: null,
    clientPort: null,
    backendStartedAt: null,
    xactStartedAt: null,
    queryStartedAt: null,
    query: null,
    cpuPercent: 0.5,
    rssBytes: 50 * 1024 * 1024,
    ...fields,
  };
}

/**
 * A snapshot of a running cluster with three client sessions.
 *
 * @param fields fields to replace
 * @returns the snapshot
 */
export function fixtureSnapshot(fields: Partial<TopSnapshot> = {}): TopSnapshot {
  const session = (pid: number, f: Partial<ProcessInfo>) =>
    fixtureProcess(pid, "client backend", {
      user: "alice",
      database: "postgres",
      applicationName: "psql",
      clientAddr: "127.0.0.1",
      clientPort: 50000 + pid - 4100,
      backendStartedAt: "2024-05-01T10:00:00.000Z",
      ...f,
    });
  return {
    schemaVersion: TOP_SNAPSHOT_SCHEMA_VERSION,
    takenAt: "2024-05-01T10:05:00.000Z",
    intervalMs: 1000,
    dataDir: "/tmp/fixture-data",
    status: "running",
    notices: [],
    server: {
      pid: FIXTURE_POSTMASTER_PID,
      startedAt: "2024-05-01T09:00:00.000Z",
      uptimeS: 3900,
      port: 22001,
      socketDir: "/tmp/fixture-data",
      listenAddresses: "127.0.0.1",
      shmemName: "/denogres.22001.fixture",
      generation: 1,
      state: "ready",
      connectionsUsed: 3,
      connectionsMax: 100,
      transactionsPerS: 42.5,
      commitsTotal: 1000,
      rollbacksTotal: 3,
    },
    processes: [
      fixtureProcess(FIXTURE_POSTMASTER_PID, "postmaster", { cpuPercent: 0.1 }),
      fixtureProcess(4010, "checkpointer", { waitEvent: "CheckpointerMain", cpuPercent: 0 }),
      fixtureProcess(4011, "background writer", { waitEvent: "BgWriterMain", cpuPercent: 0.2 }),
      fixtureProcess(4012, "walwriter", { waitEvent: "WalWriterMain" }),
      fixtureProcess(4013, "autovacuum launcher", { waitEvent: "AutoVacuumMain" }),
      fixtureProcess(4020, "backend", { cpuPercent: 0 }),
      session(4101, {
        state: "active",
        stateDurationS: 12.5,
        waitEventType: "Timeout",
        waitEvent: "PgSleep",
        query: "select pg_sleep(30)",
        cpuPercent: 1.5,
        rssBytes: 60 * 1024 * 1024,
      }),
      session(4102, {
        state: "idle",
        stateDurationS: 300,
        waitEventType: "Client",
        waitEvent: "ClientRead",
        query: "select 1",
        user: "bob",
        cpuPercent: 0,
      }),
      session(4103, {
        state: "idle in transaction",
        stateDurationS: 3,
        waitEvent: "ClientRead",
        query: "update accounts\n   set balance = balance - 1 where id = 7",
        database: "bank",
        applicationName: "pgbench",
        cpuPercent: 7.25,
        rssBytes: 80 * 1024 * 1024,
      }),
    ],
    buffers: {
      sizeBuffers: 16384,
      blockSizeBytes: 8192,
      usedBuffers: 1234,
      dirtyBuffers: 56,
      pinnedBuffers: 2,
      usageCountHistogram: [15150, 900, 200, 80, 40, 14],
      hitRatio: 0.987,
      rates: {
        backends: { readsPerS: 12, writesPerS: 1, evictionsPerS: 0.5 },
        bgwriter: { readsPerS: 0, writesPerS: 25, evictionsPerS: 0 },
        checkpointer: { readsPerS: 0, writesPerS: 300, evictionsPerS: 0 },
      },
    },
    wal: {
      insertLsn: "0/16B3F28",
      flushLsn: "0/16B3E00",
      bytesPerS: 123456,
      fsyncsPerS: 4,
      recordsPerS: 40,
    },
    checkpoints: {
      timed: 3,
      requested: 1,
      lastAt: "2024-05-01T10:00:00.000Z",
      lastDurationMs: 120,
      buffersWritten: 340,
    },
    ...fields,
  };
}
