/**
 * End-to-end storage acceptance with the real server (issue 5): an
 * immediate stop followed by a start runs crash recovery and keeps every
 * committed change, a fast stop writes the shutdown checkpoint and the next
 * start needs no recovery; and the checkpointer, background writer and
 * walwriter visibly do their work under a write workload (their counters in
 * shared memory move). The workload is test/helpers/storage_workload.ts:
 * crash workers attached to the server's segment like backends (tables and
 * SQL writes come later).
 */
import { describe, expect, test } from "vitest";
import { attachShmemSegment, pgstatSnapshot } from "../lib/shmem/mod.ts";
import { verifyAfterRecovery } from "../lib/storage/testdata/crash_verify.ts";
import { CheckpointFlags, requestCheckpointNoWait } from "../lib/wal/checkpointer_shmem.ts";
import { readControlFile } from "../lib/wal/pg_control.ts";
import { clusterScope, readPidFileLines, runCommand, runCtl, waitFor } from "./helpers/cluster.ts";
import { startStorageWorkload } from "./helpers/storage_workload.ts";

const clusters = clusterScope();

const PG_BIN = "/usr/lib/postgresql/15/bin";
const HAVE_PG = (() => {
  try {
    return Deno.statSync(`${PG_BIN}/pg_checksums`).isFile;
  } catch {
    return false;
  }
})();

describe("storage with the real server", () => {
  test("ctl stop -m immediate then ctl start recovers committed work; -m fast needs no recovery", async () => {
    const c = await clusters.start({ port: 23011, noStart: true, conf: { log_checkpoints: "on" } });
    const opts = `-p ${c.port} -k ${c.dataDir} -c listen_addresses=127.0.0.1`;
    expect((await runCtl(["start", "-D", c.dataDir, "-l", c.logFile, "-s", "-o", opts])).code).toBe(0);
    const w = startStorageWorkload(c.dataDir, [{ seed: 1 }, { seed: 2 }]);
    await waitFor(() => w.lines.length >= 100, 60_000, "workload commits");
    const reported = await w.stop();
    expect((await runCtl(["stop", "-D", c.dataDir, "-m", "immediate", "-s"])).code).toBe(0);
    expect(readControlFile(c.dataDir).state).toBe("in production");

    const before = c.log().length;
    expect((await runCtl(["start", "-D", c.dataDir, "-l", c.logFile, "-s"])).code).toBe(0);
    const recoveryLog = c.log().slice(before);
    expect(recoveryLog).toContain("database system was interrupted; last known up at");
    expect(recoveryLog).toContain("database system was not properly shut down; automatic recovery in progress");
    expect(recoveryLog).toMatch(/LOG: {2}redo starts at 0\/[0-9A-F]+/);
    expect(recoveryLog).toMatch(/LOG: {2}redo done at 0\/[0-9A-F]+ system usage: CPU: user: [\d.]+ s, system: /);
    expect(recoveryLog).toContain("checkpoint starting: end-of-recovery immediate wait");
    expect(recoveryLog).toContain("database system is ready to accept connections");
    expect(verifyAfterRecovery(c.dataDir, `${c.dataDir}/base/5/16384`, reported).violations).toEqual([]);

    const beforeFast = c.log().length;
    expect((await runCtl(["stop", "-D", c.dataDir, "-m", "fast", "-s"])).code).toBe(0);
    expect(c.log().slice(beforeFast)).toContain("checkpoint starting: shutdown immediate");
    expect(readControlFile(c.dataDir).state).toBe("shut down");
    const beforeClean = c.log().length;
    expect((await runCtl(["start", "-D", c.dataDir, "-l", c.logFile, "-s"])).code).toBe(0);
    const cleanLog = c.log().slice(beforeClean);
    expect(cleanLog).toContain("database system was shut down at");
    expect(cleanLog).not.toContain("automatic recovery in progress");
    expect((await runCtl(["stop", "-D", c.dataDir, "-m", "fast", "-s"])).code).toBe(0);
    expect(readControlFile(c.dataDir).state).toBe("shut down");
    expect(verifyAfterRecovery(c.dataDir, `${c.dataDir}/base/5/16384`, reported).violations).toEqual([]);
    if (HAVE_PG) {
      // PostgreSQL's own tools accept our stopped data directory as it is: every page checksum, the control file, the WAL.
      const ck = await runCommand(`${PG_BIN}/pg_checksums`, ["-c", "-D", c.dataDir]);
      expect(ck.stdout, ck.stdout + ck.stderr).toContain("Bad checksums:  0");
      expect(ck.stdout).toMatch(/Blocks scanned: +[1-9]/);
      expect(ck.code).toBe(0);
      const cd = await runCommand(`${PG_BIN}/pg_controldata`, ["-D", c.dataDir]);
      expect(cd.stdout).toMatch(/Database cluster state: +shut down/);
      const wd = await runCommand(`${PG_BIN}/pg_waldump`, [
        "-p",
        `${c.dataDir}/pg_wal`,
        "-r",
        "Transaction",
        "000000010000000000000001",
      ]);
      expect(wd.stdout).toMatch(/rmgr: Transaction .* desc: COMMIT \d{4}-\d\d-\d\d/);
    }
  }, 300_000);

  test("checkpointer, background writer and walwriter counters move under a write workload", async () => {
    const c = await clusters.start({
      port: 23012,
      conf: {
        shared_buffers: "16",
        bgwriter_delay: "20ms",
        wal_writer_delay: "20ms",
        checkpoint_timeout: "30s",
        log_checkpoints: "on",
      },
    });
    const seg = attachShmemSegment(readPidFileLines(c.dataDir)![6]);
    try {
      const start = Date.now();
      const w = startStorageWorkload(c.dataDir, [{ seed: 11, pages: 64 }, { seed: 12, pages: 64, sync: "off" }]);
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
