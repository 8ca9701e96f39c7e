import { afterEach, describe, expect, test, vi } from "vitest";
import { Option } from "@commander-js/extra-typings";
import { dataDirectoryFrom, DENOGRES_VERSION, fatal, newProgram, runProgram, UsageError } from "./mod.ts";

/** Thrown by the stubbed Deno.exit so a test sees the exit status instead of the worker dying. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs `fn` with Deno.exit, stdout and stderr captured. */
async function captured(fn: () => unknown): Promise<{ code?: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(Deno, "exit").mockImplementation((code?: number) => {
    throw new Exit(code ?? 0);
  });
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => {
    err += a.join(" ") + "\n";
  });
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    out += a.join(" ") + "\n";
  });
  const writeSpy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    return true;
  });
  try {
    await fn();
    return { out, err };
  } catch (e) {
    if (e instanceof Exit) return { code: e.code, out, err };
    throw e;
  } finally {
    writeSpy.mockRestore();
    vi.restoreAllMocks();
  }
}

function demo(action: (dir: string | undefined, o: { username?: string }) => void = () => {}) {
  return newProgram("demo", "does a demonstration")
    .argument("[datadir]")
    .option("-U, --username <name>", "user name")
    .action(action);
}

afterEach(() => vi.restoreAllMocks());

describe("newProgram() and runProgram()", () => {
  test("--version prints the name, denogres's version and PostgreSQL compatibility, exit 0", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await captured(() => runProgram(demo(), [flag]));
      expect(r.code).toBe(0);
      expect(r.out).toBe(`demo (denogres) ${DENOGRES_VERSION}; PostgreSQL 15 compatible\n`);
    }
  });

  test("--help and -? print help on stdout, exit 0", async () => {
    for (const flag of ["--help", "-?"]) {
      const r = await captured(() => runProgram(demo(), [flag]));
      expect(r.code).toBe(0);
      expect(r.out).toContain("-U, --username <name>");
      expect(r.out).toContain("output version information, then exit");
      expect(r.err).toBe("");
    }
  });

  test("runs the action with the parsed arguments and does not exit", async () => {
    const seen: unknown[] = [];
    const r = await captured(() => runProgram(demo((d, o) => seen.push(d, o.username)), ["-U", "bob", "dir"]));
    expect(r.code).toBeUndefined();
    expect(seen).toEqual(["dir", "bob"]);
  });

  test("an unknown option is one error line plus the --help hint, exit 1", async () => {
    const r = await captured(() => runProgram(demo(), ["--bogus"]));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`demo: error: unknown option '--bogus'\ndemo: hint: Try "demo --help" for more information.\n`);
  });

  test("too many arguments are reported as PostgreSQL's tools report them", async () => {
    const r = await captured(() => runProgram(demo(), ["a", "b", "c"]));
    expect(r.code).toBe(1);
    expect(r.err.split("\n")[0]).toBe('demo: error: too many command-line arguments (first is "b")');
  });

  test("a missing option argument is one line without a trailing period", async () => {
    const r = await captured(() => runProgram(demo(), ["-U"]));
    expect(r.code).toBe(1);
    expect(r.err.split("\n")[0]).toMatch(/^demo: error: option '-U, --username <name>' argument missing$/);
  });

  test("a UsageError from the action prints its message and hint, exit 1", async () => {
    const r = await captured(() =>
      runProgram(
        demo(() => {
          throw new UsageError("no data directory specified", "Use -D.");
        }),
        [],
      )
    );
    expect(r.code).toBe(1);
    expect(r.err).toBe("demo: error: no data directory specified\ndemo: hint: Use -D.\n");
  });

  test("other errors from the action propagate", async () => {
    const boom = new Error("boom");
    await expect(captured(() =>
      runProgram(
        demo(() => {
          throw boom;
        }),
        [],
      )
    )).rejects.toBe(boom);
  });

  test("options added with their own help group still parse", async () => {
    const seen: unknown[] = [];
    const p = newProgram("demo", "x").addOption(new Option("-n, --no-clean", "keep").helpGroup("Less:")).action((
      o,
    ) => {
      seen.push(o.clean);
    });
    await captured(() => runProgram(p, ["-n"]));
    expect(seen).toEqual([false]);
  });
});

describe("fatal()", () => {
  test("prints prog: error: and an optional hint, then exits 1", async () => {
    const r = await captured(() => fatal("ctl", "could not read file", "Check it."));
    expect(r).toEqual({ code: 1, out: "", err: "ctl: error: could not read file\nctl: hint: Check it.\n" });
    const r2 = await captured(() => fatal("ctl", "no hint"));
    expect(r2.err).toBe("ctl: error: no hint\n");
  });
});

describe("dataDirectoryFrom()", () => {
  const saved = { PGDATA: Deno.env.get("PGDATA") };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  });

  test("prefers -D, then PGDATA", () => {
    Deno.env.set("PGDATA", "/from/env");
    expect(dataDirectoryFrom("/from/option", "hint")).toBe("/from/option");
    expect(dataDirectoryFrom(undefined, "hint")).toBe("/from/env");
  });

  test("throws a UsageError with the given hint when neither is set (or PGDATA is empty)", () => {
    Deno.env.delete("PGDATA");
    expect(() => dataDirectoryFrom(undefined, "Say where.")).toThrow(
      expect.objectContaining({ name: "UsageError", message: "no data directory specified", hint: "Say where." }),
    );
    Deno.env.set("PGDATA", "");
    expect(() => dataDirectoryFrom(undefined, "Say where.")).toThrow(UsageError);
  });
});
