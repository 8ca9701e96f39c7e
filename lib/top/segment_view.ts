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
 * the buffer summary reads each descriptor's state word once (lib/buffer's
 * bufferPoolSummary(), a moment's picture as pg_buffercache_summary()'s)
 * and the WAL positions are two atomic loads (lib/wal's
 * xlogReadPositions()): every read goes through a read-only-safe function
 * of the region's owner, never through its private offsets. A
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
  procArrayMaxConnections,
  procArraySnapshot,
  type ProcSlotSnapshot,
  type ShmemSegment,
  type StatsSnapshot,
} from "../shmem/mod.ts";
import { type BufferPoolSummary, bufferPoolSummary } from "../buffer/mod.ts";
import { type WalPositions, xlogReadPositions } from "../wal/mod.ts";
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
    readonly buffersWritten: number;
    /** The last completed checkpoint's start and end (epoch ms); null when none since the segment was created. */
    readonly last: { readonly startMs: number; readonly endMs: number } | null;
  };
}

/** Everything one frame needs from the segment. */
export interface SegmentReading {
  readonly generation: number;
  readonly connectionsMax: number;
  readonly slots: readonly SlotReading[];
  /** Null when the segment has no statistics region. */
  readonly counters: CounterReading | null;
  /** Null when the segment has no buffer descriptors. */
  readonly bufferPool: (BufferPoolSummary & { readonly blockSizeBytes: number }) | null;
  /** Null when the segment has no WAL insertion state, or before the startup process recorded the WAL geometry. */
  readonly walPositions: WalPositions | null;
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
    return {
      generation: seg.generation,
      connectionsMax: procArrayMaxConnections(seg),
      slots: procArraySnapshot(seg).map(_slot),
      counters: seg.hasRegion("statistics") ? _counters(pgstatSnapshot(seg)) : null,
      bufferPool: seg.hasRegion("buffer descriptors")
        ? { ...bufferPoolSummary(seg), blockSizeBytes: BLOCK_SIZE_BYTES }
        : null,
      walPositions: seg.hasRegion("XLOG control") ? xlogReadPositions(seg) ?? null : null,
    };
  }

  /** Unmaps the segment. The view must not be used afterwards. */
  detach(): void {
    this.#seg.detach();
  }
}

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
      buffersWritten: c.buffersCheckpoint,
      last: s.lastCheckpoint,
    },
  };
}
