/**
 * segment_view.ts — `top`'s read-only window on a cluster's shared memory:
 * the process array, the statistics counters, the buffer pool and the WAL
 * positions, as plain numbers for snapshot_reader.ts.
 *
 * PostgreSQL counterpart: pgstat_read_current_status() (pg_stat_activity),
 * pg_stat_get_bgwriter/io/wal, pg_buffercache_summary() and
 * pg_current_wal_insert_lsn()/pg_current_wal_flush_lsn(), all read without
 * a lock.
 *
 * NOTES
 * The segment is attached with `{ readOnly: true }` (O_RDONLY + PROT_READ):
 * a stray write would kill `top` with SIGSEGV, never change the cluster.
 * No lock is taken: the process array is copied with its change counters
 * (procArraySnapshot()), counters are single 64-bit words read atomically,
 * and the buffer summary reads each descriptor's state word once (the
 * figures are a moment's picture, as pg_buffercache_summary()'s are). A
 * region the segment does not have (a subsystem not yet built, or an older
 * layout) reads as null: shown as "-", never invented. A segment whose state
 * word says `discarded` (crash reset, see lib/shmem/segment.ts) reads as
 * null, which makes the reader attach the new one. Requires `--allow-ffi`.
 *
 * @module
 */

import {
  attachShmemSegment,
  BACKEND_TYPES,
  type BackendType,
  pgstatSnapshot,
  procArraySnapshot,
  type ProcSlotSnapshot,
  type ShmemSegment,
  type StatsSnapshot,
} from "../shmem/mod.ts";
// Layout constants read directly, as monitoring does (not in the subsystems' mod.ts; see README.md "Contracts").
import { ProcArrayHeaderOffset } from "../shmem/proc_array_layout.ts";
import {
  BM_DIRTY,
  BM_MAX_USAGE_COUNT,
  BM_VALID,
  BufDescOffset,
  bufStateGetRefcount,
  bufStateGetUsagecount,
} from "../buffer/buf_internals.ts";
import { BUFFER_DESC_BYTES } from "../storage/shmem_sizes.ts";
import { XLogCtlOffset } from "../wal/xlog_shmem.ts";
import { xlogBytePosToRecPtr, type XLogGeometry, xlogGeometry } from "../wal/xlog_page.ts";
import { BLOCK_SIZE_BYTES } from "../common/limits.ts";

/** One process-array slot, as `top` uses it. */
export interface SlotReading {
  readonly pid: number;
  readonly backendType: string;
  readonly state: string | null;
  readonly waitEventType: string | null;
  readonly waitEvent: string | null;
  readonly user: string | null;
  readonly database: string | null;
  readonly applicationName: string | null;
  readonly clientAddr: string | null;
  readonly clientPort: number | null;
  readonly backendStartMs: number | null;
  readonly xactStartMs: number | null;
  readonly queryStartMs: number | null;
  readonly stateChangeMs: number | null;
  readonly query: string | null;
}

/** Buffer I/O counters of one kind of process (cumulative). */
export interface BufferIoCounters {
  readonly hits: number;
  readonly reads: number;
  readonly writes: number;
  readonly evictions: number;
}

/**
 * Cumulative counters since the segment was created (a crash reset starts
 * them again at zero, as PostgreSQL discards statistics after a crash).
 */
export interface CounterReading {
  readonly commits: number;
  readonly rollbacks: number;
  readonly buffers: {
    readonly backends: BufferIoCounters;
    readonly bgwriter: BufferIoCounters;
    readonly checkpointer: BufferIoCounters;
  };
  readonly wal: { readonly records: number; readonly bytes: number; readonly fsyncs: number };
  readonly checkpoints: {
    readonly timed: number;
    readonly requested: number;
    /** Write + sync time of all checkpoints, in µs (pg_stat_bgwriter's checkpoint_write_time + checkpoint_sync_time). */
    readonly totalTimeUs: number;
    readonly buffersWritten: number;
  };
}

