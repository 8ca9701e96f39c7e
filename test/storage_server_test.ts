/**
 * End-to-end storage acceptance with the real server (issue 5): an
 * immediate stop followed by a start runs crash recovery and keeps every
 * committed change, a fast stop writes the shutdown checkpoint and the next
 * start needs no recovery; and the checkpointer, background writer and
 * walwriter visibly do their work under a write workload (their counters in
 * shared memory move). The workload is lib/storage/testdata/crash_worker.ts
 * attached to the server's segment like a backend (tables and SQL writes
 * come later).
 */
import { afterEach, describe, expect, test } from "vitest";
import { attachShmemSegment, pgstatSnapshot } from "../lib/shmem/mod.ts";
import { parseReported, type Reported, verifyAfterRecovery } from "../lib/storage/testdata/crash_verify.ts";
import { CheckpointFlags, requestCheckpointNoWait } from "../lib/wal/checkpointer_shmem.ts";
import { readControlFile } from "../lib/wal/pg_control.ts";
import { type Cluster, readPidFileLines, startCluster, waitFor } from "./helpers/cluster.ts";

const REPO_ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const WORKER = `${REPO_ROOT}/lib/storage/testdata/crash_worker.ts`;
const clusters: Cluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.destroy();
});

const PG_BIN = "/usr/lib/postgresql/15/bin";
const HAVE_PG = (() => {
  try {
    return Deno.statSync(`${PG_BIN}/pg_checksums`).isFile;
  } catch {
    return false;
  }
})();

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

