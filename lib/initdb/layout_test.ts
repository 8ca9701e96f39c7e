import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createSubdirectories, DATA_SUBDIRECTORIES, writeDataFile, writeVersionFile } from "./layout.ts";

let tmp: string;
beforeEach(async () => {
  tmp = await Deno.makeTempDir({ prefix: "denogres-layout-test-" });
});
afterEach(async () => {
  await Deno.remove(tmp, { recursive: true });
});

describe("createSubdirectories()", () => {
  test("creates PostgreSQL 15's folders, each mode 0700, parents before children", () => {
    createSubdirectories(tmp);
    for (const { path } of DATA_SUBDIRECTORIES) {
      const st = Deno.statSync(`${tmp}/${path}`);
      expect(st.isDirectory, path).toBe(true);
      expect(st.mode! & 0o777, path).toBe(0o700);
    }
    const paths = DATA_SUBDIRECTORIES.map((d) => d.path);
    for (const p of ["base/1", "base/4", "base/5", "global", "pg_wal", "pg_xact", "pg_stat", "pg_tblspc"]) {
      expect(paths).toContain(p);
    }
  });

  test("fails with PostgreSQL's message when a folder exists already", () => {
    Deno.mkdirSync(`${tmp}/global`);
    expect(() => createSubdirectories(tmp)).toThrow(`could not create directory "${tmp}/global": File exists`);
  });
});

describe("writeVersionFile() and writeDataFile()", () => {
  test("write PG_VERSION as the major version, mode 0600", () => {
    writeVersionFile(tmp);
    expect(Deno.readTextFileSync(`${tmp}/PG_VERSION`)).toBe("15\n");
    expect(Deno.statSync(`${tmp}/PG_VERSION`).mode! & 0o777).toBe(0o600);
  });

  test("never overwrite an existing file", () => {
    writeDataFile(`${tmp}/f`, "one");
    expect(() => writeDataFile(`${tmp}/f`, "two")).toThrow(`could not write file "${tmp}/f": File exists`);
    expect(Deno.readTextFileSync(`${tmp}/f`)).toBe("one");
  });
});
