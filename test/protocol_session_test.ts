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
import { fe, hexBytes, rawExchange } from "./helpers/raw_protocol.ts";

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
    // Binary results, decoded by node-postgres's binary parsers (it reads every column as UTF-8 text first, so the
    // values are picked with encodings below 0x80; the exact bytes of every type are checked in "wire messages").
    const bin = await c.query({
      text: "SELECT $1::int2 AS i2, 2::int4 AS i4, 7::int8 AS i8, true AS b, false AS b2, 2.5::float4 AS f4, " +
        "2.25::float8 AS f8, 'txt'::text AS t, 'vc'::varchar AS vc, 12.345::numeric AS n, " +
        "'2000-01-01 00:00:01+00'::timestamptz AS ts, 16384::oid AS o, 'nm'::name AS nm, NULL::int4 AS nul",
      values: [1],
      binary: true,
    } as pg.QueryConfig);
    expect(bin.fields.map((f) => [f.dataTypeID, f.format])).toEqual(
      [21, 23, 20, 16, 16, 700, 701, 25, 1043, 1700, 1184, 26, 19, 23].map((t) => [t, "binary"]),
    );
    expect(bin.rows).toEqual([{
      i2: 1,
      i4: 2,
      i8: "7",
      b: true,
      b2: false,
      f4: 2.5,
      f8: 2.25,
      t: "txt",
      vc: "vc",
      n: 12.345,
      ts: new Date("2000-01-01T00:00:01.000Z"),
      o: 16384,
      nm: "nm",
      nul: null,
    }]);
    // A parameter of unknown type output as such is text (PostgreSQL 15: resolveTargetListUnknowns).
    expect((await c.query("SELECT $1", ["x"])).rows).toEqual([{ "?column?": "x" }]);
    const e = await c.query("SELECT pg_typeof($1)", ["x"]).catch((x) => x);
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

