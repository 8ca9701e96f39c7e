/**
 * storage_fixture.ts — test helper: a fresh data directory (bootstrapped
 * WAL and pg_control) and a real shared-memory segment with the storage
 * regions initialised, in the calling process.
 *
 * Not a mock: the segment is a real POSIX segment, files are real files;
 * this only plays the postmaster's part (create segment, run startup).
 *
 * @module
 */

import { GucSettings } from "../../config/mod.ts";
import {
  createShmemSegment,
  procArrayClaimSlot,
  procArrayReleaseSlot,
  type ShmemSegment,
  unlinkShmemSegment,
} from "../../shmem/mod.ts";
import { bootStrapXlog } from "../../wal/xlog_bootstrap.ts";
import { storageShmemInit } from "../storage_init.ts";

/** Settings small enough for tests: 1 MB segments, 128 buffers. */
export function testSettings(overrides: Record<string, number | boolean | string> = {}): GucSettings {
  let s = GucSettings.defaults()
    .with("wal_segment_size", 1 << 20, "default")
    .with("shared_buffers", 128, "default")
    .with("max_connections", 20, "default")
    .with("log_checkpoints", false, "default");
  for (const [k, v] of Object.entries(overrides)) s = s.with(k as never, v, "default");
  return s;
}

/** A bootstrapped data directory with a postgresql.conf holding `settings` of interest. */
export function makeDataDir(settings: GucSettings, prefix = "denogres_storage_"): string {
  const dir = Deno.makeTempDirSync({ prefix });
  for (const d of ["base", "global", "pg_wal", "pg_xact"]) Deno.mkdirSync(`${dir}/${d}`, { mode: 0o700 });
  bootStrapXlog(dir, settings, 7000000000000000000n + BigInt(Deno.pid));
  const conf = ["shared_buffers", "max_connections", "log_checkpoints", "fsync", "full_page_writes"]
    .map((n) => `${n} = '${settings.show(n as never)}'`).join("\n");
  Deno.writeTextFileSync(`${dir}/postgresql.conf`, conf + "\n");
  return dir;
}

/** Creates a segment with the storage regions; the caller unlinks it. */
export function makeSegment(settings: GucSettings): ShmemSegment {
  const name = `/denogres.test.${Deno.pid}.${crypto.getRandomValues(new Uint32Array(1))[0].toString(16)}`;
  return createShmemSegment(name, settings, { initialize: storageShmemInit });
}

/** Claims a slot for this process. */
export function claimSlot(seg: ShmemSegment): void {
  procArrayClaimSlot(seg, "client backend");
}

/** Releases the slot, detaches and unlinks the segment, removes the directory. */
export function cleanup(seg: ShmemSegment | undefined, dir: string | undefined): void {
  if (seg !== undefined) {
    try {
      if (seg.local.procNo >= 0) procArrayReleaseSlot(seg);
    } catch { /* already released */ }
    seg.detach();
    unlinkShmemSegment(seg.name);
  }
  if (dir !== undefined) Deno.removeSync(dir, { recursive: true });
}
