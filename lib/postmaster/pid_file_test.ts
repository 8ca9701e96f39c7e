import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { SqlError } from "../common/errors.ts";
import { addToDataDirLockFile, createLockFile, parsePidFile, PM_STATUS, processExists } from "./pid_file.ts";

let dir = "";
beforeEach(() => {
  dir = Deno.makeTempDirSync({ prefix: "denogres-pidfile-" });
});
afterEach(() => Deno.removeSync(dir, { recursive: true }));

describe("postmaster.pid", () => {
  test("createLockFile() writes the lines, and addToDataDirLockFile() fills in later lines as PostgreSQL does", () => {
    const path = `${dir}/postmaster.pid`;
    createLockFile(path, { kind: "datadir", dataDir: dir }, [String(Deno.pid), dir, "1700000000", "5432", ""]);
    addToDataDirLockFile(path, 6, "localhost");
    addToDataDirLockFile(path, 5, "/tmp");
    addToDataDirLockFile(path, 8, PM_STATUS.STARTING);
    addToDataDirLockFile(path, 7, "/denogres.5432.0badcafe");
    addToDataDirLockFile(path, 8, PM_STATUS.READY);
    expect(Deno.readTextFileSync(path)).toBe(
      `${Deno.pid}\n${dir}\n1700000000\n5432\n/tmp\nlocalhost\n/denogres.5432.0badcafe\nready   \n`,
    );
    expect(Deno.statSync(path).mode! & 0o777).toBe(0o600);
    expect(parsePidFile(Deno.readTextFileSync(path))).toMatchObject({
      pid: Deno.pid,
      dataDir: dir,
      startTimeSec: 1700000000,
      port: 5432,
      socketDir: "/tmp",
      listenAddr: "localhost",
      shmemKey: "/denogres.5432.0badcafe",
      status: "ready   ",
    });
  });

  test("a lock file of a live process is FATAL with PostgreSQL's hint", () => {
    const path = `${dir}/postmaster.pid`;
    Deno.writeTextFileSync(path, `1\n${dir}\n1700000000\n5432\n\n`);
    expect(processExists(1)).toBe(true);
    let err: unknown;
    try {
      createLockFile(path, { kind: "datadir", dataDir: dir }, [String(Deno.pid), dir, "1", "5432", ""]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SqlError);
    expect(err).toMatchObject({
      severity: "FATAL",
      sqlstate: "F0001",
      message: 'lock file "postmaster.pid" already exists',
      hint: `Is another postmaster (PID 1) running in data directory "${dir}"?`,
    });
    const sock = `${dir}/.s.PGSQL.5432.lock`;
    Deno.writeTextFileSync(sock, `1\n${dir}\n1700000000\n5432\n/tmp\n`);
    expect(() => createLockFile(sock, { kind: "socket", socketPath: `${dir}/.s.PGSQL.5432` }, ["1"])).toThrow(
      `lock file "${sock}" already exists`,
    );
  });

  test("a stale lock file (dead pid) is checked by the caller, removed and replaced", () => {
    const path = `${dir}/postmaster.pid`;
    Deno.writeTextFileSync(path, `4194305\n${dir}\n1700000000\n5432\n/tmp\n*\n/denogres.5432.deadbeef\nready   \n`);
    const seen: string[] = [];
    createLockFile(path, { kind: "datadir", dataDir: dir }, [String(Deno.pid), dir, "2", "5433", ""], (old) => {
      seen.push(old.shmemKey!);
    });
    expect(seen).toEqual(["/denogres.5432.deadbeef"]);
    expect(Deno.readTextFileSync(path)).toBe(`${Deno.pid}\n${dir}\n2\n5433\n\n`);
  });

  test("bogus contents are FATAL", () => {
    const path = `${dir}/postmaster.pid`;
    Deno.writeTextFileSync(path, "garbage\n");
    expect(() => createLockFile(path, { kind: "datadir", dataDir: dir }, ["1"])).toThrow(
      `bogus data in lock file "${path}": "garbage"`,
    );
  });
});
