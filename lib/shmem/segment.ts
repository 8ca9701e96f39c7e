/**
 * segment.ts — the shared-memory segment: create, attach (read-write or
 * read-only), reset with a new generation, unlink; typed views over it.
 *
 * PostgreSQL counterpart: src/backend/port/sysv_shmem.c (PGSharedMemoryCreate,
 * PGSharedMemoryAttach, PGSharedMemoryDetach) and the POSIX branch of
 * src/backend/storage/ipc/dsm_impl.c, for the one main segment.
 *
 * NOTES
 * A POSIX segment (`shm_open` + `posix_fallocate` + `mmap(MAP_SHARED)`), so
 * it has a name every process can attach by, recorded on line 7 of
 * postmaster.pid. Its pages are reserved at creation (posix_fallocate), so a
 * full /dev/shm is an error at start, not a SIGBUS later. It is sized once
 * and never grown. The postmaster creates, resets and unlinks it and sets
 * the header's state word; it takes no lock in it. A read-only attachment
 * maps with PROT_READ from an O_RDONLY descriptor: a write through it kills
 * the writer with SIGSEGV rather than corrupting the cluster. Views are
 * invalid after {@link ShmemSegment.detach}. Errors that stop a process are
 * `SqlError`s with severity FATAL and PostgreSQL's wording. Requires
 * `--allow-ffi`. See README.md.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import type { GucSettings } from "../config/mod.ts";
import { cString, errno, libc, LinuxConst, strerror } from "../ffi/libc.ts";
import type { BackendType } from "./backend_type.ts";
import {
  HeaderOffset,
  readShmemHeader,
  SHMEM_HEADER_BYTES,
  SHMEM_STATES,
  type ShmemRegion,
  type ShmemState,
  writeShmemHeader,
} from "./header.ts";
import { computeShmemLayout, SHMEM_REGIONS, type ShmemRegionSpec } from "./layout.ts";
import { lwlockShmemInit } from "./lwlock.ts";
import type { LWLockMode } from "./lwlock.ts";
import { procArrayShmemInit } from "./proc_array.ts";
import { statsShmemInit } from "./stats.ts";

/** What this process knows about its own use of the segment (never shared). */
export interface ShmemProcessLocal {
  /** This process's process-array slot, or -1 before it claims one. */
  procNo: number;
  /** The backend type it claimed its slot as. */
  backendType: BackendType | undefined;
  /** LWLocks held, in acquisition order (PostgreSQL's held_lwlocks; at most LWLOCKS_HELD_MAX). */
  readonly heldLWLocks: { offset: number; mode: LWLockMode }[];
}

/**
 * One mapping of the segment in this process, with typed views over all of
 * it. Offsets are bytes from the segment start; index a view by
 * `offset / BYTES_PER_ELEMENT`.
 */
export class ShmemSegment {
  /** The POSIX name, e.g. `/denogres.5432.1a2b3c4d`. */
  readonly name: string;
  /** Mapped PROT_READ: any write kills this process. */
  readonly readOnly: boolean;
  /** Size of the mapping in bytes. */
  readonly sizeBytes: number;
  /** Generation from the header: 1 for a fresh cluster start, + 1 per crash reset. */
  readonly generation: number;
  /** Pid of the postmaster that created the segment. */
  readonly postmasterPid: number;
  /** When the segment was created, epoch ms. */
  readonly createdAtMs: number;
  /** Byte view. */
  readonly u8: Uint8Array;
  /** 32-bit view: Atomics on it are cross-process atomics. */
  readonly i32: Int32Array;
  /** 64-bit view for atomic counters and LSNs (values below 2^63). */
  readonly bigInt64: BigInt64Array;
  /** 64-bit float view (timestamps). */
  readonly f64: Float64Array;
  /** Little-endian access to anything. */
  readonly dv: DataView;
  /** This process's slot and held locks. */
  readonly local: ShmemProcessLocal = { procNo: -1, backendType: undefined, heldLWLocks: [] };
  readonly #base: Deno.PointerObject;
  readonly #regions: ReadonlyMap<string, ShmemRegion>;
  readonly #parentIsPostmaster: boolean;
  #detached = false;

