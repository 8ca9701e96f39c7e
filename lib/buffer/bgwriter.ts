/**
 * bgwriter.ts — the background writer process: writes dirty buffers just
 * ahead of the clock hand so backends find clean victims, paced by recent
 * buffer allocation.
 *
 * PostgreSQL counterpart: src/backend/postmaster/bgwriter.c
 * (BackgroundWriterMain) and BgBufferSync in src/backend/storage/buffer/bufmgr.c.
 *
 * NOTES
 * Each round (bgwriter_delay) it estimates how many buffers the backends
 * will allocate before the next round (a smoothed average of recent
 * allocations times bgwriter_lru_multiplier), then scans forward from where
 * it stopped last time — or from the clock hand, if the hand overtook it —
 * writing dirty buffers that are unpinned with usage count 0, until enough
 * reusable buffers lie ahead of the hand or bgwriter_lru_maxpages were
 * written (counted as maxwritten_clean). Writes count as buffers_clean, the
 * allocations it observed as buffers_alloc. When nothing happens for two
 * rounds it hibernates (asks to be woken by the next allocation) with a
 * 50 × bgwriter_delay timeout. SIGTERM or SIGUSR2 end it (exit 0).
 *
 * @module
 */

import type { GucSettings } from "../config/mod.ts";
import type { ChildContext } from "../postmaster/aux_process.ts";
import { pgstatCountCheckpointer, waitEventInfo } from "../shmem/mod.ts";
import { initStorageAccess, storageProcessCleanup, storageReloadSettings } from "../storage/storage_init.ts";
import { bufferPoolRegions, syncOneBuffer } from "./bufmgr.ts";
import { strategyNotifyBgWriter, strategySyncStart } from "./freelist.ts";

const _WAIT_MAIN = waitEventInfo("Activity", "BgWriterMain");
const _WAIT_HIBERNATE = waitEventInfo("Activity", "BgWriterHibernate");
/** Rounds over which allocation rate and scan density are averaged (smoothing_samples). */
const _SMOOTHING_SAMPLES = 16;
/** The whole pool is scanned at least once in this time (scan_whole_pool_milliseconds). */
const _SCAN_WHOLE_POOL_MS = 120000;
/** Hibernation timeout multiplier (HIBERNATE_FACTOR). */
const _HIBERNATE_FACTOR = 50;

/** BgBufferSync's memory between rounds. */
export interface BgWriterState {
  savedInfoValid: boolean;
  prevStrategyBufId: number;
  prevStrategyPasses: number;
  nextToClean: number;
  nextPasses: number;
  smoothedAlloc: number;
  smoothedDensity: number;
}

/** @returns the initial BgBufferSync state */
export function newBgWriterState(): BgWriterState {
  return {
    savedInfoValid: false,
    prevStrategyBufId: 0,
    prevStrategyPasses: 0,
    nextToClean: 0,
    nextPasses: 0,
    smoothedAlloc: 0,
    smoothedDensity: 10,
  };
}

/**
 * One round of the LRU scan (BgBufferSync).
 *
 * Lock contract: no locks on entry or exit.
 *
 * @param st the state kept between rounds
 * @param settings bgwriter_delay, bgwriter_lru_maxpages, bgwriter_lru_multiplier
 * @returns true when the pool was idle (the writer may hibernate)
 */
