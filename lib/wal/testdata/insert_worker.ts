/**
 * insert_worker.ts — a process that inserts WAL records as fast as it can
 * into a cluster's shared WAL buffers, for the multi-process insertion test
 * and the WAL benchmark.
 *
 * Usage: deno run -A insert_worker.ts <dataDir> <shmemName> <workerNo> <records> <payloadBytes> [switchEvery] [flushEvery]
 * Each record is an RM_GENERIC-free XLOG_NOOP record whose main data starts
 * with the worker number and a sequence number (u32 each), so a reader can
 * check that every record arrived exactly once. Every `switchEvery` records
 * (0: never) it inserts an XLOG_SWITCH; every `flushEvery` (0: never) it
 * calls xlogFlush. Prints `done <records> <ms>` and exits 0.
 *
 * @module
 */

import { loadSettings } from "../../config/mod.ts";
import { attachShmemSegment, procArrayClaimSlot, procArrayReleaseSlot } from "../../shmem/mod.ts";
import { initStorageAccess, storageProcessCleanup } from "../../storage/storage_init.ts";
import { XLOG_NOOP, XLOG_SWITCH } from "../pg_control.ts";
import { RM_XLOG_ID } from "../rmgr_ids.ts";
import { xlogFlush, xlogInsert } from "../xlog.ts";

async function main(): Promise<void> {
  const [dataDir, shmemName, workerText, recordsText, payloadText, switchText, flushText] = Deno.args;
  const worker = Number(workerText);
  const records = Number(recordsText);
  const payload = new Uint8Array(Math.max(8, Number(payloadText)));
  const switchEvery = Number(switchText ?? "0");
  const flushEvery = Number(flushText ?? "0");
  const settings = await loadSettings(dataDir);
  const seg = attachShmemSegment(shmemName);
  procArrayClaimSlot(seg, "client backend");
  initStorageAccess(seg, dataDir, settings, "backend");
  const dv = new DataView(payload.buffer);
  dv.setUint32(0, worker, true);
  const t0 = performance.now();
  let end = 0n;
  for (let i = 0; i < records; i++) {
    dv.setUint32(4, i, true);
    end = xlogInsert(RM_XLOG_ID, XLOG_NOOP, { mainData: payload });
    if (switchEvery > 0 && i % switchEvery === switchEvery - 1) xlogInsert(RM_XLOG_ID, XLOG_SWITCH);
    if (flushEvery > 0 && i % flushEvery === flushEvery - 1) xlogFlush(end);
  }
  xlogFlush(end);
  const ms = performance.now() - t0;
  storageProcessCleanup();
  procArrayReleaseSlot(seg);
  console.log(`done ${records} ${ms.toFixed(1)}`);
}

if (import.meta.main) await main();