  /** Use {@link createShmemSegment} or {@link attachShmemSegment}. */
  constructor(name: string, base: Deno.PointerObject, sizeBytes: number, readOnly: boolean) {
    this.name = name;
    this.#base = base;
    this.sizeBytes = sizeBytes;
    this.readOnly = readOnly;
    const buffer = Deno.UnsafePointerView.getArrayBuffer(base, sizeBytes);
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.bigInt64 = new BigInt64Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.dv = new DataView(buffer);
    const header = readShmemHeader(this.dv);
    this.generation = header.generation;
    this.postmasterPid = header.postmasterPid;
    this.createdAtMs = header.createdAtMs;
    this.#regions = new Map(header.regions.map((r) => [r.name, r]));
    this.#parentIsPostmaster = libc().getppid() === header.postmasterPid;
  }

  /**
   * @param name a registry name, e.g. `"process array"`
   * @returns the region's offset and size
   * @throws {TypeError} when the segment has no such region
   */
  region(name: string): ShmemRegion {
    const r = this.#regions.get(name);
    if (r === undefined) throw new TypeError(`Shared memory segment has no region "${name}"`);
    return r;
  }

  /** @returns whether the segment has a region of that name */
  hasRegion(name: string): boolean {
    return this.#regions.has(name);
  }

