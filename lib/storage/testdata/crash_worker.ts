/**
 * crash_worker.ts — a worker process for the storage crash tests: it
 * attaches the cluster's shared memory like a backend and runs transactions
 * that append entries to pages through the buffer manager under generic
 * WAL, committing or aborting each, and reports every outcome on stdout
 * after the commit (or abort) call returned.
 *
 * Usage: deno run -A crash_worker.ts <dataDir> <shmemName> <workerNo> <seed> [abortPercent]
 *   [pages] [synchronousCommit]
 * (seed: a distinct number per run, below 40000; pages: how many pages to
 * spread over, default 6; synchronousCommit: on (default) or off).
 * Output lines: `C <xid> <block> <seq> <worker>` (commit returned, so
 * durable) and `A <xid> <block> <seq> <worker>` (abort returned; the abort
 * record is not flushed, so after a crash the xid may be handed out again
 * if nothing of it reached disk, as in PostgreSQL).
 *
 * SIGTERM ends it cleanly (exit 0, slot released) between transactions.
 *
 * Page format of the test relation (base/5/16384): a standard page header,
 * then 16-byte entries from byte 24 up to pd_lower: worker (u32), xid
 * (u32), seq (u32), check (u32 = worker ^ xid ^ seq ^ 0x5a5a5a5a).
 *
 * @module
 */

import { type GucSettings, loadSettings } from "../../config/mod.ts";
import {
  bufferGetBlockNumber,
  bufferGetPage,
  lockBuffer,
  P_NEW,
  readBuffer,
  unlockReleaseBuffer,
} from "../../buffer/bufmgr.ts";
import { attachShmemSegment, procArrayClaimSlot, procArrayReleaseSlot } from "../../shmem/mod.ts";
import { genericXLogFinish, genericXLogRegisterBuffer, genericXLogStart } from "../../wal/generic_xlog.ts";
import { getNewTransactionId } from "../../xact/varsup.ts";
import { abortTransaction, commitTransaction } from "../../xact/xact.ts";
import { pageGetLower, pageInit, pageIsNew, pageSetLowerUpper } from "../page.ts";
import { smgrCreate, smgrExists, smgrNblocks } from "../smgr.ts";
import { initStorageAccess, storageProcessCleanup } from "../storage_init.ts";

/** The test relation. */
export const TEST_REL = { spcOid: 1663, dbOid: 5, relNumber: 16384 } as const;
/** Bytes per entry. */
export const ENTRY_BYTES = 16;

/** @returns the check word of an entry */
export function entryCheck(worker: number, xid: number, seq: number): number {
  return (worker ^ xid ^ seq ^ 0x5a5a5a5a) >>> 0;
}

function _rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

async function main(): Promise<void> {
  const [dataDir, shmemName, workerText, seedText, abortText, pagesText, syncText] = Deno.args;
  const targetPages = Number(pagesText ?? "6");
  const synchronousCommit = syncText ?? "on";
  const worker = Number(workerText);
  const rand = _rng(Number(seedText));
  const abortPercent = Number(abortText ?? "20");
  const settings: GucSettings = await loadSettings(dataDir);
  const seg = attachShmemSegment(shmemName);
  procArrayClaimSlot(seg, "client backend");
  initStorageAccess(seg, dataDir, settings, "backend");
  if (!smgrExists(TEST_REL, 0)) smgrCreate(TEST_REL, 0, true);
  const enc = new TextEncoder();
  // SIGTERM: finish the current transaction, release the slot, exit 0 (the event loop runs between transactions).
  let stopping = false;
  Deno.addSignalListener("SIGTERM", () => (stopping = true));
  // Sequence numbers are unique across runs (the seed differs per run), so entries never collide.
  for (let seq = Number(seedText) * 100000 + 1; !stopping; seq++) {
    const xid = getNewTransactionId(seg);
    const nblocks = smgrNblocks(TEST_REL, 0);
    let block = nblocks < targetPages ? P_NEW : Math.floor(rand() * nblocks);
    let buf = readBuffer(TEST_REL, 0, block);
    lockBuffer(buf, "exclusive");
    if (!pageIsNew(bufferGetPage(buf)) && pageGetLower(bufferGetPage(buf)) + ENTRY_BYTES > 8192) {
      unlockReleaseBuffer(buf);
      block = P_NEW;
      buf = readBuffer(TEST_REL, 0, P_NEW);
      lockBuffer(buf, "exclusive");
    }
    const state = genericXLogStart();
    const page = genericXLogRegisterBuffer(state, buf);
    if (pageIsNew(page)) pageInit(page, 0);
    const lower = pageGetLower(page);
    const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
    dv.setUint32(lower, worker, true);
    dv.setUint32(lower + 4, xid, true);
    dv.setUint32(lower + 8, seq, true);
    dv.setUint32(lower + 12, entryCheck(worker, xid, seq), true);
    pageSetLowerUpper(page, lower + ENTRY_BYTES, 8192);
    genericXLogFinish(state);
    const blockNum = bufferGetBlockNumber(buf);
    unlockReleaseBuffer(buf);
    if (rand() * 100 < abortPercent) {
      abortTransaction(seg, xid);
      Deno.stdout.writeSync(enc.encode(`A ${xid} ${blockNum} ${seq} ${worker}\n`));
    } else {
      commitTransaction(seg, xid, { synchronousCommit, fsync: settings.bool("fsync") });
      Deno.stdout.writeSync(enc.encode(`C ${xid} ${blockNum} ${seq} ${worker}\n`));
    }
    if (seq % 16 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  storageProcessCleanup();
  procArrayReleaseSlot(seg);
}

if (import.meta.main) await main();
