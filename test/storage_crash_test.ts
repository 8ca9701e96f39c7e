/**
 * The storage crash acceptance test (issue 5): several worker processes
 * change pages through the buffer manager under WAL and commit or abort,
 * beside the real checkpointer, background writer and walwriter; the whole
 * process tree is killed with SIGKILL at random moments, 20 times; after each
 * restart (the real startup process replaying WAL) every committed change is
 * present, no aborted change is visible as committed, nothing was replayed
 * twice, and every page passes its checksum. Some cycles also kill the
 * startup process in the middle of recovery. The test plays the postmaster's
 * storage part (lib/storage/testdata/mini_cluster.ts); the full server's
 * crash handling is tested in test/postmaster_crash_test.ts.
 */
import { afterAll, describe, expect, test } from "vitest";
import { readControlFile } from "../lib/wal/pg_control.ts";
import { parseReported, type Reported, verifyAfterRecovery } from "../lib/storage/testdata/crash_verify.ts";
import { MiniCluster } from "../lib/storage/testdata/mini_cluster.ts";
import { makeDataDir, testSettings } from "../lib/storage/testdata/storage_fixture.ts";

const WORKER = new URL("../lib/storage/testdata/crash_worker.ts", import.meta.url).pathname;
const CYCLES = 20;
const WORKERS = 3;
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) Deno.removeSync(d, { recursive: true });
});

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("storage under SIGKILL", () => {
  test(`${CYCLES} kill -9 cycles: committed changes survive, aborted ones never commit, pages verify`, async () => {
    const settings = testSettings({ shared_buffers: 16 });
    const dir = makeDataDir(settings);
    dirs.push(dir);
    Deno.writeTextFileSync(
      `${dir}/postgresql.conf`,
      "max_wal_size = 2MB\nmin_wal_size = 2MB\nlog_checkpoints = on\nbgwriter_delay = 50ms\nwal_writer_delay = 50ms\n",
      { append: true },
    );
    const cluster = new MiniCluster(dir, settings);
    const reported: Reported[] = [];
    let recoveries = 0;
    let replayed = 0;
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        cluster.createSegment();
        if (cycle % 5 === 4) {
          // Crash during recovery too: kill the startup process part-way, then start over.
          cluster.startChild("startup");
          await new Promise((r) => setTimeout(r, 200 + Math.random() * 400));
          await cluster.killAll();
          cluster.createSegment();
        }
        const st = await cluster.runStartup();
        expect(st.code, st.log.join("\n")).toBe(0);
        if (cycle > 0) {
          expect(st.log.join("\n")).toContain(
            "database system was not properly shut down; automatic recovery in progress",
          );
          recoveries++;
          if (st.log.some((l) => l.includes("redo starts at"))) {
            replayed++;
            expect(st.log.join("\n")).toMatch(/redo done at \d+\/[0-9A-F]+/);
          }
        }
        const v = verifyAfterRecovery(dir, `${dir}/base/5/16384`, reported);
        expect(v.violations, `cycle ${cycle}`).toEqual([]);
        expect(readControlFile(dir).state).toBe("in production");

        cluster.startChild("checkpointer");
        cluster.startChild("bgwriter");
        cluster.startChild("walwriter");
        const workers = Array.from(
          { length: WORKERS },
          (_, i) => cluster.startScript(`worker${i}`, WORKER, [String(i), String(cycle * 100 + i + 1), "20"]),
        );
        await until(() => workers.every((w) => w.lines.length >= 5), 60_000);
        await new Promise((r) => setTimeout(r, Math.random() * 1200));
        await cluster.killAll();
        for (const w of workers) reported.push(...parseReported(w.lines));
      }

      // A clean shutdown: the checkpointer's shutdown checkpoint, then a start without recovery.
      cluster.createSegment();
      expect((await cluster.runStartup()).code).toBe(0);
      const ckpt = cluster.startChild("checkpointer");
      const w = cluster.startScript("worker-final", WORKER, ["0", "4242", "0"]);
      await until(() => w.lines.length >= 20, 60_000);
      // A clean stop (SIGTERM ends it between transactions): a process killed while holding a lock
      // would need the postmaster's crash reset, not a clean shutdown.
      w.child.kill("SIGTERM");
      expect((await w.status).code).toBe(0);
      await w.drained;
      reported.push(...parseReported(w.lines));
      await cluster.signalWhenCaught(ckpt, "SIGUSR2");
      expect((await ckpt.status).code).toBe(0);
      await cluster.reapAll();
      expect(readControlFile(dir).state).toBe("shut down");
      cluster.createSegment();
      const clean = await cluster.runStartup();
      expect(clean.code).toBe(0);
      expect(clean.log.join("\n")).toContain("database system was shut down at");
      expect(clean.log.join("\n")).not.toContain("automatic recovery");
      const v = verifyAfterRecovery(dir, `${dir}/base/5/16384`, reported);
      expect(v.violations).toEqual([]);
      expect(recoveries).toBe(CYCLES - 1);
      expect(replayed).toBeGreaterThan(CYCLES / 2);
      expect(reported.filter((r) => r.kind === "C").length).toBeGreaterThan(CYCLES * WORKERS * 4);
      expect(v.committedEntries).toBeGreaterThanOrEqual(reported.filter((r) => r.kind === "C").length);
    } finally {
      await cluster.killAll();
      cluster.dropSegment();
    }
  }, 600_000);
});
