import { afterEach, describe, expect, test } from "vitest";
import { UsageError } from "../cli/mod.ts";
import { canonicalizePath, type InitdbRawOptions, resolveInitdbOptions } from "./options.ts";

const base: InitdbRawOptions = { clean: true, sync: true, instructions: true };
const savedPgdata = Deno.env.get("PGDATA");

afterEach(() => {
  if (savedPgdata === undefined) Deno.env.delete("PGDATA");
  else Deno.env.set("PGDATA", savedPgdata);
});

function usageError(positional: string | undefined, raw: Partial<InitdbRawOptions>): UsageError {
  try {
    resolveInitdbOptions(positional, { ...base, ...raw });
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error("expected a UsageError");
}

describe("resolveInitdbOptions()", () => {
  test("defaults to trust for local and host connections, with PostgreSQL's warning", () => {
    const o = resolveInitdbOptions("data", base);
    expect(o).toMatchObject({ authLocal: "trust", authHost: "trust", authWarning: true });
    expect(o).toMatchObject({ noSync: false, noClean: false, noInstructions: false, pwprompt: false });
    expect(o.walSegmentSizeBytes).toBe(16 * 1024 * 1024);
    expect(o.superuser).toBeUndefined();
  });

  test("-A sets both methods and silences the warning; --auth-local/--auth-host override it", () => {
    expect(resolveInitdbOptions("d", { ...base, auth: "trust" })).toMatchObject({
      authLocal: "trust",
      authHost: "trust",
      authWarning: false,
    });
    expect(resolveInitdbOptions("d", { ...base, auth: "reject", authHost: "trust" })).toMatchObject({
      authLocal: "reject",
      authHost: "trust",
      authWarning: false,
    });
    expect(resolveInitdbOptions("d", { ...base, authLocal: "reject" })).toMatchObject({
      authLocal: "reject",
      authHost: "trust",
      authWarning: true,
    });
  });

  test("refuses an authentication method denogres does not implement, naming the connection type", () => {
    expect(usageError("d", { authLocal: "peer" }).message).toBe(
      'invalid authentication method "peer" for "local" connections',
    );
    expect(usageError("d", { authHost: "ident" }).message).toBe(
      'invalid authentication method "ident" for "host" connections',
    );
  });

  test("requires a password when both local and host connections need one", () => {
    expect(usageError("d", { auth: "scram-sha-256" }).message).toBe(
      "must specify a password for the superuser to enable password authentication",
    );
    expect(resolveInitdbOptions("d", { ...base, auth: "md5", pwfile: "/pw" }).pwfile).toBe("/pw");
    expect(resolveInitdbOptions("d", { ...base, auth: "password", pwprompt: true }).pwprompt).toBe(true);
    expect(resolveInitdbOptions("d", { ...base, authLocal: "scram-sha-256" }).authHost).toBe("trust");
  });

  test("refuses -W together with --pwfile", () => {
    expect(usageError("d", { pwprompt: true, pwfile: "f" }).message).toBe(
      "password prompt and password file cannot be specified together",
    );
  });

  test("accepts --wal-segsize powers of two from 1 to 1024 MB only", () => {
    expect(resolveInitdbOptions("d", { ...base, walSegsize: "1" }).walSegmentSizeBytes).toBe(1 << 20);
    expect(resolveInitdbOptions("d", { ...base, walSegsize: "1024" }).walSegmentSizeBytes).toBe(1 << 30);
    for (const bad of ["0", "3", "2048", "-16"]) {
      expect(usageError("d", { walSegsize: bad }).message).toMatch(/^argument of --wal-segsize must be a/);
    }
    expect(usageError("d", { walSegsize: "16MB" }).message).toBe("argument of --wal-segsize must be a number");
  });

  test("accepts UTF8 under any of its spellings and refuses other encodings clearly", () => {
    for (const e of ["UTF8", "utf-8", "Unicode"]) {
      expect(resolveInitdbOptions("d", { ...base, encoding: e }).encodingGiven).toBe(true);
    }
    const latin1 = usageError("d", { encoding: "LATIN1" });
    expect(latin1.message).toBe('encoding "LATIN1" is not supported');
    expect(latin1.hint).toContain("UTF8");
    expect(usageError("d", { encoding: "KLINGON" }).message).toBe('"KLINGON" is not a valid server encoding name');
  });

  test("accepts the C locale (also as POSIX or --no-locale) and refuses others", () => {
    for (const locale of ["C", "POSIX", false] as const) {
      expect(() => resolveInitdbOptions("d", { ...base, locale })).not.toThrow();
    }
    expect(usageError("d", { locale: "en_US.UTF-8" }).message).toBe('locale "en_US.UTF-8" is not supported');
  });

  test("refuses a superuser name starting with pg_, and treats an empty -U as the default", () => {
    expect(usageError("d", { username: "pg_admin" }).message).toBe(
      'superuser name "pg_admin" is disallowed; role names cannot begin with "pg_"',
    );
    expect(resolveInitdbOptions("d", { ...base, username: "" }).superuser).toBeUndefined();
    expect(resolveInitdbOptions("d", { ...base, username: "alice" }).superuser).toBe("alice");
  });

  test("takes the data directory from -D, the argument, or PGDATA, in that order", () => {
    Deno.env.set("PGDATA", "/env/dir");
    expect(resolveInitdbOptions(undefined, { ...base, pgdata: "/opt/d" }).dataDir).toBe("/opt/d");
    expect(resolveInitdbOptions("./arg/", base)).toMatchObject({ dataDir: "arg", dataDirAsGiven: "./arg/" });
    expect(resolveInitdbOptions(undefined, base).dataDir).toBe("/env/dir");
  });

  test("refuses -D together with a directory argument", () => {
    expect(usageError("two", { pgdata: "one" }).message).toBe('too many command-line arguments (first is "two")');
  });

  test("without -D, argument or PGDATA, fails with PostgreSQL's message and hint", () => {
    Deno.env.delete("PGDATA");
    const e = usageError(undefined, {});
    expect(e.message).toBe("no data directory specified");
    expect(e.hint).toBe(
      "You must identify the directory where the data for this database system will reside.  " +
        "Do this with either the invocation option -D or the environment variable PGDATA.",
    );
  });

  test("maps -n, -N and --no-instructions", () => {
    expect(resolveInitdbOptions("d", { clean: false, sync: false, instructions: false })).toMatchObject({
      noClean: true,
      noSync: true,
      noInstructions: true,
    });
  });
});

describe("canonicalizePath()", () => {
  test("resolves . and .., drops doubled and trailing slashes, keeps the root", () => {
    expect(canonicalizePath("./data")).toBe("data");
    expect(canonicalizePath("a//b/../c/")).toBe("a/c");
    expect(canonicalizePath("/srv/pg/")).toBe("/srv/pg");
    expect(canonicalizePath("/")).toBe("/");
    expect(canonicalizePath("../x")).toBe("../x");
  });
});
