import { afterEach, describe, expect, test } from "vitest";
import { MiniCluster } from "../storage/testdata/mini_cluster.ts";
import { makeDataDir, testSettings } from "../storage/testdata/storage_fixture.ts";
import { readControlFile, XLOG_NOOP, XLOG_SWITCH } from "./pg_control.ts";
import { RM_XLOG_ID } from "./rmgr_ids.ts";
import { XLogReader } from "./xlog_reader.ts";

const WORKER = new URL("./testdata/insert_worker.ts", import.meta.url).pathname;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("WAL insertion by several processes at once", () => {
  test(
    "every record of three concurrent inserters arrives exactly once, in a valid chain, across tiny WAL buffers and segment switches",
    async () => {
      // 8 WAL buffer pages (64 kB) and 1 MB segments force page recycling and segment changes mid-insert.
      const settings = testSettings({ wal_buffers: 8 });
      const dir = makeDataDir(settings);
      Deno.writeTextFileSync(`${dir}/postgresql.conf`, "wal_buffers = 8\n", { append: true });
      const cluster = new MiniCluster(dir, settings);
      cleanups.push(async () => {
        await cluster.killAll();
        cluster.dropSegment();
        Deno.removeSync(dir, { recursive: true });
      });
      cluster.createSegment();
      expect((await cluster.runStartup()).code).toBe(0);
      const start = readControlFile(dir).checkPoint;
      const perWorker = 3000;
      // Payloads of 3000 bytes span pages; one worker switches segments, one flushes often.
      const ws = [
        cluster.startScript("w0", WORKER, ["0", String(perWorker), "100"]),
        cluster.startScript("w1", WORKER, ["1", String(perWorker), "3000", "700"]),
        cluster.startScript("w2", WORKER, ["2", String(perWorker), "40", "0", "10"]),
      ];
      for (const w of ws) expect((await w.status).code).toBe(0);
      await cluster.reapAll();

      const reader = new XLogReader(dir, 1 << 20, readControlFile(dir).systemIdentifier);
      const next = [0, 0, 0];
      let switches = 0;
      let rec = reader.readRecord(start);
      for (rec = reader.readRecord(); rec !== undefined; rec = reader.readRecord()) {
        expect(rec.rmid).toBe(RM_XLOG_ID);
        if (rec.info === XLOG_SWITCH) {
          switches++;
          continue;
        }
        expect(rec.info).toBe(XLOG_NOOP);
        const dv = new DataView(rec.mainData.buffer, rec.mainData.byteOffset, rec.mainData.length);
        const w = dv.getUint32(0, true);
        expect(dv.getUint32(4, true)).toBe(next[w]);
        next[w]++;
      }
      reader.close();
      expect(reader.errorMessage).toMatch(/invalid record length at .*: wanted 24, got 0|invalid magic number 0000/);
      expect(next).toEqual([perWorker, perWorker, perWorker]);
      expect(switches).toBe(Math.floor(perWorker / 700));
    },
    180_000,
  );
});
