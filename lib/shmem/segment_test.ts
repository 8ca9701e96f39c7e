import { afterEach, describe, expect, test } from "vitest";
import { SqlError } from "../common/errors.ts";
import { GucSettings } from "../config/mod.ts";
import {
  attachShmemSegment,
  computeShmemLayout,
  createShmemSegment,
  makeShmemSegmentName,
  removeStaleShmemSegment,
  resetShmemSegment,
  SHMEM_LAYOUT_VERSION,
  type ShmemSegment,
  shmemSegmentUsers,
  unlinkShmemSegment,
} from "./mod.ts";
import { createTestSegment, killAll, spawnWorker, type WorkerProcess } from "./testdata/worker_process.ts";

const settings = GucSettings.defaults().with("shared_buffers", 16, "command line");
const made: ShmemSegment[] = [];
const names: string[] = [];
let workers: WorkerProcess[] = [];

function freshName(): string {
  const name = `/denogres.test.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}`;
  names.push(name);
  return name;
}

afterEach(async () => {
  await killAll(workers);
  workers = [];
  for (const s of made.splice(0)) s.detach();
  for (const n of names.splice(0)) unlinkShmemSegment(n);
});

describe("createShmemSegment()", () => {
  test("creates a ready segment whose header records generation, pid, size and regions", () => {
    const name = freshName();
    const seg = createShmemSegment(name, settings);
    made.push(seg);
    const layout = computeShmemLayout(settings);
    expect(seg.state).toBe("ready");
    expect(seg.generation).toBe(1);
    expect(seg.postmasterPid).toBe(Deno.pid);
    expect(seg.sizeBytes).toBe(layout.totalSizeBytes);
    expect(seg.regions()).toEqual(layout.regions);
    expect(seg.dv.getUint32(0, true)).toBe(0x53474e44);
    expect(seg.dv.getUint32(4, true)).toBe(SHMEM_LAYOUT_VERSION);
    expect(Deno.statSync(`/dev/shm${name}`).size).toBe(layout.totalSizeBytes);
  });

  test("refuses an existing name with PostgreSQL-style FATAL wording", () => {
    const name = freshName();
    made.push(createShmemSegment(name, settings));
    let err: unknown;
    try {
      createShmemSegment(name, settings);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SqlError);
    expect((err as SqlError).severity).toBe("FATAL");
    expect((err as SqlError).message).toBe(`could not create shared memory segment "${name}": File exists`);
  });

  test("makeShmemSegmentName() gives a POSIX name with the port and a random suffix", () => {
    const a = makeShmemSegmentName(24001);
    expect(a).toMatch(/^\/denogres\.24001\.[0-9a-f]{8}$/);
    expect(makeShmemSegmentName(24001)).not.toBe(a);
  });
});

describe("attachShmemSegment()", () => {
  test("a second mapping sees the same memory and the same regions", () => {
    const name = freshName();
    const seg = createShmemSegment(name, settings);
    const other = attachShmemSegment(name);
    made.push(seg, other);
    expect(other.regions()).toEqual(seg.regions());
    seg.i32[seg.region("statistics").offset >> 2] = 1234;
    expect(other.i32[seg.region("statistics").offset >> 2]).toBe(1234);
  });

  test("a missing segment is FATAL `could not open shared memory segment`", () => {
    expect(() => attachShmemSegment(freshName())).toThrow(/could not open shared memory segment .*No such file/);
  });

  test("a discarded segment can be attached read-only but not read-write", () => {
    const name = freshName();
    const seg = createShmemSegment(name, settings);
    made.push(seg);
    seg.setState("discarded");
    expect(() => attachShmemSegment(name)).toThrow(`shared memory segment "${name}" is discarded`);
    const ro = attachShmemSegment(name, { readOnly: true });
    made.push(ro);
    expect(ro.state).toBe("discarded");
    expect(() => seg.setState("ready")).toThrow(RangeError);
  });

  test("a read-only attachment cannot write: the writer dies with SIGSEGV", async () => {
    const seg = createTestSegment();
    names.push(seg.name);
    made.push(seg);
    const w = spawnWorker([seg.name, "readonly-write"]);
    workers.push(w);
    const first = JSON.parse(await w.line(/generation/));
    expect(first.generation).toBe(1);
    const status = await w.status;
    expect(status.signal).toBe("SIGSEGV");
    expect(w.lines).not.toContain("wrote");
    expect(seg.i32[seg.region("test scratch").offset >> 2]).toBe(0);
  }, 60_000);
});

describe("resetShmemSegment() and unlinkShmemSegment()", () => {
  test("a reset keeps the name, bumps the generation and starts from zeroed memory", () => {
    const name = freshName();
    const seg = createShmemSegment(name, settings);
    const reader = attachShmemSegment(name, { readOnly: true });
    made.push(reader);
    seg.i32[seg.region("statistics").offset >> 2] = 99;
    const next = resetShmemSegment(seg, settings);
    made.push(next);
    expect(reader.state).toBe("discarded"); // old mapping, still readable
    expect(next.name).toBe(name);
    expect(next.generation).toBe(2);
    expect(next.i32[next.region("statistics").offset >> 2]).not.toBe(99);
    expect(attachShmemSegment(name, { readOnly: true }).generation).toBe(2);
  });

  test("unlinkShmemSegment() reports whether the name existed", () => {
    const name = freshName();
    made.push(createShmemSegment(name, settings));
    expect(unlinkShmemSegment(name)).toBe(true);
    expect(unlinkShmemSegment(name)).toBe(false);
  });
});

describe("stale segments", () => {
  test("a segment nobody maps is removed; one still mapped by a live process is FATAL with a hint", async () => {
    const seg = createTestSegment();
    names.push(seg.name);
    const holder = spawnWorker([seg.name, "hold-lwlock"]);
    workers.push(holder);
    await holder.line(/^holding/);
    seg.detach(); // this process (the "old postmaster") no longer maps it
    expect(shmemSegmentUsers(seg.name)).toEqual([holder.pid]);
    let err: unknown;
    try {
      removeStaleShmemSegment(seg.name, "/data/dir");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SqlError);
    expect((err as SqlError).sqlstate).toBe("F0001");
    expect((err as SqlError).message).toBe(`pre-existing shared memory block "${seg.name}" is still in use`);
    expect((err as SqlError).hint).toBe(
      'Terminate any old server processes associated with data directory "/data/dir".',
    );
    holder.child.kill("SIGKILL");
    await holder.status;
    expect(shmemSegmentUsers(seg.name)).toEqual([]);
    expect(removeStaleShmemSegment(seg.name, "/data/dir")).toBe(true);
    expect(removeStaleShmemSegment(seg.name, "/data/dir")).toBe(false);
  }, 60_000);
});