/** The buffer pool's state at one moment. */
export interface BufferPoolReading {
  readonly sizeBuffers: number;
  readonly blockSizeBytes: number;
  readonly usedBuffers: number | null;
  readonly dirtyBuffers: number | null;
  readonly pinnedBuffers: number | null;
  readonly usageCountHistogram: readonly number[] | null;
}

/** Everything one frame needs from the segment. */
export interface SegmentReading {
  readonly generation: number;
  readonly connectionsMax: number;
  readonly slots: readonly SlotReading[];
  /** Null when the segment has no statistics region. */
  readonly counters: CounterReading | null;
  /** Null when the segment has no buffer descriptors. */
  readonly bufferPool: BufferPoolReading | null;
  /** Null when the segment has no WAL insertion state. */
  readonly walPositions: { readonly insert: bigint; readonly flush: bigint } | null;
}

/**
 * A read-only attachment of one segment.
 *
 * @example
 * ```ts
 * const view = SegmentView.attach("/denogres.5432.1a2b3c4d");
 * const reading = view.read();
 * view.detach();
 * ```
 */
export class SegmentView {
  readonly #seg: ShmemSegment;
  #walGeometry: XLogGeometry | null = null;

  private constructor(seg: ShmemSegment) {
    this.#seg = seg;
  }

  /**
   * Attaches a segment read-only.
   *
   * @param name the segment's name (postmaster.pid line 7)
   * @returns the view
   * @throws {SqlError} when the segment does not exist, is not a denogres segment of this layout, or is being initialised
   */
  static attach(name: string): SegmentView {
    return new SegmentView(attachShmemSegment(name, { readOnly: true }));
  }

  /** The segment's name. */
  get name(): string {
    return this.#seg.name;
  }

  /**
   * Reads what a frame needs.
   *
   * @returns the reading, or null when the segment was discarded (crash reset or shutdown)
   */
  read(): SegmentReading | null {
    const seg = this.#seg;
    if (seg.state === "discarded") return null;
    const procArray = seg.region("process array").offset;
    return {
      generation: seg.generation,
      connectionsMax: seg.i32[(procArray + ProcArrayHeaderOffset.maxConnections) >> 2],
      slots: procArraySnapshot(seg).map(_slot),
      counters: seg.hasRegion("statistics") ? _counters(pgstatSnapshot(seg)) : null,
      bufferPool: seg.hasRegion("buffer descriptors") ? _bufferPool(seg) : null,
      walPositions: seg.hasRegion("XLOG control") ? this.#walPositions() : null,
    };
  }

  /**
   * The insert position (CurrBytePos turned into an LSN, as
   * GetXLogInsertRecPtr()) and the flush position (LogwrtResult.Flush), each
   * one atomic 64-bit load, no spinlock. Null until the startup process has
   * recorded the WAL segment size.
   */
  #walPositions(): SegmentReading["walPositions"] {
    const seg = this.#seg;
    const base = seg.region("XLOG control").offset;
    const segSizeBytes = seg.i32[(base + XLogCtlOffset.segSizeBytes) >> 2];
    if (segSizeBytes <= 0) return null;
    this.#walGeometry ??= xlogGeometry(segSizeBytes);
    return {
      insert: xlogBytePosToRecPtr(
        this.#walGeometry,
        Atomics.load(seg.bigInt64, (base + XLogCtlOffset.currBytePos) >> 3),
      ),
      flush: Atomics.load(seg.bigInt64, (base + XLogCtlOffset.resultFlush) >> 3),
    };
  }

  /** Unmaps the segment. The view must not be used afterwards. */
  detach(): void {
    this.#seg.detach();
  }
}

/**
 * Counts valid, dirty and pinned buffers and the usage counts of valid ones,
 * reading each descriptor's state word once (pg_buffercache_summary() does
 * the same without the header lock).
 */
