import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { SqlError } from "../common/errors.ts";
import { RELATION_SEGMENT_BLOCKS } from "../common/limits.ts";
import { listProcDir } from "../ffi/procfs.ts";
import {
  SMGR_OPEN_FILES_MAX,
  smgrCloseAll,
  smgrCreate,
  smgrExists,
  smgrExtend,
  smgrInit,
  smgrNblocks,
  smgrRead,
  smgrTruncate,
  smgrUnlink,
  smgrWrite,
} from "./smgr.ts";
import { pendingSyncRequestCount, processSyncRequests } from "./sync.ts";

let dir = "";
const rl = { spcOid: 1663, dbOid: 5, relNumber: 16384 };

beforeEach(() => {
  dir = Deno.makeTempDirSync({ prefix: "denogres_smgr_" });
  smgrInit(dir);
});
afterEach(() => {
  smgrCloseAll();
  Deno.removeSync(dir, { recursive: true });
});

function block(v: number): Uint8Array {
  return new Uint8Array(8192).fill(v);
}

describe("smgr", () => {
  test("creates base/<db>/<rel>, extends, writes and reads blocks, and registers fsync requests", () => {
    expect(smgrExists(rl, 0)).toBe(false);
    smgrCreate(rl, 0);
    expect(Deno.statSync(`${dir}/base/5/16384`).size).toBe(0);
    expect(() => smgrCreate(rl, 0)).toThrow('could not create file "base/5/16384": File exists');
    smgrCreate(rl, 0, true);
    smgrExtend(rl, 0, 0, block(1));
    smgrExtend(rl, 0, 1, block(2));
    smgrWrite(rl, 0, 0, block(3));
    expect(smgrNblocks(rl, 0)).toBe(2);
    const buf = new Uint8Array(8192);
    smgrRead(rl, 0, 0, buf);
    expect(buf[100]).toBe(3);
    expect(pendingSyncRequestCount()).toBe(1);
    expect(processSyncRequests().synced).toBe(1);
    try {
      smgrRead(rl, 0, 5, buf);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SqlError);
      expect((e as SqlError).message).toBe('could not read block 5 in file "base/5/16384": read only 0 of 8192 bytes');
    }
  });

  test("blocks past 1 GiB go to segment files .1, and truncation removes them", () => {
    smgrCreate(rl, 0);
    // The last block of segment 0 makes it a full (sparse) 1 GiB file.
    smgrWrite(rl, 0, RELATION_SEGMENT_BLOCKS - 1, block(4));
    smgrExtend(rl, 0, RELATION_SEGMENT_BLOCKS, block(5));
    expect(Deno.statSync(`${dir}/base/5/16384.1`).size).toBe(8192);
    expect(smgrNblocks(rl, 0)).toBe(RELATION_SEGMENT_BLOCKS + 1);
    const buf = new Uint8Array(8192);
    smgrRead(rl, 0, RELATION_SEGMENT_BLOCKS, buf);
    expect(buf[0]).toBe(5);
    smgrTruncate(rl, 0, 10);
    expect(smgrNblocks(rl, 0)).toBe(10);
    expect(() => Deno.statSync(`${dir}/base/5/16384.1`)).toThrow(Deno.errors.NotFound);
    smgrUnlink(rl, 0);
    expect(smgrExists(rl, 0)).toBe(false);
  });

  test("keeps at most SMGR_OPEN_FILES_MAX descriptors open", () => {
    const n = SMGR_OPEN_FILES_MAX + 20;
    for (let i = 0; i < n; i++) {
      const r = { ...rl, relNumber: 20000 + i };
      smgrCreate(r, 0);
      smgrExtend(r, 0, 0, block(i & 0xff));
    }
    const fds = listProcDir("/proc/self/fd").length;
    expect(fds).toBeLessThan(SMGR_OPEN_FILES_MAX + 64);
    const buf = new Uint8Array(8192);
    smgrRead({ ...rl, relNumber: 20000 }, 0, 0, buf);
    expect(buf[0]).toBe(0);
    smgrRead({ ...rl, relNumber: 20000 + n - 1 }, 0, 0, buf);
    expect(buf[0]).toBe((n - 1) & 0xff);
  });
});
