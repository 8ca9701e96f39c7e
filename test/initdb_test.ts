/**
 * End-to-end tests of `initdb`: each runs the real bin/initdb executable (the
 * shell wrapper, its Deno permission flags, cmd/initdb.ts) as a user would,
 * in a temporary directory removed afterwards, and checks what it printed,
 * its exit status and what it left on disk.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadSettings } from "../lib/config/mod.ts";
import { readDatabases, readRoles } from "../lib/catalog/mod.ts";
import { parseScramVerifier, scramVerifyPlainPassword } from "../lib/auth/mod.ts";
import { readControlFile } from "../lib/wal/mod.ts";
import { DATA_SUBDIRECTORIES } from "../lib/initdb/mod.ts";

const INITDB = new URL("../bin/initdb", import.meta.url).pathname;
const PG_CONTROLDATA = "/usr/lib/postgresql/15/bin/pg_controldata";
const hasPgControldata = (() => {
  try {
    return Deno.statSync(PG_CONTROLDATA).isFile;
  } catch {
    return false;
  }
})();
// Each run starts a Deno process and writes a 16 MB WAL segment: allow for a slow, shared machine.
const TIMEOUT_MS = 60_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let tmp: string;

beforeAll(async () => {
  tmp = await Deno.makeTempDir({ prefix: "denogres-initdb-e2e-" });
});

afterAll(async () => {
  await Deno.remove(tmp, { recursive: true });
});

/** Runs bin/initdb with a clean environment (no PGDATA unless given) and optional standard input. */
async function initdb(args: string[], opts: { env?: Record<string, string>; stdin?: string; cwd?: string } = {}) {
  const env: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...opts.env };
  for (const k of ["HOME", "DENO_DIR", "USER"]) {
    const v = Deno.env.get(k);
    if (v !== undefined && env[k] === undefined) env[k] = v;
  }
  const child = new Deno.Command(INITDB, {
    args,
    env,
    clearEnv: true,
    cwd: opts.cwd ?? tmp,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) } satisfies Run;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function modeOf(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

/** Every path under dir, relative, sorted. */
function tree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${dir}/${prefix}`)) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    out.push(rel);
    if (e.isDirectory) out.push(...tree(dir, rel));
  }
  return out.sort();
}

async function osUser(): Promise<string> {
  const out = await new Deno.Command("id", { args: ["-un"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

describe("initdb on a new path", () => {
  let dir: string;
  let run: Run;

  beforeAll(async () => {
    dir = `${tmp}/new/cluster`;
    run = await initdb([dir]);
  }, TIMEOUT_MS);

  test("succeeds and prints PostgreSQL's progress and how to start the server", async () => {
    expect(run.stderr).toBe(
      'initdb: warning: enabling "trust" authentication for local connections\n' +
        "initdb: hint: You can change this by editing pg_hba.conf or using the option -A, or --auth-local and " +
        "--auth-host, the next time you run initdb.\n",
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `The files belonging to this database system will be owned by user "${await osUser()}".\n` +
        "This user must also own the server process.\n\n" +
        'The database cluster will be initialized with locale "C".\n' +
        'The default database encoding has been set to "UTF8".\n' +
        'The default text search configuration will be set to "english".\n\n' +
        "Data page checksums are enabled.\n\n" +
        `creating directory ${dir} ... ok\n` +
        "creating subdirectories ... ok\n" +
        "selecting dynamic shared memory implementation ... posix\n" +
        "selecting default max_connections ... 100\n" +
        "selecting default shared_buffers ... 128MB\n" +
        "selecting default time zone ... UTC\n" +
        "creating configuration files ... ok\n" +
        "running bootstrap script ... ok\n" +
        "performing post-bootstrap initialization ... ok\n" +
        "syncing data to disk ... ok\n\n\n" +
        "Success. You can now start the database server using:\n\n" +
        `    ctl -D ${dir} -l logfile start\n\n`,
    );
  });

  test("lays out PostgreSQL's data directory, everything owner-only (0700 folders, 0600 files)", () => {
    expect(modeOf(dir)).toBe(0o700);
    const paths = tree(dir);
    for (const { path } of DATA_SUBDIRECTORIES) expect(paths, path).toContain(path);
    for (
      const f of [
        "PG_VERSION",
        "postgresql.conf",
        "postgresql.auto.conf",
        "pg_hba.conf",
        "global/pg_control",
        "denogres_catalog/pg_authid.json",
        "denogres_catalog/pg_database.json",
        "pg_wal/000000010000000000000001",
        "pg_xact/0000",
      ]
    ) expect(paths, f).toContain(f);
    for (const p of paths) {
      const st = Deno.lstatSync(`${dir}/${p}`);
      expect(st.mode! & 0o777, p).toBe(st.isDirectory ? 0o700 : 0o600);
    }
    expect(Deno.readTextFileSync(`${dir}/PG_VERSION`)).toBe("15\n");
    expect(Deno.statSync(`${dir}/pg_wal/000000010000000000000001`).size).toBe(16 * 1024 * 1024);
  });

  test("has the three databases of PostgreSQL (oids 1, 4, 5) with folders, and the OS user as superuser", async () => {
    const dbs = await readDatabases(dir);
    expect(dbs.map((d) => [d.oid, d.name])).toEqual([[1, "template1"], [4, "template0"], [5, "postgres"]]);
    for (const d of dbs) expect(Deno.statSync(`${dir}/base/${d.oid}`).isDirectory).toBe(true);
    const roles = await readRoles(dir);
    expect(roles).toEqual([{ oid: 10, name: await osUser(), superuser: true, canLogin: true, password: null }]);
  });

  test("writes a postgresql.conf the server loads, with initdb's values set", async () => {
    const s = await loadSettings(dir);
    expect(s.setting("max_connections")).toMatchObject({ value: 100, source: "file" });
    expect(s.setting("shared_buffers")).toMatchObject({ value: 16384, source: "file" });
    expect(s.setting("port")).toMatchObject({ value: 5432, source: "default" });
    const conf = Deno.readTextFileSync(`${dir}/postgresql.conf`);
    expect(conf).toMatch(/^#port = 5432 /m);
    expect(conf).toMatch(/^max_connections = 100 /m);
    expect(Deno.readTextFileSync(`${dir}/postgresql.auto.conf`)).toBe(
      "# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n",
    );
  });

  test("writes pg_hba.conf with trust for local and loopback host connections", () => {
    const records = Deno.readTextFileSync(`${dir}/pg_hba.conf`).split("\n").filter((l) => /^[a-z]/.test(l));
    expect(records.map((l) => l.split(/\s+/))).toEqual([
      ["local", "all", "all", "trust"],
      ["host", "all", "all", "127.0.0.1/32", "trust"],
      ["host", "all", "all", "::1/128", "trust"],
    ]);
  });

  test("writes a pg_control with a valid CRC: shut down, at the first checkpoint", () => {
    const cf = readControlFile(dir);
    expect(cf.state).toBe("shut down");
    expect(cf.checkPoint).toBe(0x1000028n);
    expect(cf.systemIdentifier).toBeGreaterThan(0n);
    expect(cf.dataChecksumVersion).toBe(1);
  });

  test.skipIf(!hasPgControldata)("writes a pg_control and WAL that PostgreSQL 15's pg_controldata reads", async () => {
    const out = await new Deno.Command(PG_CONTROLDATA, { args: ["-D", dir], stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout);
    expect(new TextDecoder().decode(out.stderr)).toBe("");
    expect(out.code).toBe(0);
    expect(text).toMatch(/^Database cluster state:\s+shut down$/m);
    expect(text).toMatch(/^Latest checkpoint location:\s+0\/1000028$/m);
    expect(text).toMatch(/^Bytes per WAL segment:\s+16777216$/m);
    expect(text).toMatch(new RegExp(`^Database system identifier:\\s+${readControlFile(dir).systemIdentifier}$`, "m"));
  });

  test("run again on the same path: exit 1, PostgreSQL's message and hint, nothing touched", async () => {
    const before = tree(dir);
    const again = await initdb([dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `initdb: error: directory "${dir}" exists but is not empty\n` +
        `initdb: hint: If you want to create a new database system, either remove or empty the directory "${dir}" ` +
        `or run initdb with an argument other than "${dir}".\n`,
    );
    expect(tree(dir)).toEqual(before);
  }, TIMEOUT_MS);
});

describe("initdb without a data directory", () => {
  test("with no directory and no PGDATA: exit 1 with PostgreSQL's message and hint, nothing written", async () => {
    const r = await initdb([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "initdb: error: no data directory specified\n" +
        "initdb: hint: You must identify the directory where the data for this database system will reside.  " +
        "Do this with either the invocation option -D or the environment variable PGDATA.\n",
    );
  }, TIMEOUT_MS);

  test("uses PGDATA when no directory is given", async () => {
    const dir = `${tmp}/from-pgdata`;
    const r = await initdb(["-N", "--no-instructions"], { env: { PGDATA: dir } });
    expect(r.code).toBe(0);
    expect(exists(`${dir}/global/pg_control`)).toBe(true);
    expect(r.stdout).not.toContain("Success.");
    expect(r.stdout).toContain("Sync to disk skipped.\nThe data directory might become corrupt");
  }, TIMEOUT_MS);
});

describe("initdb on a path it cannot create", () => {
  test("through a regular file: exit 1, one clear error, nothing left behind", async () => {
    Deno.writeTextFileSync(`${tmp}/plain-file`, "");
    const r = await initdb([`${tmp}/plain-file/data`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`initdb: error: could not access directory "${tmp}/plain-file/data": Not a directory\n`);
    expect(Deno.readTextFileSync(`${tmp}/plain-file`)).toBe("");
  }, TIMEOUT_MS);

  test("under /proc (refused by Deno): exit 1, PostgreSQL's message and a detail, nothing made", async () => {
    const r = await initdb(["/proc/denogres-initdb-test"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'initdb: error: could not access directory "/proc/denogres-initdb-test": Permission denied\n' +
        "initdb: detail: Deno, which denogres runs on, refuses access to paths under /dev, /proc and /sys.\n",
    );
    expect(r.stdout).not.toContain("creating directory");
  }, TIMEOUT_MS);

  test("whose last name is too long: exit 1, and the parent it made is removed again", async () => {
    const dir = `${tmp}/made-parent/${"x".repeat(300)}`;
    const r = await initdb([dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`initdb: error: could not create directory "${dir}": File name too long\n`);
    expect(exists(`${tmp}/made-parent`)).toBe(false);
  }, TIMEOUT_MS);
});

/** A data directory path of about 4080 bytes: it can be created, but its subfolders exceed PATH_MAX. */
function nearPathMax(top: string): string {
  let p = top;
  while (p.length < 4080 - 10) p += `/${"d".repeat(Math.min(200, 4080 - p.length - 1))}`;
  return p;
}

describe("initdb failing part-way", () => {
  test("removes the data directory and every parent it made, printing PostgreSQL's message", async () => {
    const dir = nearPathMax(`${tmp}/deep`);
    const r = await initdb([dir]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^initdb: error: could not create directory ".*\/pg_wal\/archive_status": File name too long$/,
    );
    expect(lines[1]).toBe(`initdb: removing data directory "${dir}"`);
    expect(r.stdout).toContain(`creating directory ${dir} ... ok\ncreating subdirectories ... `);
    expect(exists(`${tmp}/deep`)).toBe(false);
  }, TIMEOUT_MS);

  test("keeps an existing empty directory it was given, emptied, after fixing its permissions", async () => {
    const dir = nearPathMax(`${tmp}/keep`);
    Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const r = await initdb([dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`fixing permissions on existing directory ${dir} ... ok\n`);
    expect(r.stderr).toContain(`initdb: removing contents of data directory "${dir}"\n`);
    expect([...Deno.readDirSync(dir)]).toEqual([]);
    expect(modeOf(dir)).toBe(0o700);
  }, TIMEOUT_MS);

  test("with -n leaves everything in place and says so", async () => {
    const dir = nearPathMax(`${tmp}/noclean`);
    const r = await initdb(["-n", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`initdb: data directory "${dir}" not removed at user's request\n`);
    expect(exists(`${dir}/global`)).toBe(true);
  }, TIMEOUT_MS);
});

