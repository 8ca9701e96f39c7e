import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { GucSettings } from "../config/mod.ts";
import { PROC_MAPS_MAX_BYTES, readProcFile } from "../ffi/procfs.ts";
import {
  createShmemSegment,
  pgstatReportCheckpoint,
  resetShmemSegment,
  type ShmemSegment,
  unlinkShmemSegment,
} from "../shmem/mod.ts";
import { storageShmemInit } from "../storage/storage_init.ts";
import { xlogSharedStart } from "../wal/xlog_shmem.ts";
import { SnapshotReader } from "./snapshot_reader.ts";
import { TOP_SNAPSHOT_SCHEMA } from "./snapshot_schema.ts";
import { checkJsonSchema } from "./_json_schema_check.ts";

const HOLDER = new URL("./testdata/slot_holder.ts", import.meta.url).pathname;
const DENO = Deno.execPath();
const settings = GucSettings.defaults().with("max_connections", 10, "default").with("shared_buffers", 16, "default");

interface Holder {
  child: Deno.ChildProcess;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  marker: string;
}

let dataDir: string;
let segName: string;
let seg: ShmemSegment;
let holders: Holder[];
let readers: SnapshotReader[];

function writePidFile(pid: number, startS = Math.floor(Date.now() / 1000), status = "ready   "): void {
  Deno.writeTextFileSync(
    `${dataDir}/postmaster.pid`,
    `${pid}\n${dataDir}\n${startS}\n22999\n${dataDir}\n127.0.0.1\n${segName}\n${status}\n`,
  );
}