export function bgBufferSync(st: BgWriterState, settings: GucSettings): boolean {
  const r = bufferPoolRegions();
  const n = r.nbuffers;
  const { bufId: strategyBufId, passes: strategyPasses, recentAlloc } = strategySyncStart(r);
  pgstatCountCheckpointer(r.seg, "buffersAlloc", recentAlloc);
  const maxPages = settings.int("bgwriter_lru_maxpages");
  if (maxPages <= 0) {
    st.savedInfoValid = false;
    return true;
  }
  let strategyDelta = 0;
  let bufsToLap: number;
  if (st.savedInfoValid) {
    strategyDelta = strategyBufId - st.prevStrategyBufId + (strategyPasses - st.prevStrategyPasses) * n;
    if (st.nextPasses - strategyPasses > 0) bufsToLap = strategyBufId - st.nextToClean;
    else if (st.nextPasses === strategyPasses && st.nextToClean >= strategyBufId) {
      bufsToLap = n - (st.nextToClean - strategyBufId);
    } else {
      st.nextToClean = strategyBufId;
      st.nextPasses = strategyPasses;
      bufsToLap = n;
    }
  } else {
    st.nextToClean = strategyBufId;
    st.nextPasses = strategyPasses;
    bufsToLap = n;
  }
  st.prevStrategyBufId = strategyBufId;
  st.prevStrategyPasses = strategyPasses;
  st.savedInfoValid = true;

  if (strategyDelta > 0 && recentAlloc > 0) {
    st.smoothedDensity += (strategyDelta / recentAlloc - st.smoothedDensity) / _SMOOTHING_SAMPLES;
  }
  const reusableEst = (n - bufsToLap) / st.smoothedDensity;
  if (recentAlloc > st.smoothedAlloc) st.smoothedAlloc = recentAlloc;
  else st.smoothedAlloc += (recentAlloc - st.smoothedAlloc) / _SMOOTHING_SAMPLES;
  let upcoming = st.smoothedAlloc * settings.real("bgwriter_lru_multiplier");
  if (upcoming === 0) st.smoothedAlloc = upcoming = 1;
  const minScan = n / (_SCAN_WHOLE_POOL_MS / settings.int("bgwriter_delay"));
  if (upcoming < minScan + reusableEst) upcoming = minScan + reusableEst;

  let toScan = bufsToLap;
  let written = 0;
  let reusable = reusableEst;
  while (toScan > 0 && reusable < upcoming) {
    const res = syncOneBuffer(st.nextToClean, true);
    if (++st.nextToClean >= n) {
      st.nextToClean = 0;
      st.nextPasses++;
    }
    toScan--;
    if (res.written) {
      reusable++;
      if (++written >= maxPages) {
        pgstatCountCheckpointer(r.seg, "maxwrittenClean");
        break;
      }
    } else if (res.reusable) reusable++;
  }
  pgstatCountCheckpointer(r.seg, "buffersClean", written);
  const newDelta = bufsToLap - toScan;
  const newAlloc = reusable - reusableEst;
  if (newDelta > 0 && newAlloc > 0) {
    st.smoothedDensity += (newDelta / newAlloc - st.smoothedDensity) / _SMOOTHING_SAMPLES;
  }
  return bufsToLap === 0 && recentAlloc === 0;
}

/**
 * The background writer's main loop (BackgroundWriterMain).
 *
 * @param ctx the child context (segment attached, background writer slot claimed)
 * @returns never: on SIGTERM or SIGUSR2 the process exits 0 through the orderly exit
 */
export async function backgroundWriterMain(ctx: ChildContext): Promise<never> {
  const seg = ctx.segment;
  initStorageAccess(seg, ctx.dataDir, ctx.settings, "bgwriter");
  const st = newBgWriterState();
  let prevHibernate = false;
  try {
    while (!ctx.signals.terminatePending && !ctx.signals.shutdownPending) {
      if (await ctx.reloadConfigIfPending()) storageReloadSettings(seg, ctx.settings, "bgwriter");
      const canHibernate = bgBufferSync(st, ctx.settings);
      const delayMs = ctx.settings.int("bgwriter_delay");
      const why = await ctx.waitForWork(delayMs, _WAIT_MAIN);
      if (why === "timeout" && canHibernate && prevHibernate) {
        strategyNotifyBgWriter(seg, seg.local.procNo);
        await ctx.waitForWork(delayMs * _HIBERNATE_FACTOR, _WAIT_HIBERNATE);
        strategyNotifyBgWriter(seg, -1);
      }
      prevHibernate = canHibernate;
    }
  } finally {
    storageProcessCleanup();
  }
  return ctx.exit(0); // proc_exit(0): the slot is released
}