describe("initdb on an existing empty directory", () => {
  test("fixes its permissions to 0700 and uses it", async () => {
    const dir = `${tmp}/empty-existing`;
    Deno.mkdirSync(dir, { mode: 0o755 });
    Deno.chmodSync(dir, 0o755);
    const r = await initdb(["-N", "-A", "trust", dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`fixing permissions on existing directory ${dir} ... ok\n`);
    expect(modeOf(dir)).toBe(0o700);
    expect(exists(`${dir}/global/pg_control`)).toBe(true);
  }, TIMEOUT_MS);
});

describe("initdb with a superuser password", () => {
  const password = "correct horse battery staple";

  test("--pwfile stores a SCRAM-SHA-256 verifier of the password, never the password", async () => {
    const pwfile = `${tmp}/pw.txt`;
    Deno.writeTextFileSync(pwfile, `${password}\n`);
    const dir = `${tmp}/with-pwfile`;
    const r = await initdb(["-N", "-U", "alice", "-A", "scram-sha-256", `--pwfile=${pwfile}`, dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const [role] = await readRoles(dir);
    expect(role.name).toBe("alice");
    expect(role.password).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    const verifier = parseScramVerifier(role.password!)!;
    expect(scramVerifyPlainPassword(password, verifier)).toBe(true);
    expect(scramVerifyPlainPassword("wrong", verifier)).toBe(false);
    for (const p of tree(dir)) {
      if (Deno.statSync(`${dir}/${p}`).isFile) {
        expect(new TextDecoder("latin1").decode(Deno.readFileSync(`${dir}/${p}`)), p).not.toContain(password);
      }
    }
    expect(r.stdout + r.stderr).not.toContain(password);
    const hba = Deno.readTextFileSync(`${dir}/pg_hba.conf`);
    expect(hba).toMatch(/^local\s+all\s+all\s+scram-sha-256$/m);
    expect(hba).not.toContain("CAUTION");
  }, TIMEOUT_MS);

  test("-W reads the password twice from standard input when it is not a terminal", async () => {
    const dir = `${tmp}/with-prompt`;
    const r = await initdb(["-N", "-W", dir], { stdin: `${password}\n${password}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Enter new superuser password: ");
    const [role] = await readRoles(dir);
    expect(scramVerifyPlainPassword(password, parseScramVerifier(role.password!)!)).toBe(true);
  }, TIMEOUT_MS);

  test("-W with two different passwords fails before creating anything", async () => {
    const dir = `${tmp}/prompt-mismatch`;
    const r = await initdb(["-W", dir], { stdin: "one\ntwo\n" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("initdb: error: passwords didn't match\n");
    expect(exists(dir)).toBe(false);
  }, TIMEOUT_MS);

  test("a password method without a password is refused before anything is written", async () => {
    const dir = `${tmp}/md5-no-password`;
    const r = await initdb(["-A", "md5", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe(
      "initdb: error: must specify a password for the superuser to enable password authentication",
    );
    expect(exists(dir)).toBe(false);
  }, TIMEOUT_MS);

  test("a signal while waiting for the password ends initdb at once, with nothing made", async () => {
    const dir = `${tmp}/signalled`;
    const env: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
    for (const k of ["HOME", "DENO_DIR"]) if (Deno.env.get(k) !== undefined) env[k] = Deno.env.get(k)!;
    const child = new Deno.Command(INITDB, {
      args: ["-W", dir],
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    let seen = "";
    while (!seen.includes("Enter new superuser password")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    child.kill("SIGTERM");
    reader.releaseLock();
    const out = await child.output();
    expect(out.code).toBe(1);
    expect(new TextDecoder().decode(out.stderr)).toBe("initdb: error: caught signal\n");
    expect(exists(dir)).toBe(false);
  }, TIMEOUT_MS);
});

describe("initdb options", () => {
  test("--wal-segsize sets the segment size of the WAL and of pg_control", async () => {
    const dir = `${tmp}/walseg64`;
    const r = await initdb(["-N", "--wal-segsize=64", dir]);
    expect(r.code).toBe(0);
    expect(Deno.statSync(`${dir}/pg_wal/000000010000000000000001`).size).toBe(64 * 1024 * 1024);
    expect(readControlFile(dir).xlogSegSize).toBe(64 * 1024 * 1024);
    expect(Deno.readTextFileSync(`${dir}/postgresql.conf`)).toMatch(/^max_wal_size = 4GB /m);
  }, TIMEOUT_MS);

  test(
    "--auth-local and --auth-host set their records separately; -k, -E UTF8 and --no-locale are accepted",
    async () => {
      const dir = `${tmp}/auth-split`;
      const r = await initdb([
        "-N",
        "-k",
        "-E",
        "UTF8",
        "--no-locale",
        "--auth-local=reject",
        "--auth-host=trust",
        dir,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain("The default database encoding");
      expect(r.stdout).toContain("Data page checksums are enabled.");
      const records = Deno.readTextFileSync(`${dir}/pg_hba.conf`).split("\n").filter((l) => /^[a-z]/.test(l));
      expect(records.map((l) => l.split(/\s+/).at(-1))).toEqual(["reject", "trust", "trust"]);
    },
    TIMEOUT_MS,
  );

  test("refuses another encoding or locale clearly, exit 1, nothing created", async () => {
    const dir = `${tmp}/latin1`;
    const enc = await initdb(["-E", "LATIN1", dir]);
    expect(enc.code).toBe(1);
    expect(enc.stderr.split("\n")[0]).toBe('initdb: error: encoding "LATIN1" is not supported');
    const loc = await initdb(["--locale=de_DE.UTF-8", dir]);
    expect(loc.code).toBe(1);
    expect(loc.stderr.split("\n")[0]).toBe('initdb: error: locale "de_DE.UTF-8" is not supported');
    expect(exists(dir)).toBe(false);
  }, TIMEOUT_MS);

  test("--help prints PostgreSQL-style usage and exits 0", async () => {
    const r = await initdb(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(
      /^initdb initializes a denogres database cluster\.\n\nUsage:\n {2}initdb \[OPTION\]\.\.\. \[DATADIR\]\n/,
    );
    for (
      const opt of [
        "-A, --auth=METHOD",
        "-D, --pgdata=DATADIR",
        "-U, --username=NAME",
        "--pwfile=FILE",
        "-N, --no-sync",
      ]
    ) {
      expect(r.stdout).toContain(opt);
    }
    expect(r.stdout).toContain("If the data directory is not specified, the environment variable PGDATA\nis used.\n");
  }, TIMEOUT_MS);

  test("--version and -V print the version and exit 0", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await initdb([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("initdb (denogres) 0.1.0; PostgreSQL 15 compatible\n");
    }
  }, TIMEOUT_MS);

  test("a usage error is one line plus a hint, exit 1", async () => {
    const bad = await initdb(["--bogus"]);
    expect(bad).toEqual({
      code: 1,
      stdout: "",
      stderr: `initdb: error: unknown option '--bogus'\ninitdb: hint: Try "initdb --help" for more information.\n`,
    });
    const many = await initdb(["a", "b"]);
    expect(many.code).toBe(1);
    expect(many.stderr).toBe(
      `initdb: error: too many command-line arguments (first is "b")\ninitdb: hint: Try "initdb --help" for more information.\n`,
    );
    const method = await initdb(["-A", "peer", "x"]);
    expect(method.code).toBe(1);
    expect(method.stderr.split("\n")).toHaveLength(3);
    expect(method.stderr).toMatch(
      /^initdb: error: invalid authentication method "peer" for "local" connections\ninitdb: hint: /,
    );
  }, TIMEOUT_MS);
});
