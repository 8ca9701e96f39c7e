/**
 * End-to-end: the backend side of issue 6 with the real clients (psql,
 * pgbench, node-postgres) against the real server (test/helpers/cluster.ts:
 * real initdb, postmaster, spare backends) — startup, authentication,
 * simple and extended query, cancel, limits.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import pg from "pg";
import { CATALOG_DIR } from "../lib/catalog/mod.ts";
import { readProcStat } from "../lib/ffi/procfs.ts";
import { attachShmemSegment, procArraySnapshot, type ShmemSegment } from "../lib/shmem/mod.ts";
import { type Cluster, readPidFileLines, sendCancelRequest, startCluster, waitFor } from "./helpers/cluster.ts";

const PORT = 21011;
let h: Cluster;
let seg: ShmemSegment;

beforeAll(async () => {
  h = await startCluster({ port: PORT, conf: { max_connections: "8", superuser_reserved_connections: "2" } });
  seg = attachShmemSegment(readPidFileLines(h.dataDir)![6].trim(), { readOnly: true });
}, 120_000);

afterAll(async () => {
  seg?.detach();
  await h?.destroy();
});

/** Waits until no client backend holds a process-array slot. */
async function waitNoSessions(): Promise<void> {
  await waitFor(
    () => procArraySnapshot(seg).every((s) => s.backendType !== "client backend"),
    30_000,
    "all sessions to end",
  );
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped", stdin: "null" }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

function psql(args: string[], env: Record<string, string> = {}) {
  return run("psql", ["-X", "-A", "-t", "-U", "postgres", "-d", "postgres", ...args], env);
}

function client(opts: Partial<pg.ClientConfig> = {}): pg.Client {
  return new pg.Client({ host: "127.0.0.1", port: PORT, user: "postgres", database: "postgres", ...opts });
}

/**
 * Replaces pg_hba.conf and reloads, as PostgreSQL needs: the postmaster reloads it on SIGHUP, and connections
 * accepted after its "received SIGHUP" line are authenticated against the new file (lib/tcop/auth_cache.ts).
 */
async function writeHba(text: string): Promise<void> {
  await Deno.writeTextFile(`${h.dataDir}/pg_hba.conf`, text);
  const reloads = () => h.log().split("received SIGHUP, reloading configuration files").length;
  const before = reloads();
  Deno.kill(h.pid, "SIGHUP");
  await waitFor(() => reloads() > before, 30_000, "the postmaster to reload");
}

function parentPid(pid: number): number | undefined {
  return readProcStat(pid)?.parentPid;
}

describe("psql", () => {
  test("runs select 1 over TCP and over the Unix socket", async () => {
    const tcp = await psql(["-h", "127.0.0.1", "-p", String(PORT), "-c", "select 1"]);
    expect([tcp.code, tcp.out.trim(), tcp.err]).toEqual([0, "1", ""]);
    const unix = await psql(["-h", h.socketDir, "-p", String(PORT), "-c", "select 1"]);
    expect([unix.code, unix.out.trim(), unix.err]).toEqual([0, "1", ""]);
  }, 60_000);

  test("two sessions have different backend pids, each a child of the postmaster", async () => {
    const a = client(), b = client();
    await a.connect();
    await b.connect();
    const pa = (await a.query("select pg_backend_pid() as p")).rows[0].p;
    const pb = (await b.query("select pg_backend_pid() as p")).rows[0].p;
    expect(pa).not.toBe(pb);
    expect(parentPid(pa)).toBe(h.pid);
    expect(parentPid(pb)).toBe(h.pid);
    await a.end();
    await b.end();
  }, 60_000);
});

describe("node-postgres", () => {
  test("runs parameterised and prepared queries with text and binary results", async () => {
    const c = client();
    await c.connect();
    expect((await c.query("SELECT $1::int + 1 AS r", [41])).rows).toEqual([{ r: 42 }]);
    for (const v of [1, 2]) {
      const r = await c.query({ name: "p", text: "SELECT $1::int8 * 2 AS r, $2::text AS t", values: [v, "x"] });
      expect(r.rows).toEqual([{ r: String(2 * v), t: "x" }]);
    }
    const bin = await c.query(
      { text: "SELECT 7::int4 AS a, true AS b, 1.5::float8 AS c", binary: true } as pg.QueryConfig,
    );
    expect(bin.rows[0].a).toBeDefined();
    const e = await c.query("SELECT $1", ["x"]).catch((x) => x);
    expect([e.code, e.message]).toEqual(["42P18", "could not determine data type of parameter $1"]);
    expect((await c.query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]);
    await c.end();
  }, 60_000);

  test("errors keep the session usable and a failed block answers 25P02 until ROLLBACK", async () => {
    const c = client();
    await c.connect();
    await c.query("BEGIN");
    const e1 = await c.query("SELECT 1/0").catch((x) => x);
    expect(e1.code).toBe("22012");
    const e2 = await c.query("SELECT 1").catch((x) => x);
    expect([e2.code, e2.message]).toEqual([
      "25P02",
      "current transaction is aborted, commands ignored until end of transaction block",
    ]);
    await c.query("ROLLBACK");
    expect((await c.query("SELECT 2 AS ok")).rows).toEqual([{ ok: 2 }]);
    await c.end();
  }, 60_000);
});

describe("pgbench", () => {
  const script = Deno.makeTempFileSync({ suffix: ".sql" });
  Deno.writeTextFileSync(script, "SELECT 1;\n");
  afterAll(() => Deno.removeSync(script));
  for (const mode of ["simple", "extended", "prepared"]) {
    test(`-M ${mode}: 8 clients for 5 s without a failed transaction`, async () => {
      const r = await run("pgbench", [
        "-h",
        "127.0.0.1",
        "-p",
        String(PORT),
        "-U",
        "postgres",
        "-n",
        "-f",
        script,
        "-c",
        "8",
        "-T",
        "5",
        "-M",
        mode,
        "postgres",
      ]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/number of failed transactions: 0 \(0\.000%\)/);
    }, 120_000);
  }
  test("-C: a new connection per transaction", async () => {
    const r = await run("pgbench", [
      "-h",
      "127.0.0.1",
      "-p",
      String(PORT),
      "-U",
      "postgres",
      "-n",
      "-f",
      script,
      "-c",
      "8",
      "-T",
      "5",
      "-C",
      "postgres",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/number of failed transactions: 0 \(0\.000%\)/);
    await waitNoSessions();
  }, 120_000);
});

describe("limits", () => {
  test("a client over max_connections gets 53300 while the others keep working", async () => {
    const open: pg.Client[] = [];
    for (let i = 0; i < 8; i++) {
      const c = client();
      await c.connect();
      open.push(c);
    }
    const extra = client();
    const e = await extra.connect().catch((x) => x);
    expect([e.code, e.message]).toEqual(["53300", "sorry, too many clients already"]);
    for (const c of open) expect((await c.query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]);
    await Promise.all(open.map((c) => c.end()));
    await waitNoSessions();
  }, 120_000);

  test("superuser_reserved_connections refuses non-superusers with PostgreSQL 15's message", async () => {
    const path = `${h.dataDir}/${CATALOG_DIR}/pg_authid.json`;
    const doc = JSON.parse(await Deno.readTextFile(path));
    if (!doc.roles.some((r: { name: string }) => r.name === "alice")) {
      doc.roles.push({ oid: 16384, name: "alice", superuser: false, canLogin: true, password: null });
      await Deno.writeTextFile(path, JSON.stringify(doc));
    }
    const open: pg.Client[] = [];
    for (let i = 0; i < 6; i++) {
      const c = client();
      await c.connect();
      open.push(c);
    }
    const e = await client({ user: "alice" }).connect().catch((x) => x);
    expect([e.code, e.message]).toEqual([
      "53300",
      "remaining connection slots are reserved for non-replication superuser connections",
    ]);
    const su = client();
    await su.connect();
    open.push(su);
    await Promise.all(open.map((c) => c.end()));
    await waitNoSessions();
  }, 120_000);
});

describe("cancel and terminate", () => {
  test("SELECT pg_sleep(30) is cancelled by a real CancelRequest and the session stays usable", async () => {
    const c = client();
    await c.connect();
    const t0 = performance.now();
    const sleeping = c.query("SELECT pg_sleep(30)").catch((x) => x);
    const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
    // Wait until the backend shows the sleep in pg_stat_activity (wait event PgSleep).
    for (let i = 0; i < 200; i++) {
      const s = procArraySnapshot(seg).find((p) => p.pid === processID);
      if (s?.waitEvent === "PgSleep") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await sendCancelRequest(PORT, processID, secretKey);
    const e = await sleeping;
    expect([e.code, e.message]).toEqual(["57014", "canceling statement due to user request"]);
    expect(performance.now() - t0).toBeLessThan(25_000);
    expect((await c.query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]);
    await c.end();
  }, 60_000);

  test("pg_terminate_backend ends another session with FATAL 57P01", async () => {
    const victim = client();
    await victim.connect();
    const ended = new Promise<Error>((resolve) => victim.on("error", resolve));
    const pid = (victim as unknown as { processID: number }).processID;
    const killer = client();
    await killer.connect();
    expect((await killer.query("SELECT pg_terminate_backend($1::int) AS ok", [pid])).rows).toEqual([{ ok: true }]);
    const e = await ended;
    expect((e as { code?: string }).code).toBe("57P01");
    await killer.end();
  }, 60_000);
});

describe("authentication", () => {
  test("scram-sha-256: the right password connects, a wrong one gets 28P01; a reject line refuses", async () => {
    const set = await psql(["-h", h.socketDir, "-p", String(PORT), "-c", "alter role postgres password 'sekret'"]);
    expect(set.code).toBe(0);
    await writeHba("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n");
    const ok = await psql(["-h", "127.0.0.1", "-p", String(PORT), "-c", "select 'in'"], { PGPASSWORD: "sekret" });
    expect([ok.code, ok.out.trim()]).toEqual([0, "in"]);
    const bad = client({ password: "wrong" });
    const e = await bad.connect().catch((x) => x);
    expect([e.code, e.message]).toEqual(["28P01", 'password authentication failed for user "postgres"']);
    await writeHba("local all all trust\nhost all all 127.0.0.1/32 reject\n");
    const rej = await client({ password: "sekret" }).connect().catch((x) => x);
    expect([rej.code, rej.message]).toEqual([
      "28000",
      'pg_hba.conf rejects connection for host "127.0.0.1", user "postgres", database "postgres", no encryption',
    ]);
    await writeHba("local all all trust\nhost all all 127.0.0.1/32 trust\n");
  }, 60_000);
});