async function startHolder(type: string): Promise<Holder> {
  const marker = `${dataDir}/marker.${holders.length}`;
  const child = new Deno.Command(DENO, {
    args: ["run", "-A", "--quiet", HOLDER, segName, marker, type],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const holder = { child, writer: child.stdin.getWriter(), marker };
  holders.push(holder);
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  expect(new TextDecoder().decode(value)).toContain("ready");
  reader.releaseLock();
  return holder;
}

function newReader(): SnapshotReader {
  const r = new SnapshotReader(dataDir);
  readers.push(r);
  return r;
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeEach(() => {
  dataDir = Deno.makeTempDirSync({ prefix: "top_reader_" });
  segName = `/denogres.toptest.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}`;
  seg = createShmemSegment(segName, settings, { initialize: storageShmemInit }); // as the postmaster does
  holders = [];
  readers = [];
});

afterEach(async () => {
  for (const r of readers) r.close();
  for (const h of holders) {
    try {
      await h.writer.close();
    } catch { /* already closed */ }
    try {
      h.child.kill("SIGKILL");
    } catch { /* already gone */ }
    await h.child.status;
    await h.child.stdout.cancel().catch(() => {});
  }
  seg.detach();
  unlinkShmemSegment(segName);
  Deno.removeSync(dataDir, { recursive: true });
});

describe("SnapshotReader", () => {
  test("reads no server when there is no postmaster.pid, and never throws", () => {
    const s = newReader().read();
    expect(s.status).toBe("no server");
    expect(s.server).toBeNull();
    expect(s.processes).toEqual([]);
    expect(checkJsonSchema(TOP_SNAPSHOT_SCHEMA, JSON.parse(JSON.stringify(s)))).toEqual([]);
  });

  test("shows the postmaster, its children with their slots, and rates from the second read", async () => {
    const backend = await startHolder("client backend");
    await startHolder("checkpointer");
    writePidFile(Deno.pid);
    const reader = newReader();
    const first = reader.read();
    expect(first.status).toBe("running");
    expect(first.server).toMatchObject({
      pid: Deno.pid,
      port: 22999,
      state: "ready",
      generation: 1,
      connectionsMax: 10,
    });
    expect(first.server!.connectionsUsed).toBe(1);
    expect(first.server!.transactionsPerS).toBeNull();
    const b = first.processes.find((p) => p.pid === backend.child.pid)!;
    expect(b).toMatchObject({
      backendType: "client backend",
      background: false,
      inProcArray: true,
      state: "active",
      user: "alice",
      database: "postgres",
      clientAddr: "127.0.0.1",
      clientPort: 50001,
      query: "select pg_sleep(30)",
      parentPid: Deno.pid,
    });
    expect(b.rssBytes).toBeGreaterThan(1 << 20);
    expect(first.processes[0]).toMatchObject({ pid: Deno.pid, backendType: "postmaster" });
    expect(first.processes.some((p) => p.backendType === "checkpointer" && p.background)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const second = reader.read();
    expect(second.server!.transactionsPerS).toBeGreaterThan(0);
    expect(second.buffers).toMatchObject({ sizeBuffers: 16, usedBuffers: 0, usageCountHistogram: [0, 0, 0, 0, 0, 0] });
    expect(second.buffers!.hitRatio).toBeCloseTo(0.9, 1);
    expect(second.buffers!.rates!.backends.readsPerS).toBeGreaterThan(0);
    // The startup process has not recorded the WAL geometry in this bare segment: no positions, not invented.
    expect(second.wal).toMatchObject({ insertLsn: null, flushLsn: null });
    expect(second.processes.find((p) => p.pid === backend.child.pid)!.cpuPercent).not.toBeNull();
    expect(second.intervalMs).toBeGreaterThanOrEqual(300);
    expect(checkJsonSchema(TOP_SNAPSHOT_SCHEMA, JSON.parse(JSON.stringify(second)))).toEqual([]);
  });

  test("shows the last checkpoint's end and duration from the statistics", () => {
    writePidFile(Deno.pid);
    // No checkpoint since the segment was made and no pg_control: nothing to show, nothing invented.
    expect(newReader().read().checkpoints).toMatchObject({ lastAt: null, lastDurationMs: null });
    const endMs = Date.parse("2026-01-02T03:04:05.000Z");
    pgstatReportCheckpoint(seg, endMs - 1250, endMs);
    expect(newReader().read().checkpoints).toMatchObject({ lastAt: "2026-01-02T03:04:05.000Z", lastDurationMs: 1250 });
  });

  test("reads the WAL positions once the startup process has recorded the WAL geometry", () => {
    xlogSharedStart(seg, 16 * 1024 * 1024, 7n, 0);
    writePidFile(Deno.pid);
    const wal = newReader().read().wal!;
    expect(wal.insertLsn).toMatch(/^0\/[0-9A-F]+$/);
    expect(wal.flushLsn).toBe("0/0");
  });

  test("maps the segment read-only", () => {
    writePidFile(Deno.pid);
    newReader().read();
    const maps = readProcFile("/proc/self/maps", PROC_MAPS_MAX_BYTES)!.split("\n").filter((l) =>
      l.includes(segName.slice(1))
    );
    // Ours (read-write, the test's own) and the reader's (read-only, shared).
    expect(maps.some((l) => / r--s /.test(l))).toBe(true);
  });

  test("types a child without a slot from its process title", async () => {
    const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      writePidFile(Deno.pid);
      // Until the child has exec'd sleep it has no title of its own: poll for it rather than race it.
      const find = () => newReader().read().processes.find((x) => x.pid === child.pid);
      for (const deadline = Date.now() + 10_000; find()?.backendType === "unknown" && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const p = find()!;
      expect(p).toMatchObject({ backendType: "/usr/bin/sleep", inProcArray: false, background: true });
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("c/K signal a client backend of the cluster, and nothing else", async () => {
    const backend = await startHolder("client backend");
    const checkpointer = await startHolder("checkpointer");
    writePidFile(Deno.pid);
    const reader = newReader();
    expect(reader.signalBackend(checkpointer.child.pid, "terminate")).toBe(
      `PID ${checkpointer.child.pid} is not a PostgreSQL backend process`,
    );
    expect(reader.signalBackend(1, "cancel")).toBe("PID 1 is not a PostgreSQL backend process");
    expect(reader.signalBackend(backend.child.pid, "cancel")).toBe(
      `sent SIGINT to backend ${backend.child.pid} (cancel)`,
    );
    await waitFor(() => {
      try {
        return Deno.readTextFileSync(backend.marker) === "SIGINT";
      } catch {
        return false;
      }
    }, "the backend to get SIGINT");
    expect(() => Deno.readTextFileSync(checkpointer.marker)).toThrow();
  });

  test("refuses to signal when the pid file names another postmaster", async () => {
    const backend = await startHolder("client backend");
    const other = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      writePidFile(other.pid);
      expect(newReader().signalBackend(backend.child.pid, "terminate")).toBe(
        `PID ${backend.child.pid} is not a backend of this server`,
      );
    } finally {
      other.kill("SIGKILL");
    }
  });

  test("says so and re-attaches when the server resets after a crash", () => {
    writePidFile(Deno.pid);
    const reader = newReader();
    expect(reader.read().server!.generation).toBe(1);
    seg = resetShmemSegment(seg, settings, { initialize: storageShmemInit });
    const after = reader.read();
    expect(after.status).toBe("running");
    expect(after.server!.generation).toBe(2);
    expect(after.notices).toContain("shared memory was discarded: attaching the new segment");
    expect(after.notices).toContain("server reset after a crash: shared memory generation 1 -> 2");
    expect(reader.read().notices).toEqual([]);
  });

  test("says so when the server stops, restarts under another pid, and starts again", () => {
    writePidFile(Deno.pid);
    const reader = newReader();
    reader.read();
    Deno.removeSync(`${dataDir}/postmaster.pid`);
    const stopped = reader.read();
    expect(stopped.status).toBe("no server");
    expect(stopped.notices).toEqual(["server stopped: postmaster.pid is gone"]);
    writePidFile(Deno.pid);
    expect(reader.read().notices).toEqual([`server started: postmaster PID ${Deno.pid}`]);
    const other = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      writePidFile(other.pid, Math.floor(Date.now() / 1000) + 1);
      expect(reader.read().notices).toContain(`server restarted: postmaster PID ${Deno.pid} -> ${other.pid}`);
    } finally {
      other.kill("SIGKILL");
    }
  });

  test("a pid file naming a dead process reads as no server", async () => {
    const child = new Deno.Command("true").spawn();
    await child.status;
    writePidFile(child.pid);
    const s = newReader().read();
    expect(s.status).toBe("no server");
    expect(s.notices).toEqual([`postmaster.pid names PID ${child.pid}, which is not running`]);
  });

  test("shows starting, in recovery and shutting down from the pid file and the startup process", async () => {
    writePidFile(Deno.pid, undefined, "starting");
    const reader = newReader();
    expect(reader.read().server!.state).toBe("starting");
    await startHolder("startup");
    expect(reader.read().server!.state).toBe("in recovery");
    writePidFile(Deno.pid, undefined, "stopping");
    expect(reader.read().server!.state).toBe("shutting down");
  });
});
