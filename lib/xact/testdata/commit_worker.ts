/**
 * commit_worker.ts — runs small write transactions back to back and
 * reports each commit's latency: for the commit-latency benchmark.
 *
 * Usage: deno run -A commit_worker.ts <dataDir> <shmemName> <transactions> [synchronousCommit]
 * Each transaction takes an xid, inserts one 64-byte WAL record carrying it
 * (the "change"), and commits; the time measured is commitTransaction's
 * (commit record + flush + pg_xact). Prints one JSON line:
 * `{"n":…,"ms":…,"latenciesUs":[…]}` and exits 0.
 *
 * @module
 */

import { loadSettings } from "../../config/mod.ts";
import { attachShmemSegment, procArrayClaimSlot, procArrayReleaseSlot } from "../../shmem/mod.ts";
import { initStorageAccess, storageProcessCleanup } from "../../storage/storage_init.ts";
import { XLOG_NOOP } from "../../wal/pg_control.ts";
import { RM_XLOG_ID } from "../../wal/rmgr_ids.ts";
import { xlogInsert } from "../../wal/xlog.ts";
import { getNewTransactionId } from "../varsup.ts";
import { commitTransaction } from "../xact.ts";

async function main(): Promise<void> {
  const [dataDir, shmemName, nText, syncText] = Deno.args;
  const n = Number(nText);
  const settings = await loadSettings(dataDir);
  const seg = attachShmemSegment(shmemName);
  procArrayClaimSlot(seg, "client backend");
  initStorageAccess(seg, dataDir, settings, "backend");
  const change = new Uint8Array(64);
  const latenciesUs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const xid = getNewTransactionId(seg);
    xlogInsert(RM_XLOG_ID, XLOG_NOOP, { mainData: change });
    const c0 = performance.now();
    commitTransaction(seg, xid, { synchronousCommit: syncText ?? "on", fsync: settings.bool("fsync") });
    latenciesUs.push(Math.round((performance.now() - c0) * 1000));
  }
  const ms = performance.now() - t0;
  storageProcessCleanup();
  procArrayReleaseSlot(seg);
  console.log(JSON.stringify({ n, ms, latenciesUs }));
}

if (import.meta.main) await main();
