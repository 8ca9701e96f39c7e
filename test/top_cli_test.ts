/**
 * End to end: the real `bin/top` executable's command line — help, version,
 * one-line usage errors, and --once/--json without a running server (no
 * terminal needed, exit status 3).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TOP_SNAPSHOT_SCHEMA } from "../lib/top/mod.ts";
import { checkJsonSchema } from "../lib/top/_json_schema_check.ts";

const TOP = new URL("../bin/top", import.meta.url).pathname;
let dataDir: string;

async function top(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(TOP, { args, env: { PGDATA: "", ...env }, stdin: "null" }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

beforeAll(() => {
  dataDir = Deno.makeTempDirSync({ prefix: "top_cli_" });
});
afterAll(() => {
  Deno.removeSync(dataDir, { recursive: true });
});

describe("bin/top", () => {
  test("--help and --version exit 0", async () => {
    const help = await top(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage:\n  top [OPTION]...");
    expect(help.stdout).toContain("--interval=SECONDS");
    const version = await top(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: "top (denogres) 0.1.0; PostgreSQL 15 compatible\n" });
  }, 30_000);

  test("usage errors print one line and a hint, a missing directory one line; exit 1", async () => {
    const cases: [string[], string][] = [
      [["--once"], "top: error: no data directory specified"],
      [["-D", dataDir, "--interval", "0"], 'top: error: invalid interval "0": must be between 0.25 and 60 seconds'],
      [["-D", dataDir, "--once", "--json"], "top: error: options --once and --json cannot be used together"],
      [["-D", dataDir, "--bogus"], "top: error: unknown option '--bogus'"],
      [["-D", `${dataDir}/missing`, "--once"], `top: error: directory "${dataDir}/missing" does not exist`],
    ];
    for (const [args, line] of cases) {
      const r = await top(args);
      expect(r.code).toBe(1);
      const [first, second] = r.stderr.split("\n");
      expect(first).toBe(line);
      if (line.includes("does not exist")) expect(second).toBe("");
      else expect(second).toMatch(/^top: hint: /);
    }
  }, 60_000);

  test("the live dashboard without a terminal says to use --once or --json", async () => {
    const r = await top(["-D", dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("top: error: standard input and output must be a terminal");
  }, 30_000);

  test("--once and --json without a server print a frame / a valid snapshot and exit 3", async () => {
    const once = await top(["--once"], { PGDATA: dataDir });
    expect(once.code).toBe(3);
    expect(once.stdout).toContain(`no server  data directory ${dataDir}`);
    const json = await top(["-D", dataDir, "--json"]);
    expect(json.code).toBe(3);
    const snapshot = JSON.parse(json.stdout);
    expect(checkJsonSchema(TOP_SNAPSHOT_SCHEMA, snapshot)).toEqual([]);
    expect(snapshot).toMatchObject({ status: "no server", processes: [], dataDir });
  }, 30_000);
});