async function ctl(args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(`${REPO_ROOT}/bin/ctl`, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

interface Workload {
  stop(): Promise<Reported[]>;
  lines: string[];
}

/** Starts crash workers attached to the running server's segment. */
function startWorkload(dataDir: string, workers: { seed: number; pages?: number; sync?: string }[]): Workload {
  const shmem = readPidFileLines(dataDir)![6];
  const lines: string[] = [];
  const procs = workers.map((w, i) => {
    const child = new Deno.Command(`${REPO_ROOT}/node_modules/.bin/deno`, {
      args: [
        "run",
        "-A",
        "--quiet",
        "--config",
        `${REPO_ROOT}/deno.json`,
        WORKER,
        dataDir,
        shmem,
        String(i),
        String(w.seed),
        "10",
        String(w.pages ?? 6),
        w.sync ?? "on",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const done = (async () => {
      const dec = new TextDecoder();
      let rest = "";
      for await (const chunk of child.stdout) {
        rest += dec.decode(chunk, { stream: true });
        const parts = rest.split("\n");
        rest = parts.pop()!;
        lines.push(...parts);
      }
    })();
    return { child, done };
  });
  return {
    lines,
    stop: async () => {
      for (const p of procs) p.child.kill("SIGTERM");
      for (const p of procs) {
        expect((await p.child.status).code).toBe(0);
        await p.done;
      }
      return parseReported(lines);
    },
  };
}

describe("storage with the real server", () => {
  test("ctl stop -m immediate then ctl start recovers committed work; -m fast needs no recovery", async () => {
    const c = await startCluster({ port: 23011, noStart: true, conf: { log_checkpoints: "on" } });
    clusters.push(c);
    const opts = `-p ${c.port} -k ${c.dataDir} -c listen_addresses=127.0.0.1`;
    expect((await ctl(["start", "-D", c.dataDir, "-l", c.logFile, "-s", "-o", opts])).code).toBe(0);
    const w = startWorkload(c.dataDir, [{ seed: 1 }, { seed: 2 }]);
    await waitFor(() => w.lines.length >= 100, 60_000, "workload commits");
    const reported = await w.stop();
    expect((await ctl(["stop", "-D", c.dataDir, "-m", "immediate", "-s"])).code).toBe(0);
    expect(readControlFile(c.dataDir).state).toBe("in production");

    const before = c.log().length;
    expect((await ctl(["start", "-D", c.dataDir, "-l", c.logFile, "-s"])).code).toBe(0);
    const recoveryLog = c.log().slice(before);
    expect(recoveryLog).toContain("database system was interrupted; last known up at");
    expect(recoveryLog).toContain("database system was not properly shut down; automatic recovery in progress");
    expect(recoveryLog).toMatch(/LOG: {2}redo starts at 0\/[0-9A-F]+/);
    expect(recoveryLog).toMatch(/LOG: {2}redo done at 0\/[0-9A-F]+ system usage: /);
    expect(recoveryLog).toContain("checkpoint starting: end-of-recovery immediate wait");
    expect(recoveryLog).toContain("database system is ready to accept connections");
    expect(verifyAfterRecovery(c.dataDir, `${c.dataDir}/base/5/16384`, reported).violations).toEqual([]);

    const beforeFast = c.log().length;
    expect((await ctl(["stop", "-D", c.dataDir, "-m", "fast", "-s"])).code).toBe(0);
    expect(c.log().slice(beforeFast)).toContain("checkpoint starting: shutdown immediate");
    expect(readControlFile(c.dataDir).state).toBe("shut down");
    const beforeClean = c.log().length;
    expect((await ctl(["start", "-D", c.dataDir, "-l", c.logFile, "-s"])).code).toBe(0);
    const cleanLog = c.log().slice(beforeClean);
    expect(cleanLog).toContain("database system was shut down at");
    expect(cleanLog).not.toContain("automatic recovery in progress");
    expect((await ctl(["stop", "-D", c.dataDir, "-m", "fast", "-s"])).code).toBe(0);
    expect(verifyAfterRecovery(c.dataDir, `${c.dataDir}/base/5/16384`, reported).violations).toEqual([]);
    if (HAVE_PG) {
      // PostgreSQL's own tools accept our files: every page checksum, the control file, the WAL.
      // pg_checksums scans global/ too, which also holds the catalog's JSON files: check a copy of the relation files.
      const copy = `${c.baseDir}/checksum-copy`;
      for (const d of ["global", "base", "pg_tblspc"]) Deno.mkdirSync(`${copy}/${d}`, { recursive: true });
      Deno.copyFileSync(`${c.dataDir}/global/pg_control`, `${copy}/global/pg_control`);
      expect((await run("cp", ["-a", `${c.dataDir}/base/.`, `${copy}/base`])).code).toBe(0);
      const ck = await run(`${PG_BIN}/pg_checksums`, ["-c", "-D", copy]);
      expect(ck.out, ck.out).toContain("Bad checksums:  0");
      expect(ck.code).toBe(0);
      const cd = await run(`${PG_BIN}/pg_controldata`, ["-D", c.dataDir]);
      expect(cd.out).toMatch(/Database cluster state: +shut down/);
      const wd = await run(`${PG_BIN}/pg_waldump`, [
        "-p",
        `${c.dataDir}/pg_wal`,
        "-r",
        "Transaction",
        "000000010000000000000001",
      ]);
      expect(wd.out).toMatch(/rmgr: Transaction .* desc: COMMIT \d{4}-\d\d-\d\d/);
    }
  }, 300_000);

  test("checkpointer, background writer and walwriter counters move under a write workload", async () => {
    const c = await startCluster({
      port: 23012,
      conf: {
        shared_buffers: "16",
        bgwriter_delay: "20ms",
        wal_writer_delay: "20ms",
        checkpoint_timeout: "30s",
        log_checkpoints: "on",
      },
    });
    clusters.push(c);
    const seg = attachShmemSegment(readPidFileLines(c.dataDir)![6]);
    try {
      const start = Date.now();
      const w = startWorkload(c.dataDir, [{ seed: 11, pages: 64 }, { seed: 12, pages: 64, sync: "off" }]);
      await waitFor(() => w.lines.length >= 50, 60_000, "workload commits");
      requestCheckpointNoWait(seg, CheckpointFlags.FORCE | CheckpointFlags.IMMEDIATE);
      await waitFor(
        () => {
          const s = pgstatSnapshot(seg);
          return s.checkpointer.checkpointsTimed > 0 && s.checkpointer.checkpointsReq > 0 &&
            s.checkpointer.buffersClean > 0 && s.wal.walwriter.syncs > 0 && s.checkpointer.buffersCheckpoint > 0;
        },
        120_000,
        "timed and requested checkpoints, bgwriter cleaning and walwriter flushes",
      );
      await w.stop();
      const s = pgstatSnapshot(seg);
      expect(Date.now() - start).toBeGreaterThan(25_000);
      expect(s.checkpointer.buffersAlloc).toBeGreaterThan(0);
      expect(s.wal.walwriter.writes).toBeGreaterThan(0);
      expect(s.wal["client backend"].records).toBeGreaterThan(0);
      expect(s.xact["client backend"].commits).toBeGreaterThan(0);
      expect(c.log()).toContain("checkpoint starting: immediate force");
      expect(c.log()).toContain("checkpoint starting: time");
      expect(c.log()).toMatch(/checkpoint complete: wrote \d+ buffers \(\d+\.\d%\); /);
    } finally {
      seg.detach();
    }
  }, 300_000);
});
