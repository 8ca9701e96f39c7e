/**
 * Damaged WAL (issue 5 acceptance): a WAL file whose last record is torn,
 * and one with a flipped byte in a record, recover to the last valid record
 * before the damage and report where replay stopped (PostgreSQL's messages),
 * with the real startup process; the cluster then runs and recovers again.
 */
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { LinuxConst } from "../lib/ffi/libc.ts";
import { fileClose, fileOpen, fileWriteAt } from "../lib/storage/fd.ts";
import { parseReported, type Reported, verifyAfterRecovery } from "../lib/storage/testdata/crash_verify.ts";
import { MiniCluster } from "../lib/storage/testdata/mini_cluster.ts";
import { makeDataDir, testSettings } from "../lib/storage/testdata/storage_fixture.ts";
import { formatLsn, xlogSegNoOf } from "../lib/wal/lsn.ts";
import { readControlFile } from "../lib/wal/pg_control.ts";
import { xlogFilePath } from "../lib/wal/xlog_file.ts";
import { XLogReader } from "../lib/wal/xlog_reader.ts";
import type { DecodedXLogRecord } from "../lib/wal/xlog_record.ts";

const WORKER = new URL("../lib/storage/testdata/crash_worker.ts", import.meta.url).pathname;
const SEG = 1 << 20;
const dirs: string[] = [];
const clusters: MiniCluster[] = [];
// Also when a test failed before its own finally (e.g. in crashedCluster): no process or segment is left behind.
afterEach(async () => {
  for (const c of clusters.splice(0)) {
    await c.killAll();
    c.dropSegment();
  }
});
afterAll(() => {
  for (const d of dirs) Deno.removeSync(d, { recursive: true });
});

/** Runs a workload, kills everything, and returns the records after the last checkpoint. */
async function crashedCluster(
  seed: number,
): Promise<{ cluster: MiniCluster; dir: string; reported: Reported[]; records: DecodedXLogRecord[] }> {
  const settings = testSettings({ shared_buffers: 16 });
  const dir = makeDataDir(settings);
  dirs.push(dir);
  Deno.writeTextFileSync(`${dir}/postgresql.conf`, "log_checkpoints = on\n", { append: true });
  const cluster = new MiniCluster(dir, settings);
  clusters.push(cluster);
  cluster.createSegment();
  expect((await cluster.runStartup()).code).toBe(0);
  const w = cluster.startScript("worker", WORKER, ["0", String(seed), "0"]);
  const deadline = Date.now() + 60_000;
  while (w.lines.length < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await cluster.killAll();
  const reported = parseReported(w.lines);
  const cf = readControlFile(dir);
  const reader = new XLogReader(dir, SEG, cf.systemIdentifier);
  const records: DecodedXLogRecord[] = [];
  for (let r = reader.readRecord(cf.checkPointCopy.redo); r !== undefined; r = reader.readRecord()) records.push(r);
  reader.close();
  return { cluster, dir, reported, records };
}

function writeWal(dir: string, lsn: bigint, bytes: Uint8Array): void {
  const path = xlogFilePath(dir, xlogSegNoOf(lsn, SEG), SEG);
  const fd = fileOpen(path, LinuxConst.O_RDWR);
  try {
    fileWriteAt(fd, bytes, Number(lsn % BigInt(SEG)), path);
  } finally {
    fileClose(fd);
  }
}

async function recoverAndCheck(
  cluster: MiniCluster,
  stopAt: DecodedXLogRecord,
  damaged: DecodedXLogRecord,
  message: RegExp,
) {
  cluster.createSegment();
  const st = await cluster.runStartup();
  const log = st.log.join("\n");
  expect(st.code, log).toBe(0);
  expect(log).toContain("database system was not properly shut down; automatic recovery in progress");
  expect(log).toMatch(message);
  expect(log).toContain(`redo done at ${formatLsn(stopAt.lsn)} `);
  expect(log).not.toContain(`redo done at ${formatLsn(damaged.lsn)} `);
  return log;
}

describe("recovery from damaged WAL", () => {
  test("a torn last record ends replay at the record before it", async () => {
    const { cluster, dir, reported, records } = await crashedCluster(501);
    try {
      expect(records.length).toBeGreaterThan(20);
      const last = records[records.length - 1];
      const prev = records[records.length - 2];
      // The write of the last record stopped half-way: everything after its first 16 bytes is lost.
      writeWal(dir, last.lsn + 16n, new Uint8Array(Number(last.endLsn - last.lsn) - 16));
      await recoverAndCheck(
        cluster,
        prev,
        last,
        new RegExp(
          `LOG: {2}(incorrect resource manager data checksum in record at ${
            formatLsn(last.lsn)
          }|invalid magic number 0000)`,
        ),
      );
      // Every commit whose record precedes the torn one is intact.
      const intact = new Set(records.filter((r) => r.rmid === 1 && r.lsn < last.lsn).map((r) => r.xid));
      const v = verifyAfterRecovery(
        dir,
        `${dir}/base/5/16384`,
        reported.filter((r) => r.kind === "A" || intact.has(r.xid)),
      );
      expect(v.violations).toEqual([]);
      // The cluster runs on, and survives another crash.
      const w = cluster.startScript("worker2", WORKER, ["1", "502", "0"]);
      while (w.lines.length < 20) await new Promise((r) => setTimeout(r, 20));
      await cluster.killAll();
      cluster.createSegment();
      expect((await cluster.runStartup()).code).toBe(0);
    } finally {
      await cluster.killAll();
      cluster.dropSegment();
    }
  }, 180_000);

  test("a flipped byte in a record ends replay before that record and names it", async () => {
    const { cluster, dir, records } = await crashedCluster(601);
    try {
      // A record in the middle, wholly inside one page, with a body to damage.
      const candidates = records.slice(5, -5).filter((r) =>
        r.totLen >= 40 && (r.lsn / 8192n) === ((r.lsn + BigInt(r.totLen)) / 8192n)
      );
      const target = candidates[Math.floor(candidates.length / 2)];
      const before = records[records.indexOf(target) - 1];
      const byte = new Uint8Array(1);
      const path = xlogFilePath(dir, xlogSegNoOf(target.lsn, SEG), SEG);
      const off = Number((target.lsn + 30n) % BigInt(SEG));
      byte[0] = Deno.readFileSync(path)[off] ^ 0x20;
      writeWal(dir, target.lsn + 30n, byte);
      await recoverAndCheck(
        cluster,
        before,
        target,
        new RegExp(`LOG: {2}incorrect resource manager data checksum in record at ${formatLsn(target.lsn)}`),
      );
      expect(readControlFile(dir).state).toBe("in production");
    } finally {
      await cluster.killAll();
      cluster.dropSegment();
    }
  }, 180_000);
});
