/**
 * header.ts — the segment header: magic, layout version, total size,
 * generation, creating postmaster's pid, state word and the region table.
 *
 * PostgreSQL counterpart: PGShmemHeader in src/include/storage/pg_shmem.h and
 * the ShmemIndex of src/backend/storage/ipc/shmem.c (here a fixed table).
 *
 * NOTES
 * Written once by the creating postmaster before any child exists; only the
 * state word changes afterwards (postmaster, with an atomic store). Readers
 * validate magic and layout version before trusting anything else, so a
 * segment of another program or another denogres version is refused, never
 * misread. See README.md, invariants 1-3.
 *
 * @module
 */

/** "DNGS" read as a little-endian u32: the first word of every denogres segment. */
export const SHMEM_MAGIC = 0x53474e44;
/** Bump whenever any region's internal layout or the header changes. */
export const SHMEM_LAYOUT_VERSION = 1;
/** Most regions a segment can hold (the region table is fixed; 64 bytes each). */
export const SHMEM_REGIONS_MAX = 32;
/** Longest region name in bytes, without its terminating NUL. */
export const SHMEM_REGION_NAME_MAX_BYTES = 47;
/** Fixed part of the header, before the region table, in bytes. */
const _FIXED_BYTES = 64;
/** One region-table entry: name (48 bytes, NUL-padded), offset u64, size u64. */
const _ENTRY_BYTES = 64;
/** Size of the header region, in bytes: fixed part + region table. */
export const SHMEM_HEADER_BYTES = _FIXED_BYTES + SHMEM_REGIONS_MAX * _ENTRY_BYTES;

/** Byte offsets of the header's fields (all naturally aligned). */
export const HeaderOffset = {
  magic: 0,
  layoutVersion: 4,
  totalSizeBytes: 8, // u64
  generation: 16, // u32
  postmasterPid: 20, // i32
  state: 24, // i32, atomic (see ShmemState)
  regionCount: 28, // i32
  createdAtMs: 32, // f64, epoch milliseconds
  regionTable: _FIXED_BYTES,
} as const;

/**
 * The segment's state word, set by the postmaster:
 * - `initializing`: being laid out; nobody may attach yet;
 * - `ready`: in use;
 * - `discarded`: a crash reset (or shutdown) is throwing it away: a process
 *   that sees this while waiting must exit at once without touching shared
 *   state (PostgreSQL's quickdie after SIGQUIT).
 *
 * Transitions: initializing -> ready -> discarded, never back.
 */
export type ShmemState = "initializing" | "ready" | "discarded";
/** The state word's values, in transition order. */
export const SHMEM_STATES = ["initializing", "ready", "discarded"] as const satisfies readonly ShmemState[];

/** A region's place in the segment. */
export interface ShmemRegion {
  /** Registry name, e.g. `"process array"`. */
  readonly name: string;
  /** Byte offset from the segment start (aligned as its registry entry says). */
  readonly offset: number;
  /** Size in bytes, as its registry entry computed it. */
  readonly sizeBytes: number;
}

/** What a header says, once validated. */
export interface ShmemHeaderInfo {
  readonly totalSizeBytes: number;
  readonly generation: number;
  readonly postmasterPid: number;
  readonly createdAtMs: number;
  readonly regions: readonly ShmemRegion[];
}

/**
 * Writes a fresh header with state `initializing`.
 *
 * @param dv a view of the whole segment
 * @param info sizes, generation, pid and regions
 */
export function writeShmemHeader(dv: DataView, info: ShmemHeaderInfo): void {
  if (info.regions.length > SHMEM_REGIONS_MAX) {
    throw new RangeError(`Too many shared memory regions: ${info.regions.length} > ${SHMEM_REGIONS_MAX}`);
  }
  dv.setUint32(HeaderOffset.magic, SHMEM_MAGIC, true);
  dv.setUint32(HeaderOffset.layoutVersion, SHMEM_LAYOUT_VERSION, true);
  dv.setBigUint64(HeaderOffset.totalSizeBytes, BigInt(info.totalSizeBytes), true);
  dv.setUint32(HeaderOffset.generation, info.generation, true);
  dv.setInt32(HeaderOffset.postmasterPid, info.postmasterPid, true);
  dv.setInt32(HeaderOffset.state, SHMEM_STATES.indexOf("initializing"), true);
  dv.setInt32(HeaderOffset.regionCount, info.regions.length, true);
  dv.setFloat64(HeaderOffset.createdAtMs, info.createdAtMs, true);
  const encoder = new TextEncoder();
  info.regions.forEach((r, i) => {
    const at = HeaderOffset.regionTable + i * _ENTRY_BYTES;
    const name = encoder.encode(r.name);
    if (name.length > SHMEM_REGION_NAME_MAX_BYTES) throw new RangeError(`Region name "${r.name}" is too long`);
    new Uint8Array(dv.buffer, dv.byteOffset + at, 48).set(name);
    dv.setBigUint64(at + 48, BigInt(r.offset), true);
    dv.setBigUint64(at + 56, BigInt(r.sizeBytes), true);
  });
}

/**
 * Reads and validates a header.
 *
 * @param dv a view of at least {@link SHMEM_HEADER_BYTES} bytes
 * @returns the header's contents
 * @throws {Error} naming what is wrong (not a denogres segment, wrong layout version)
 */
export function readShmemHeader(dv: DataView): ShmemHeaderInfo {
  const magic = dv.getUint32(HeaderOffset.magic, true);
  if (magic !== SHMEM_MAGIC) throw new Error(`bad magic number 0x${magic.toString(16)}: not a denogres segment`);
  const version = dv.getUint32(HeaderOffset.layoutVersion, true);
  if (version !== SHMEM_LAYOUT_VERSION) {
    throw new Error(`layout version ${version}, but this server expects ${SHMEM_LAYOUT_VERSION}`);
  }
  const count = dv.getInt32(HeaderOffset.regionCount, true);
  if (count < 0 || count > SHMEM_REGIONS_MAX) throw new Error(`corrupt region count ${count}`);
  const decoder = new TextDecoder();
  const regions: ShmemRegion[] = [];
  for (let i = 0; i < count; i++) {
    const at = HeaderOffset.regionTable + i * _ENTRY_BYTES;
    const raw = new Uint8Array(dv.buffer, dv.byteOffset + at, 48);
    const end = raw.indexOf(0);
    regions.push({
      name: decoder.decode(raw.subarray(0, end < 0 ? 48 : end)),
      offset: Number(dv.getBigUint64(at + 48, true)),
      sizeBytes: Number(dv.getBigUint64(at + 56, true)),
    });
  }
  return {
    totalSizeBytes: Number(dv.getBigUint64(HeaderOffset.totalSizeBytes, true)),
    generation: dv.getUint32(HeaderOffset.generation, true),
    postmasterPid: dv.getInt32(HeaderOffset.postmasterPid, true),
    createdAtMs: dv.getFloat64(HeaderOffset.createdAtMs, true),
    regions,
  };
}
