import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { checkDataDir, writeOptsFile } from "./data_dir.ts";

let dir = "";
beforeEach(() => {
  dir = Deno.makeTempDirSync({ prefix: "denogres-datadir-" });
  Deno.chmodSync(dir, 0o700);
  Deno.writeTextFileSync(`${dir}/PG_VERSION`, "15\n");
});
afterEach(() => Deno.removeSync(dir, { recursive: true }));

describe("checkDataDir", () => {
  test("checkDataDir() accepts modes 0700 and 0750 with PG_VERSION 15", () => {
    expect(() => checkDataDir(dir)).not.toThrow();
    Deno.chmodSync(dir, 0o750);
    expect(() => checkDataDir(dir)).not.toThrow();
  });

  test("checkDataDir() refuses group-writable or world-readable directories with PostgreSQL's detail", () => {
    Deno.chmodSync(dir, 0o755);
    expect(() => checkDataDir(dir)).toThrow(expect.objectContaining({
      severity: "FATAL",
      message: `data directory "${dir}" has invalid permissions`,
      detail: "Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).",
    }));
  });

  test("checkDataDir() refuses a missing directory, a missing PG_VERSION and another major version", () => {
    expect(() => checkDataDir(`${dir}/nope`)).toThrow(`data directory "${dir}/nope" does not exist`);
    Deno.removeSync(`${dir}/PG_VERSION`);
    expect(() => checkDataDir(dir)).toThrow(expect.objectContaining({
      message: `"${dir}" is not a valid data directory`,
      detail: `File "${dir}/PG_VERSION" is missing.`,
    }));
    Deno.writeTextFileSync(`${dir}/PG_VERSION`, "14\n");
    expect(() => checkDataDir(dir)).toThrow("database files are incompatible with server");
  });

  test("writeOptsFile() writes the program and each argument quoted, on one line", () => {
    writeOptsFile(dir, "/opt/denogres/bin/server", ["-D", dir, "-p", "5433"]);
    expect(Deno.readTextFileSync(`${dir}/postmaster.opts`)).toBe(
      `/opt/denogres/bin/server "-D" "${dir}" "-p" "5433"\n`,
    );
  });
});