function _bufferPool(seg: ShmemSegment): BufferPoolReading {
  const region = seg.region("buffer descriptors");
  const sizeBuffers = Math.floor((region.sizeBytes - _BUFFER_DESC_HEADER_BYTES) / BUFFER_DESC_BYTES);
  const histogram = new Array<number>(BM_MAX_USAGE_COUNT + 1).fill(0);
  let used = 0;
  let dirty = 0;
  let pinned = 0;
  let at = (region.offset + _BUFFER_DESC_HEADER_BYTES + BufDescOffset.state) >> 2;
  const stride = BUFFER_DESC_BYTES >> 2;
  for (let id = 0; id < sizeBuffers; id++, at += stride) {
    const state = Atomics.load(seg.i32, at);
    if (bufStateGetRefcount(state) > 0) pinned++;
    if ((state & BM_VALID) === 0) continue;
    used++;
    if ((state & BM_DIRTY) !== 0) dirty++;
    histogram[Math.min(BM_MAX_USAGE_COUNT, bufStateGetUsagecount(state))]++;
  }
  return {
    sizeBuffers,
    blockSizeBytes: BLOCK_SIZE_BYTES,
    usedBuffers: used,
    dirtyBuffers: dirty,
    pinnedBuffers: pinned,
    usageCountHistogram: histogram,
  };
}

/** The buffer-descriptor region's header before descriptor 0 (lib/buffer/buf_internals.ts). */
const _BUFFER_DESC_HEADER_BYTES = 64;

function _slot(s: ProcSlotSnapshot): SlotReading {
  const local = s.clientPort === -1;
  return {
    pid: s.pid,
    backendType: s.backendType,
    state: s.state,
    waitEventType: s.waitEventType,
    waitEvent: s.waitEvent,
    user: s.userName,
    database: s.databaseName,
    applicationName: s.backendType === "client backend" ? s.applicationName : null,
    clientAddr: local ? "[local]" : s.clientAddr,
    clientPort: s.clientPort,
    backendStartMs: s.backendStartMs || null,
    xactStartMs: s.xactStartMs,
    queryStartMs: s.queryStartMs,
    stateChangeMs: s.stateChangeMs,
    query: s.backendType === "client backend" || s.query !== "" ? s.query : null,
  };
}

/** Who did buffer I/O, as the issue splits it: bgwriter, checkpointer, and every other process (pg_stat_bgwriter's "backend"). */
function _who(type: BackendType): keyof CounterReading["buffers"] {
  return type === "background writer" ? "bgwriter" : type === "checkpointer" ? "checkpointer" : "backends";
}

function _counters(s: StatsSnapshot): CounterReading {
  const buffers = {
    backends: { hits: 0, reads: 0, writes: 0, evictions: 0 },
    bgwriter: { hits: 0, reads: 0, writes: 0, evictions: 0 },
    checkpointer: { hits: 0, reads: 0, writes: 0, evictions: 0 },
  };
  const wal = { records: 0, bytes: 0, fsyncs: 0 };
  let commits = 0;
  let rollbacks = 0;
  for (const type of BACKEND_TYPES) {
    const io = s.io[type];
    const b = buffers[_who(type)];
    b.hits += io.hits;
    b.reads += io.reads;
    b.writes += io.writes;
    b.evictions += io.evictions;
    wal.records += s.wal[type].records;
    wal.bytes += s.wal[type].bytes;
    wal.fsyncs += s.wal[type].syncs;
    commits += s.xact[type].commits;
    rollbacks += s.xact[type].rollbacks;
  }
  const c = s.checkpointer;
  return {
    commits,
    rollbacks,
    buffers,
    wal,
    checkpoints: {
      timed: c.checkpointsTimed,
      requested: c.checkpointsReq,
      totalTimeUs: c.checkpointWriteTimeUs + c.checkpointSyncTimeUs,
      buffersWritten: c.buffersCheckpoint,
    },
  };
}