  /** @returns every region, in segment order */
  regions(): ShmemRegion[] {
    return [...this.#regions.values()];
  }

  /**
   * A raw pointer into the segment, for futex(2).
   *
   * @param offset byte offset
   * @returns the address of that byte in this process
   */
  pointerAt(offset: number): Deno.PointerObject {
    if (!(offset >= 0 && offset < this.sizeBytes)) throw new RangeError(`Offset ${offset} is outside the segment`);
    const p = Deno.UnsafePointer.offset(this.#base, offset);
    if (p === null) throw new RangeError(`Offset ${offset} gives a null pointer`);
    return p;
  }

  /** The header's state word (see {@link ShmemState}). */
  get state(): ShmemState {
    return SHMEM_STATES[Atomics.load(this.i32, HeaderOffset.state / 4)] ?? "discarded";
  }

  /**
   * Sets the header's state word (postmaster only). Transitions only go
   * forward: initializing -> ready -> discarded.
   *
   * @param state the new state
   */
  setState(state: ShmemState): void {
    const next = SHMEM_STATES.indexOf(state);
    const current = Atomics.load(this.i32, HeaderOffset.state / 4);
    if (next < current) throw new RangeError(`Shared memory state cannot go from "${this.state}" to "${state}"`);
    Atomics.store(this.i32, HeaderOffset.state / 4, next);
  }

  /**
   * Tells a waiting process to give up: the segment was discarded or its
   * postmaster is gone (this process was re-parented, or the pid is dead).
   *
   * @returns true when the process must exit at once
   */
  isAbandoned(): boolean {
    if (this.state === "discarded") return true;
    if (this.#parentIsPostmaster) return libc().getppid() !== this.postmasterPid;
    return libc().kill(this.postmasterPid, 0) !== 0 && errno() === LinuxConst.ESRCH;
  }

  /** Unmaps the segment from this process. The views must not be used afterwards. */
  detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    if (libc().munmap(this.#base, BigInt(this.sizeBytes)) !== 0) {
      throw new Error(`could not unmap shared memory segment "${this.name}": ${strerror(errno())}`);
    }
  }
}

/** Options of {@link createShmemSegment}. */
export interface CreateShmemOptions {
  /** Generation to record (default 1; a crash reset passes the old one + 1). */
  generation?: number;
  /** The registry to lay out (default {@link SHMEM_REGIONS}; tests add scratch regions). */
  regions?: readonly ShmemRegionSpec[];
  /** Initialises other subsystems' regions before the segment becomes `ready`. */
  initialize?: (segment: ShmemSegment) => void;
}

/**
 * Creates, sizes, maps and initialises a new segment (postmaster only).
 * Fails if the name exists: remove a stale one first with
 * `removeStaleShmemSegment`.
 *
 * @param name a POSIX shm name, `/` then up to 254 bytes without `/` (see {@link makeShmemSegmentName})
 * @param settings the postmaster's settings (they size the regions)
 * @param options generation, registry, extra initialisation
 * @returns the mapped segment, state `ready`
 * @throws {SqlError} FATAL when the segment cannot be created, sized or mapped
 * @example
 * ```ts
 * const seg = createShmemSegment(makeShmemSegmentName(5432), settings);
 * ```
 */
export function createShmemSegment(
  name: string,
  settings: GucSettings,
  options: CreateShmemOptions = {},
): ShmemSegment {
  _checkName(name);
  const layout = computeShmemLayout(settings, options.regions ?? SHMEM_REGIONS);
  const size = layout.totalSizeBytes;
  const fd = libc().shm_open(cString(name), LinuxConst.O_RDWR | LinuxConst.O_CREAT | LinuxConst.O_EXCL, 0o600);
  if (fd < 0) throw _fail("could not create shared memory segment", name, errno());
  let base: Deno.PointerObject;
  try {
    const rc = libc().posix_fallocate(fd, 0n, BigInt(size));
    if (rc !== 0) throw _fail(`could not resize shared memory segment`, name, rc, size);
    base = _map(fd, name, size, false);
  } catch (e) {
    libc().close(fd);
    libc().shm_unlink(cString(name));
    throw e;
  }
  libc().close(fd);
  try {
    const dv = new DataView(Deno.UnsafePointerView.getArrayBuffer(base, SHMEM_HEADER_BYTES));
    writeShmemHeader(dv, {
      totalSizeBytes: size,
      generation: options.generation ?? 1,
      postmasterPid: Deno.pid,
      createdAtMs: Date.now(),
      regions: layout.regions,
    });
    const seg = new ShmemSegment(name, base, size, false);
    procArrayShmemInit(seg, settings);
    lwlockShmemInit(seg);
    statsShmemInit(seg);
    options.initialize?.(seg);
    seg.setState("ready");
    return seg;
  } catch (e) {
    libc().munmap(base, BigInt(size));
    libc().shm_unlink(cString(name));
    throw e;
  }
}

/** Options of {@link attachShmemSegment}. */
export interface AttachShmemOptions {
  /** Map with PROT_READ from an O_RDONLY descriptor (top, monitoring). Default false. */
  readOnly?: boolean;
}

/**
 * Attaches an existing segment by name (children, top). A read-write attach
 * requires state `ready`; a read-only one also accepts `discarded`.
 *
 * @param name the name from postmaster.pid line 7 or `--shmem=`
 * @param options `readOnly`
 * @returns the mapped segment
 * @throws {SqlError} FATAL when it does not exist, is not a denogres segment of this layout version, or is not ready
 */
export function attachShmemSegment(name: string, options: AttachShmemOptions = {}): ShmemSegment {
  _checkName(name);
  const readOnly = options.readOnly ?? false;
  const fd = libc().shm_open(cString(name), readOnly ? LinuxConst.O_RDONLY : LinuxConst.O_RDWR, 0);
  if (fd < 0) throw _fail("could not open shared memory segment", name, errno());
  let base: Deno.PointerObject;
  let size: number;
  try {
    size = Number(libc().lseek(fd, 0n, LinuxConst.SEEK_END));
    if (size < 0) throw _fail("could not stat shared memory segment", name, errno());
    if (size < SHMEM_HEADER_BYTES) throw _invalid(name, `it is only ${size} bytes`);
    base = _map(fd, name, size, readOnly);
  } finally {
    libc().close(fd);
  }
  try {
    const dv = new DataView(Deno.UnsafePointerView.getArrayBuffer(base, SHMEM_HEADER_BYTES));
    const header = readShmemHeader(dv);
    if (header.totalSizeBytes !== size) throw new Error(`header says ${header.totalSizeBytes} bytes, file has ${size}`);
    const seg = new ShmemSegment(name, base, size, readOnly);
    const state = seg.state;
    if (state === "initializing" || (state === "discarded" && !readOnly)) {
      throw new SqlError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, `shared memory segment "${name}" is ${state}`, {
        severity: "FATAL",
      });
    }
    return seg;
  } catch (e) {
    libc().munmap(base, BigInt(size));
    if (e instanceof SqlError) throw e;
    throw _invalid(name, (e as Error).message);
  }
}

/**
 * Removes a segment's name (clean shutdown, crash reset, stale segment).
 * Processes that still map it keep their mapping until they unmap or exit.
 *
 * @param name the segment's name
 * @returns true if it existed
 * @throws {SqlError} for errors other than "does not exist"
 */
export function unlinkShmemSegment(name: string): boolean {
  _checkName(name);
  if (libc().shm_unlink(cString(name)) === 0) return true;
  const code = errno();
  if (code === LinuxConst.ENOENT) return false;
  throw _fail("could not remove shared memory segment", name, code);
}

/**
 * The crash reset's segment step (postmaster only, after every child has
 * exited): marks the old segment discarded, unmaps and unlinks it, and
 * creates a fresh one under the same name with generation + 1.
 *
 * @param old the current segment, mapped read-write by the postmaster
 * @param settings the postmaster's settings
 * @param options as {@link createShmemSegment} (generation is set here)
 * @returns the new segment
 */
export function resetShmemSegment(
  old: ShmemSegment,
  settings: GucSettings,
  options: Omit<CreateShmemOptions, "generation"> = {},
): ShmemSegment {
  const generation = old.generation + 1;
  old.setState("discarded");
  old.detach();
  unlinkShmemSegment(old.name);
  return createShmemSegment(old.name, settings, { ...options, generation });
}

/**
 * Makes a segment name unique to a cluster start: `/denogres.<port>.<8 hex digits>`.
 *
 * @param port the cluster's port
 * @returns a fresh name
 */
export function makeShmemSegmentName(port: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `/denogres.${port}.${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function _checkName(name: string): void {
  if (!/^\/[^/\0]{1,254}$/.test(name)) throw new TypeError(`Invalid shared memory segment name "${name}"`);
}

function _map(fd: number, name: string, size: number, readOnly: boolean): Deno.PointerObject {
  const prot = readOnly ? LinuxConst.PROT_READ : LinuxConst.PROT_READ | LinuxConst.PROT_WRITE;
  const p = libc().mmap(null, BigInt(size), prot, LinuxConst.MAP_SHARED, fd, 0n);
  const addr = p === null ? 0n : BigInt(Deno.UnsafePointer.value(p));
  if (p === null || addr === 0xffffffffffffffffn || addr === -1n) {
    throw _fail("could not map shared memory segment", name, errno());
  }
  return p;
}

function _fail(what: string, name: string, code: number, sizeBytes?: number): SqlError {
  const outOfMemory = code === LinuxConst.ENOMEM || code === LinuxConst.ENOSPC;
  const sqlstate = outOfMemory
    ? SqlState.OUT_OF_MEMORY
    : code === LinuxConst.ENOENT
    ? SqlState.UNDEFINED_FILE
    : code === LinuxConst.EEXIST
    ? SqlState.DUPLICATE_FILE
    : code === LinuxConst.EACCES
    ? SqlState.INSUFFICIENT_PRIVILEGE
    : SqlState.IO_ERROR;
  const to = sizeBytes === undefined ? "" : ` to ${sizeBytes} bytes`;
  return new SqlError(sqlstate, `${what} "${name}"${to}: ${strerror(code)}`, {
    severity: "FATAL",
    hint: outOfMemory && sizeBytes !== undefined
      ? "This error usually means that denogres's request for a shared memory segment exceeded available memory. " +
        `To reduce the request size (currently ${sizeBytes} bytes), reduce denogres's shared memory usage, ` +
        "perhaps by reducing shared_buffers or max_connections."
      : undefined,
  });
}

function _invalid(name: string, why: string): SqlError {
  return new SqlError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, `shared memory segment "${name}" is not usable`, {
    severity: "FATAL",
    detail: why[0].toUpperCase() + why.slice(1) + ".",
  });
}
