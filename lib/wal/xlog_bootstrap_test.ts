import { afterEach, describe, expect, test } from "vitest";
import { GucSettings } from "../config/mod.ts";
import { readControlFile } from "./pg_control.ts";
import { bootStrapXlog, generateSystemIdentifier, isValidWalSegSize } from "./xlog_bootstrap.ts";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const havePg = (() => {
  try {
    return Deno.statSync(`${PG_BIN}/pg_waldump`).isFile;
  } catch {
    return false;
  }
})();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) Deno.removeSync(d, { recursive: true });
});

function newDir(): string {
  const dir = Deno.makeTempDirSync({ prefix: "denogres_bootstrap_" });
  dirs.push(dir);
  return dir;
}

function run(cmd: string, args: string[]): { code: number; out: string } {
  const r = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

describe("bootStrapXlog", () => {
  test("writes segment 1 with a shutdown checkpoint and pg_control in state shut down", () => {
    const dir = newDir();
    const settings = GucSettings.defaults().with("wal_segment_size", 1 << 20, "default");
    const sysid = generateSystemIdentifier();
    const redo = bootStrapXlog(dir, settings, sysid);
    expect(redo).toBe(0x100028n);
    expect(Deno.statSync(`${dir}/pg_wal/000000010000000000000001`).size).toBe(1 << 20);
    expect(Deno.statSync(`${dir}/pg_xact/0000`).size).toBe(8192);
    const cf = readControlFile(dir);
    expect(cf.state).toBe("shut down");
    expect(cf.systemIdentifier).toBe(sysid);
    expect(cf.checkPoint).toBe(redo);
    expect(cf.checkPointCopy.redo).toBe(redo);
    expect(cf.checkPointCopy.nextXid).toBe(3n);
    expect(cf.xlogSegSize).toBe(1 << 20);
  });

  test.skipIf(!havePg)("PostgreSQL's pg_controldata and pg_waldump read what it wrote", () => {
    const dir = newDir();
    bootStrapXlog(dir, GucSettings.defaults(), 7000000000000000001n);
    const cd = run(`${PG_BIN}/pg_controldata`, ["-D", dir]);
    expect(cd.code).toBe(0);
    expect(cd.out).toContain("Database system identifier:           7000000000000000001");
    expect(cd.out).toContain("Database cluster state:               shut down");
    expect(cd.out).toContain("Latest checkpoint location:           0/1000028");
    expect(cd.out).toContain("Latest checkpoint's NextXID:          0:3");
    expect(cd.out).toContain("Bytes per WAL segment:                16777216");
    expect(cd.out).not.toContain("WARNING");
    const wd = run(`${PG_BIN}/pg_waldump`, ["-p", `${dir}/pg_wal`, "000000010000000000000001"]);
    expect(wd.out).toMatch(
      /rmgr: XLOG +len \(rec\/tot\): +114\/ +114, tx: +0, lsn: 0\/01000028, prev 0\/00000000, desc: CHECKPOINT_SHUTDOWN redo 0\/1000028/,
    );
    expect(wd.out).toContain("invalid record length at 0/10000A0: wanted 24, got 0");
  });

  test("refuses a segment size that is not a power of two in range", () => {
    expect(isValidWalSegSize(16 << 20)).toBe(true);
    expect(isValidWalSegSize(3 << 20)).toBe(false);
    expect(isValidWalSegSize(512 << 10)).toBe(false);
    const settings = GucSettings.defaults().with("wal_segment_size", 3 << 20, "default");
    expect(() => bootStrapXlog(newDir(), settings, 1n)).toThrow(RangeError);
  });
});
