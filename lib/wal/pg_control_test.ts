import { afterEach, describe, expect, test } from "vitest";
import { SqlError } from "../common/errors.ts";
import {
  type ControlFileData,
  decodeControlFile,
  encodeControlFile,
  newControlFile,
  PG_CONTROL_FILE_SIZE,
  readControlFile,
  writeControlFile,
} from "./pg_control.ts";

const fixture = new URL("./testdata/pg15_pg_control", import.meta.url);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) Deno.removeSync(d, { recursive: true });
});

function sample(): ControlFileData {
  return newControlFile({
    systemIdentifier: 7712080672662879617n,
    checkPoint: 0x1000028n,
    checkPointCopy: {
      redo: 0x1000028n,
      thisTimeLineId: 1,
      prevTimeLineId: 1,
      fullPageWrites: true,
      nextXid: 724n,
      nextOid: 13572,
      nextMulti: 1,
      nextMultiOffset: 0,
      oldestXid: 716,
      oldestXidDb: 1,
      oldestMulti: 1,
      oldestMultiDb: 1,
      time: 1_800_000_000,
      oldestCommitTsXid: 0,
      newestCommitTsXid: 0,
      oldestActiveXid: 0,
    },
    walSegmentSizeBytes: 16 << 20,
    dataChecksums: true,
    maxConnections: 100,
    maxLocksPerXact: 64,
  });
}

describe("pg_control", () => {
  test("decodes a control file written by PostgreSQL 15 and re-encodes it byte for byte", () => {
    const bytes = Deno.readFileSync(fixture);
    const cf = decodeControlFile(bytes);
    expect(cf.pgControlVersion).toBe(1300);
    expect(cf.catalogVersionNo).toBe(202209061);
    expect(cf.systemIdentifier).toBe(7712080672662879617n);
    expect(cf.state).toBe("shut down");
    expect(cf.checkPoint).toBe(0x841568n);
    expect(cf.checkPointCopy.redo).toBe(0x841568n);
    expect(cf.checkPointCopy.nextXid).toBe(724n);
    expect(cf.checkPointCopy.nextOid).toBe(13572);
    expect(cf.checkPointCopy.oldestXid).toBe(716);
    expect(cf.xlogSegSize).toBe(1 << 20);
    expect(cf.maxConnections).toBe(100);
    expect(cf.dataChecksumVersion).toBe(1);
    expect(encodeControlFile(cf)).toEqual(bytes);
  });

  test("a flipped byte fails the CRC check with PostgreSQL's message", () => {
    const bytes = encodeControlFile(sample());
    bytes[100] ^= 0x40;
    expect(() => decodeControlFile(bytes)).toThrow("calculated CRC checksum does not match value stored in file");
    try {
      decodeControlFile(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(SqlError);
      expect((e as SqlError).severity).toBe("FATAL");
    }
  });

  test("a file of another pg_control version is refused as incompatible", () => {
    const bytes = encodeControlFile(sample());
    new DataView(bytes.buffer).setUint32(8, 1201, true);
    expect(() => decodeControlFile(bytes)).toThrow("database files are incompatible with server");
  });

  test("writeControlFile replaces the file atomically and readControlFile reads it back", () => {
    const dir = Deno.makeTempDirSync({ prefix: "denogres_pgcontrol_" });
    dirs.push(dir);
    Deno.mkdirSync(`${dir}/global`);
    const cf = sample();
    writeControlFile(dir, cf);
    cf.state = "in production";
    writeControlFile(dir, cf);
    expect(Deno.statSync(`${dir}/global/pg_control`).size).toBe(PG_CONTROL_FILE_SIZE);
    expect([...Deno.readDirSync(`${dir}/global`)].map((e) => e.name)).toEqual(["pg_control"]);
    const back = readControlFile(dir);
    expect(back.state).toBe("in production");
    expect(back.checkPointCopy).toEqual(cf.checkPointCopy);
    expect(back.mockAuthenticationNonce).toEqual(cf.mockAuthenticationNonce);
  });
});
