/**
 * layout.ts — the one registry of shared-memory regions and the computation
 * of their offsets and of the segment's total size.
 *
 * PostgreSQL counterpart: CalculateShmemSize() and CreateSharedMemoryAndSemaphores()
 * in src/backend/storage/ipc/ipci.c.
 *
 * NOTES
 * Pure computation: no I/O, no shared state. Every process that computes the
 * layout from the same settings gets the same answer; processes that attach
 * read the offsets from the header's region table instead, so a reader with
 * different settings (e.g. `top`) still finds every region. Sizes are checked
 * to be exact integers (below 2^53); an impossible configuration is refused
 * with PostgreSQL's `requested shared memory size overflows size_t`.
 * To add a region: append an entry to {@link SHMEM_REGIONS} whose size depends
 * only on settings and constants, and add its row (same name, formula and
 * alignment) to the table in README.md; `layout_readme_test.ts` checks both.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import type { GucSettings } from "../config/mod.ts";
import { SHMEM_HEADER_BYTES, SHMEM_REGIONS_MAX, type ShmemRegion } from "./header.ts";
import { MAIN_LWLOCK_COUNT, MAIN_LWLOCK_STRIDE_BYTES } from "./lwlock_names.ts";
import { PM_SIGNAL_REGION_BYTES } from "./pmsignal.ts";
import { PROC_ARRAY_HEADER_BYTES, procArraySlotBytes, procArraySlotCount } from "./proc_array_layout.ts";
import { STATS_REGION_BYTES } from "./stats_layout.ts";
import { STORAGE_SHMEM_REGIONS } from "../storage/shmem_sizes.ts";
import { LOCK_SHMEM_REGIONS } from "../lmgr/lock_sizes.ts";

/** Every region starts on a cache line at least (no false sharing across regions). */
export const SHMEM_REGION_ALIGN_MIN_BYTES = 64;
/** The segment's total size is a whole number of pages. */
export const SHMEM_SIZE_ALIGN_BYTES = 4096;

/** One registry entry: a region's name, size formula and alignment. */
export interface ShmemRegionSpec {
  /** Unique name, at most 47 ASCII bytes (it is stored in the header's region table). */
  readonly name: string;
  /** Size in bytes for a configuration; README.md states the same formula. */
  readonly sizeBytes: (settings: GucSettings) => number;
  /** Alignment of the region's offset: a power of two; at least 64 is applied. */
  readonly alignBytes: number;
}

/** The computed layout of a segment. */
export interface ShmemLayout {
  /** Size to create, in bytes: the end of the last region rounded up to a page. */
  readonly totalSizeBytes: number;
  /** Every region, in registry order, with its offset. */
  readonly regions: readonly ShmemRegion[];
}

/**
 * Rounds `n` up to a multiple of `align` (a power of two).
 *
 * @param n a non-negative integer
 * @param align a power of two
 * @returns the smallest multiple of `align` that is >= `n`
 */
export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/**
 * The registry, in segment order. The header is first so a reader finds it at
 * offset 0. Owners of other subsystems append their entries here.
 */
export const SHMEM_REGIONS: readonly ShmemRegionSpec[] = [
  { name: "header", sizeBytes: () => SHMEM_HEADER_BYTES, alignBytes: 64 },
  {
    name: "process array",
    sizeBytes: (s) => PROC_ARRAY_HEADER_BYTES + procArraySlotCount(s) * procArraySlotBytes(s),
    alignBytes: 64,
  },
  { name: "LWLocks", sizeBytes: () => MAIN_LWLOCK_COUNT * MAIN_LWLOCK_STRIDE_BYTES, alignBytes: 64 },
  { name: "pmsignal", sizeBytes: () => PM_SIGNAL_REGION_BYTES, alignBytes: 64 },
  { name: "statistics", sizeBytes: () => STATS_REGION_BYTES, alignBytes: 64 },
  // Storage regions (buffers, WAL, commit status, xids, checkpointer): lib/storage/shmem_sizes.ts.
  ...STORAGE_SHMEM_REGIONS,
  // The heavyweight lock table and the per-process lock wait state: lib/lmgr/lock_sizes.ts.
  ...LOCK_SHMEM_REGIONS,
];

/**
 * Lays out the regions of a segment for a configuration.
 *
 * @param settings the postmaster's settings (only `postmaster`-context parameters matter)
 * @param specs the registry; tests may pass {@link SHMEM_REGIONS} plus scratch regions
 * @returns each region's offset and the total size
 * @throws {SqlError} 54000 `requested shared memory size overflows size_t` when a size is not an exact integer
 * @example
 * ```ts
 * const layout = computeShmemLayout(GucSettings.defaults());
 * layout.regions.find((r) => r.name === "process array")?.offset;
 * ```
 */
export function computeShmemLayout(
  settings: GucSettings,
  specs: readonly ShmemRegionSpec[] = SHMEM_REGIONS,
): ShmemLayout {
  if (specs.length > SHMEM_REGIONS_MAX) throw new RangeError(`More than ${SHMEM_REGIONS_MAX} shared memory regions`);
  if (specs[0]?.name !== "header") throw new TypeError('The first region must be "header"');
  const names = new Set<string>();
  const regions: ShmemRegion[] = [];
  let end = 0;
  for (const spec of specs) {
    if (names.has(spec.name)) throw new TypeError(`Duplicate shared memory region "${spec.name}"`);
    names.add(spec.name);
    if (!Number.isInteger(Math.log2(spec.alignBytes))) {
      throw new TypeError(`Alignment of region "${spec.name}" is not a power of two`);
    }
    const sizeBytes = spec.sizeBytes(settings);
    const offset = alignUp(end, Math.max(spec.alignBytes, SHMEM_REGION_ALIGN_MIN_BYTES));
    end = offset + sizeBytes;
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0 || !Number.isSafeInteger(end)) _overflow();
    regions.push({ name: spec.name, offset, sizeBytes });
  }
  const totalSizeBytes = alignUp(end, SHMEM_SIZE_ALIGN_BYTES);
  if (!Number.isSafeInteger(totalSizeBytes)) _overflow();
  return { totalSizeBytes, regions };
}

function _overflow(): never {
  throw new SqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, "requested shared memory size overflows size_t");
}
