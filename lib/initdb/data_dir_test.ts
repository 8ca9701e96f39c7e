import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  checkDataDir,
  createDataDir,
  emptyDirectory,
  fixDataDirPermissions,
  notEmptyError,
  removeCreatedDirs,
} from "./data_dir.ts";
import { InitdbError } from "./initdb_error.ts";

let tmp: string;
beforeEach(async () => {
  tmp = await Deno.makeTempDir({ prefix: "denogres-data-dir-test-" });
});
afterEach(async () => {
  await Deno.remove(tmp, { recursive: true });
});

const mode = (p: string) => Deno.statSync(p).mode! & 0o777;

describe("checkDataDir()", () => {
  test("tells a missing path, an empty directory and a non-empty one apart", () => {
    expect(checkDataDir(`${tmp}/nope`)).toEqual({ kind: "missing" });
    expect(checkDataDir(tmp)).toEqual({ kind: "empty" });
    Deno.writeTextFileSync(`${tmp}/PG_VERSION`, "15\n");
    expect(checkDataDir(tmp)).toEqual({ kind: "not-empty", lostFound: false, dotFile: false });
  });

  test("notices a lone lost+found or dot file, as PostgreSQL's pg_check_dir", () => {
    Deno.mkdirSync(`${tmp}/lost+found`);
    expect(checkDataDir(tmp)).toMatchObject({ kind: "not-empty", lostFound: true, dotFile: false });
    Deno.writeTextFileSync(`${tmp}/.hidden`, "");
    expect(checkDataDir(tmp)).toMatchObject({ kind: "not-empty", lostFound: false, dotFile: true });
    Deno.writeTextFileSync(`${tmp}/visible`, "");
    expect(checkDataDir(tmp)).toMatchObject({ kind: "not-empty", lostFound: false, dotFile: false });
  });

  test("reports a path through a regular file as not accessible", () => {
    Deno.writeTextFileSync(`${tmp}/file`, "");
    expect(() => checkDataDir(`${tmp}/file`)).toThrow(`could not access directory "${tmp}/file": Not a directory`);
    expect(() => checkDataDir(`${tmp}/file/sub`)).toThrow(InitdbError);
  });
});

describe("notEmptyError()", () => {
  test("has PostgreSQL's message and hint", () => {
    const e = notEmptyError("/d", { lostFound: false, dotFile: false });
    expect(e.message).toBe('directory "/d" exists but is not empty');
    expect(e.hint).toBe(
      'If you want to create a new database system, either remove or empty the directory "/d" ' +
        'or run initdb with an argument other than "/d".',
    );
    expect(notEmptyError("/d", { lostFound: true, dotFile: false }).detail).toContain("lost+found");
  });
});

describe("createDataDir()", () => {
  test("creates missing parents and the directory, mode 0700, and lists what it made", () => {
    const dir = `${tmp}/a/b/data`;
    expect(createDataDir(dir)).toEqual([`${tmp}/a`, `${tmp}/a/b`, dir]);
    expect(mode(dir)).toBe(0o700);
  });

  test("makes relative paths relative to the working directory", () => {
    const cwd = Deno.cwd();
    Deno.chdir(tmp);
    try {
      expect(createDataDir("x/data")).toEqual(["x", "x/data"]);
    } finally {
      Deno.chdir(cwd);
    }
    expect(Deno.statSync(`${tmp}/x/data`).isDirectory).toBe(true);
  });

  test("on failure removes the parents it made and names the directory it could not create", () => {
    const dir = `${tmp}/new/${"x".repeat(300)}`;
    expect(() => createDataDir(dir)).toThrow(`could not create directory "${dir}": File name too long`);
    expect([...Deno.readDirSync(tmp)]).toEqual([]);
  });

  test("refuses a parent that is a regular file", () => {
    Deno.writeTextFileSync(`${tmp}/file`, "");
    expect(() => createDataDir(`${tmp}/file/data`)).toThrow(InitdbError);
  });
});

describe("cleanup helpers", () => {
  test("removeCreatedDirs() removes made directories with their contents, innermost first", () => {
    const made = createDataDir(`${tmp}/p/data`);
    Deno.writeTextFileSync(`${tmp}/p/data/f`, "x");
    expect(removeCreatedDirs(made)).toBe(true);
    expect([...Deno.readDirSync(tmp)]).toEqual([]);
  });

  test("emptyDirectory() keeps the directory and removes everything in it", () => {
    Deno.mkdirSync(`${tmp}/d/sub`, { recursive: true });
    Deno.writeTextFileSync(`${tmp}/d/f`, "x");
    expect(emptyDirectory(`${tmp}/d`)).toBe(true);
    expect([...Deno.readDirSync(`${tmp}/d`)]).toEqual([]);
  });

  test("fixDataDirPermissions() sets mode 0700", () => {
    Deno.chmodSync(tmp, 0o755);
    fixDataDirPermissions(tmp);
    expect(mode(tmp)).toBe(0o700);
  });
});