/** Transcripts below are what PostgreSQL 15 answers to the same messages (captured with /work/shared/tools/pgref). */
describe("wire messages as PostgreSQL 15", () => {
  const x = (...m: Uint8Array[]) => rawExchange(PORT, m);

  test("a row limit equal to the rows left suspends the portal; the next Execute completes it", async () => {
    expect(
      await x(
        fe.parse("", "select 1"),
        fe.bind("", "", [], []),
        fe.execute("", 1),
        fe.execute("", 1),
        fe.execute("", 1),
        fe.sync(),
        fe.parse("", "show work_mem"),
        fe.bind("", "", [], []),
        fe.execute("", 1),
        fe.execute("", 0),
        fe.sync(),
        fe.parse("", "select 1"),
        fe.bind("", "", [], []),
        fe.execute("", 2),
        fe.sync(),
        fe.parse("", "set work_mem = '4MB'"),
        fe.bind("", "", [], []),
        fe.execute("", 1),
        fe.execute("", 1),
        fe.sync(),
      ),
    ).toEqual([
      "ParseComplete",
      "BindComplete",
      "DataRow 1",
      "PortalSuspended",
      "CommandComplete SELECT 0",
      "CommandComplete SELECT 0",
      "ReadyForQuery I",
      "ParseComplete",
      "BindComplete",
      "DataRow 4MB",
      "PortalSuspended",
      "CommandComplete SHOW",
      "ReadyForQuery I",
      "ParseComplete",
      "BindComplete",
      "DataRow 1",
      "CommandComplete SELECT 1",
      "ReadyForQuery I",
      "ParseComplete",
      "BindComplete",
      "CommandComplete SET",
      'ErrorResponse 55000 portal "" cannot be run',
      "ReadyForQuery I",
    ]);
  }, 60_000);

  test("a simple query has no parameters (42P02); a Parse types an unknown output parameter text", async () => {
    expect(
      await x(
        fe.query("select $1"),
        fe.query("select 1, $2::int"),
        fe.parse("", "select $1"),
        fe.describe("S", ""),
        fe.bind("", "", [], ["x"]),
        fe.execute(""),
        fe.sync(),
        fe.parse("", "select $1 where $1 = 1"),
        fe.sync(),
      ),
    ).toEqual([
      "ErrorResponse 42P02 there is no parameter $1 @8",
      "ReadyForQuery I",
      "ErrorResponse 42P02 there is no parameter $2 @11",
      "ReadyForQuery I",
      "ParseComplete",
      "ParameterDescription 25",
      "RowDescription ?column?:25:f0",
      "BindComplete",
      "DataRow x",
      "CommandComplete SELECT 1",
      "ReadyForQuery I",
      "ErrorResponse 42P08 inconsistent types deduced for parameter $1 @8",
      "ReadyForQuery I",
    ]);
  }, 60_000);

  test("binary Bind parameters: too few bytes are 08P01, too many 22P03, with the parameter as context", async () => {
    expect(
      await x(
        fe.parse("", "select $1", [23]),
        fe.bind("", "", [1], [hexBytes("0001")]),
        fe.sync(),
        fe.bind("p", "", [1], [hexBytes("0000000102")]),
        fe.sync(),
        fe.parse("", "select $1, $2", [16, 1700]),
        fe.bind("", "", [1], [hexBytes(""), hexBytes("00")]),
        fe.sync(),
        fe.parse("", "select $1", [1700]),
        fe.bind("", "", [1], [hexBytes("00010000500000000001")]),
        fe.sync(),
        fe.parse("", "select $1", [25]),
        fe.bind("", "", [1], [hexBytes("e228a1")]),
        fe.sync(),
        fe.parse("", "select $1", [23]),
        fe.bind("", "", [0], ["abc"]),
        fe.sync(),
        fe.parse("", "select $1, $2, $3, $4", [20, 1700, 1184, 1186]),
        fe.bind("", "", [1], [
          hexBytes("0000000000000007"),
          hexBytes("000200000000000200010959"),
          hexBytes("0000000000000000"),
          hexBytes("00000002925cf460000000020000000c"),
        ]),
        fe.execute(""),
        fe.sync(),
      ),
    ).toEqual([
      "ParseComplete",
      "ErrorResponse 08P01 insufficient data left in message [unnamed portal parameter $1]",
      "ReadyForQuery I",
      'ErrorResponse 22P03 incorrect binary data format in bind parameter 1 [portal "p" parameter $1]',
      "ReadyForQuery I",
      "ParseComplete",
      "ErrorResponse 08P01 no data left in message [unnamed portal parameter $1]",
      "ReadyForQuery I",
      "ParseComplete",
      'ErrorResponse 22P03 invalid sign in external "numeric" value [unnamed portal parameter $1]',
      "ReadyForQuery I",
      "ParseComplete",
      'ErrorResponse 22021 invalid byte sequence for encoding "UTF8": 0xe2 0x28 0xa1 [unnamed portal parameter $1]',
      "ReadyForQuery I",
      "ParseComplete",
      `ErrorResponse 22P02 invalid input syntax for type integer: "abc" [unnamed portal parameter $1 = '...']`,
      "ReadyForQuery I",
      "ParseComplete",
      "BindComplete",
      "DataRow 7|1.23|2000-01-01 00:00:00+00|1 year 2 days 03:04:05.5",
      "CommandComplete SELECT 1",
      "ReadyForQuery I",
    ]);
  }, 60_000);

  test("binary results: each type's bytes are PostgreSQL's", async () => {
    const q = "select 1::int2 a, -2::int4 b, 3000000000::int8 c, true d, false e, 1.5::float4 f, 2.25::float8 g, " +
      "'txt'::text h, 'vc'::varchar i, 12.345::numeric j, -0.0012::numeric k, 'NaN'::numeric l, " +
      "'2001-02-03 04:05:06.789+00'::timestamptz m, 4294967295::oid n, 'nm'::name o, " +
      "'1 year 2 days 03:04:05.5'::interval p, null::int4 q, 'é'::text r";
    const t = await x(fe.parse("", q), fe.bind("", "", [], [], [1]), fe.describe("P", ""), fe.execute(""), fe.sync());
    expect(t.slice(0, 3)).toEqual([
      "ParseComplete",
      "BindComplete",
      "RowDescription a:21:f1 b:23:f1 c:20:f1 d:16:f1 e:16:f1 f:700:f1 g:701:f1 h:25:f1 i:1043:f1 j:1700:f1 " +
      "k:1700:f1 l:1700:f1 m:1184:f1 n:26:f1 o:19:f1 p:1186:f1 q:23:f1 r:25:f1",
    ]);
    const hex = (h: string) => `\\x${h}`;
    expect(t.slice(3)).toEqual([
      "DataRow " + [
        hex("0001"),
        hex("fffffffe"),
        hex("00000000b2d05e00"),
        hex("01"),
        hex("00"),
        hex("3fc00000"),
        hex("4002000000000000"),
        "txt",
        "vc",
        hex("0002000000000003000c0d7a"),
        hex("0001ffff40000004000c"),
        hex("00000000c0000000"),
        hex("00001f5def466a88"),
        hex("ffffffff"),
        "nm",
        hex("00000002925cf460000000020000000c"),
        "NULL",
        hex("c3a9"),
      ].join("|"),
      "CommandComplete SELECT 1",
      "ReadyForQuery I",
    ]);
  }, 60_000);

  test("a constant that fails to fold fails where PostgreSQL plans: before RowDescription, at Bind", async () => {
    expect(
      await x(
        fe.query("select 1/0"),
        fe.query("select 1; select 1/0"),
        fe.parse("", "select 1/0"),
        fe.describe("S", ""),
        fe.bind("", "", [], []),
        fe.execute(""),
        fe.sync(),
        fe.parse("", "select coalesce(1, 1/0), case when 1 = 2 then 1/0 end"),
        fe.bind("", "", [], []),
        fe.execute(""),
        fe.sync(),
        fe.query("select '1e-400'::float8"),
        fe.query("select 1e39::float4"),
      ),
    ).toEqual([
      "ErrorResponse 22012 division by zero",
      "ReadyForQuery I",
      "RowDescription ?column?:23:f0",
      "DataRow 1",
      "CommandComplete SELECT 1",
      "ErrorResponse 22012 division by zero",
      "ReadyForQuery I",
      "ParseComplete",
      "ParameterDescription",
      "RowDescription ?column?:23:f0",
      "ErrorResponse 22012 division by zero",
      "ReadyForQuery I",
      "ParseComplete",
      "BindComplete",
      "DataRow 1|NULL",
      "CommandComplete SELECT 1",
      "ReadyForQuery I",
      'ErrorResponse 22003 "1e-400" is out of range for type double precision @8',
      "ReadyForQuery I",
      'ErrorResponse 22003 "1000000000000000000000000000000000000000" is out of range for type real',
      "ReadyForQuery I",
    ]);
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
