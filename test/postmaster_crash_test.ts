/**
 * End-to-end: crash handling as PostgreSQL's reaper (issue 3, acceptance
 * point 5): kill -9 of a backend or of the background writer resets the
 * cluster and it is ready again within 5 s; kill -9 of the postmaster
 * leaves no child behind within 2 s; restart_after_crash = off exits. The
 * crash log names the query a backend was running (LogChildExit's DETAIL),
 * and connections arriving while the postmaster cannot take them (waiting
 * for children after a crash or an immediate shutdown, starting up, too many
 * children) get PostgreSQL's FATAL from a dead-end backend, which needs no
 * shared memory.
 */
import { describe, expect, test } from "vitest";
import pg from "pg";
import {
  childPids,
  type Cluster,
  clusterScope,
  openRawSession,
  processAlive,
  processTitle,
  readPidFileLines,
  sendCancelRequest,
  startHoldingStartupProcess,
  waitFor,
} from "./helpers/cluster.ts";
import { attachShmemSegment, procArraySnapshot } from "../lib/shmem/mod.ts";

const clusters = clusterScope();

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/**
 * The walwriter, once it sleeps in its main loop: a Deno process stopped while it still loads its code could hold the
 * write lock of Deno's shared caches and stall every process started after it (dead-end backends included).
 */
async function walwriterInMainLoop(c: Cluster): Promise<number> {
  const pid = await childWithTitle(c, "denogres: walwriter");
  const seg = attachShmemSegment(readPidFileLines(c.dataDir)![6].trim(), { readOnly: true });
  try {
    await waitFor(
      () => procArraySnapshot(seg).some((p) => p.pid === pid && p.waitEvent === "WalWriterMain"),
      30_000,
      "the walwriter's main loop",
    );
  } finally {
    seg.detach();
  }
  return pid;
}

async function childWithTitle(c: Cluster, title: string): Promise<number> {
  let pid = 0;
  await waitFor(
    () => {
      pid = childPids(c.pid).find((p) => processTitle(p) === title) ?? 0;
      return pid !== 0;
    },
    30_000,
    `a child titled "${title}"`,
  );
  return pid;
}

const READY = "database system is ready to accept connections";

describe("crash handling", () => {
  test("kill -9 of a backend resets the cluster, which is ready again within 5 s", async () => {
    const c = await clusters.start({ port: 20021 });
    const victim = await openRawSession(c.port);
    const bystander = await openRawSession(c.port);
    expect(victim.backendPid).toBeGreaterThan(0);
    const checkpointer = await childWithTitle(c, "denogres: checkpointer");
    Deno.kill(victim.backendPid, "SIGKILL");
    const t0 = Date.now();
    await waitFor(() => count(c.log(), READY) === 2, 5_000, "ready again");
    expect(Date.now() - t0).toBeLessThan(5_000);
    const log = c.log();
    expect(log).toContain(`server process (PID ${victim.backendPid}) was terminated by signal 9: Killed`);
    expect(log).toContain("terminating any other active server processes");
    expect(log).toContain("all server processes terminated; reinitializing");
    await bystander.ended; // every other session ends (PostgreSQL first warns it with 57P02)
    expect(processAlive(checkpointer)).toBe(false);
    const after = await openRawSession(c.port);
    expect(after.refused).toBeUndefined();
    after.close();
  }, 120_000);

  test("kill -9 of the background writer resets the cluster, which is ready again within 5 s", async () => {
    const c = await clusters.start({ port: 20022 });
    const bgwriter = await childWithTitle(c, "denogres: background writer");
    Deno.kill(bgwriter, "SIGKILL");
    await waitFor(() => count(c.log(), READY) === 2, 5_000, "ready again");
    const log = c.log();
    expect(log).toContain(`background writer process (PID ${bgwriter}) was terminated by signal 9: Killed`);
    expect(log).not.toContain("Failed process was running"); // auxiliary processes run no query
    expect(log).toContain("terminating any other active server processes");
    expect(log).toContain("all server processes terminated; reinitializing");
    const again = await childWithTitle(c, "denogres: background writer");
    expect(again).not.toBe(bgwriter);
  }, 120_000);

  test("kill -9 of the postmaster leaves no child alive after 2 s", async () => {
    const c = await clusters.start({ port: 20023 });
    const session = await openRawSession(c.port);
    await childWithTitle(c, "denogres: autovacuum launcher");
    await waitFor(() => childPids(c.pid).length >= 7, 30_000, "background processes and spares");
    const children = childPids(c.pid);
    expect(children).toContain(session.backendPid);
    Deno.kill(c.pid, "SIGKILL");
    const t0 = Date.now();
    await waitFor(() => children.every((p) => !processAlive(p)), 2_000, "every child to exit");
    expect(Date.now() - t0).toBeLessThan(2_000);
  }, 120_000);

  test("with restart_after_crash = off a crash shuts the server down", async () => {
    const c = await clusters.start({ port: 20024, conf: { restart_after_crash: "off" } });
    const victim = await openRawSession(c.port);
    Deno.kill(victim.backendPid, "SIGKILL");
    expect(await c.waitExit()).toBe(1);
    expect(c.log()).toContain("shutting down because restart_after_crash is off");
    expect(c.log()).toContain("database system is shut down");
  }, 120_000);

  test("a child that does not exit after SIGQUIT is killed after 5 s, and the cluster comes back", async () => {
    const c = await clusters.start({ port: 20025 });
    const walwriter = await walwriterInMainLoop(c);
    Deno.kill(walwriter, "SIGSTOP"); // a stopped process acts on no signal but SIGKILL
    const victim = await openRawSession(c.port);
    Deno.kill(victim.backendPid, "SIGKILL");
    await waitFor(() => c.log().includes("terminating any other active server processes"), 10_000, "the crash");
    const t0 = Date.now();
    await waitFor(() => c.log().includes("issuing SIGKILL to recalcitrant children"), 15_000, "SIGKILL");
    expect(Date.now() - t0).toBeGreaterThan(3_000);
    await waitFor(() => count(c.log(), READY) === 2, 30_000, "ready again");
    expect(processAlive(walwriter)).toBe(false);
  }, 120_000);
});

/** The log lines after the one that contains `needle`, each without its prefix (up to the level). */
function linesAfter(log: string, needle: string, n: number): string[] {
  const lines = log.split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  expect(i, `a log line with "${needle}"`).toBeGreaterThanOrEqual(0);
  return lines.slice(i, i + 1 + n).map((l) => l.replace(/^.*?\] (?=[A-Z]+: {2})/, ""));
}

function client(c: Cluster): pg.Client {
  const cl = new pg.Client({ host: "127.0.0.1", port: c.port, user: "postgres", database: "postgres" });
  cl.on("error", () => {}); // the server goes away under it
  return cl;
}

/** Runs psql over TCP; returns its exit code and stderr. */
async function psql(c: Cluster, host = "127.0.0.1"): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command("psql", {
    args: ["-X", "-h", host, "-p", String(c.port), "-U", "postgres", "-c", "select 1", "postgres"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

describe("crash log: the query a crashed backend was running (LogChildExit)", () => {
  test(
    "DETAIL names the running query, or the last one of an idle session, ASCII-safe; none for a fresh session",
    async () => {
      const c = await clusters.start({ port: 20091 });
      const observer = client(c);
      const victim = client(c);
      await observer.connect();
      await victim.connect();
      const pid = (await victim.query("select pg_backend_pid() as pid")).rows[0].pid as number;
      const running = victim.query("select pg_sleep(30)").catch(() => "lost");
      await waitFor(
        async () => {
          const r = await observer.query("select state, query from pg_stat_activity where pid = $1", [pid]);
          return r.rows[0]?.state === "active" && r.rows[0]?.query === "select pg_sleep(30)";
        },
        10_000,
        "the victim running pg_sleep",
      );
      await observer.end();
      Deno.kill(pid, "SIGKILL");
      await waitFor(() => count(c.log(), READY) === 2, 10_000, "ready again");
      expect(await running).toBe("lost");
      // PostgreSQL 15, same sequence: the exit, the query, then the SIGQUITs.
      expect(linesAfter(c.log(), `server process (PID ${pid})`, 2)).toEqual([
        `LOG:  server process (PID ${pid}) was terminated by signal 9: Killed`,
        "DETAIL:  Failed process was running: select pg_sleep(30)",
        "LOG:  terminating any other active server processes",
      ]);

      // Idle after a multi-line query with non-ASCII text: every such byte is `?`, continuation lines get a tab.
      const idle = client(c);
      await idle.connect();
      const idlePid = (await idle.query("select 'h\u00e9llo',\n\tpg_backend_pid() as pid")).rows[0].pid as number;
      Deno.kill(idlePid, "SIGKILL");
      await waitFor(() => count(c.log(), READY) === 3, 10_000, "ready again");
      expect(c.log()).toContain(
        `] DETAIL:  Failed process was running: select 'h??llo',\n\t\tpg_backend_pid() as pid\n`,
      );

      // A session that never ran a query has nothing to report.
      const fresh = await openRawSession(c.port);
      Deno.kill(fresh.backendPid, "SIGKILL");
      await waitFor(() => count(c.log(), READY) === 4, 10_000, "ready again");
      expect(linesAfter(c.log(), `server process (PID ${fresh.backendPid})`, 1)[1]).toBe(
        "LOG:  terminating any other active server processes",
      );
    },
    120_000,
  );
});

describe("connections the postmaster cannot take get PostgreSQL's FATAL from a dead-end backend", () => {
  test(
    "while it waits for a stopped child after a crash: 57P03 in recovery mode, over TCP and Unix socket",
    async () => {
      const c = await clusters.start({ port: 20092 });
      const walwriter = await walwriterInMainLoop(c);
      const bgwriter = await childWithTitle(c, "denogres: background writer");
      Deno.kill(walwriter, "SIGSTOP"); // the postmaster waits CHILD_QUIT_GRACE_MS for it, then SIGKILLs it
      Deno.kill(bgwriter, "SIGKILL");
      await waitFor(() => c.log().includes("terminating any other active server processes"), 10_000, "the crash");
      const tcp = await openRawSession(c.port);
      const unix = await openRawSession(`${c.socketDir}/.s.PGSQL.${c.port}`);
      const viaPsql = await psql(c);
      await sendCancelRequest(c.port, 999_999, 1); // served from the discarded segment, read-only: no match
      expect(c.log()).not.toContain("issuing SIGKILL to recalcitrant children"); // all of it during the wait
      const recovery = { severity: "FATAL", code: "57P03", message: "the database system is in recovery mode" };
      expect(tcp.refused).toEqual(recovery);
      expect(unix.refused).toEqual(recovery);
      expect(viaPsql.code).toBe(2);
      expect(viaPsql.stderr).toContain(`port ${c.port} failed: FATAL:  the database system is in recovery mode`);
      await waitFor(() => count(c.log(), READY) === 2, 30_000, "ready again");
      const log = c.log();
      expect(count(log, "FATAL:  the database system is in recovery mode")).toBe(3);
      expect(log).toContain("PID 999999 in cancel request did not match any process");
      expect(log).not.toContain("is discarded");
      const after = await openRawSession(c.port);
      expect(after.refused).toBeUndefined();
      after.close();
    },
    120_000,
  );

  test(
    "during an immediate shutdown 57P03 shutting down; while the startup process runs 57P03 starting up",
    async () => {
      const c = await clusters.start({ port: 20093, noStart: true });
      const held = await startHoldingStartupProcess(c);
      const early = await openRawSession(c.port);
      held.release();
      expect(early.refused).toEqual({
        severity: "FATAL",
        code: "57P03",
        message: "the database system is starting up",
      });
      await held.ready;
      const walwriter = await walwriterInMainLoop(c);
      Deno.kill(walwriter, "SIGSTOP");
      Deno.kill(c.pid, "SIGQUIT");
      await waitFor(() => c.log().includes("received immediate shutdown request"), 10_000, "the shutdown");
      const late = await openRawSession(c.port);
      expect(c.log()).not.toContain("issuing SIGKILL to recalcitrant children");
      expect(late.refused).toEqual({
        severity: "FATAL",
        code: "57P03",
        message: "the database system is shutting down",
      });
      await c.waitExit();
      expect(c.log()).not.toContain("is discarded");
    },
    120_000,
  );

  test("past MaxLivePostmasterChildren 53300; a dead-end backend still serves a CancelRequest", async () => {
    // MaxLivePostmasterChildren = 2 * (max_connections + autovacuum_max_workers + 1) = 8.
    const c = await clusters.start({
      port: 20094,
      conf: { max_connections: "2", superuser_reserved_connections: "0", autovacuum_max_workers: "1" },
    });
    const busy = client(c);
    await busy.connect();
    const sleeping = busy.query("select pg_sleep(30)").then(() => undefined, (e: { code?: string }) => e.code);
    // Seven more connections that send nothing hold a backend each (authentication_timeout bounds them). The
    // postmaster accepts from the listen queue in order, so the next connection is judged after these.
    const silent = await Promise.all(
      Array.from({ length: 7 }, () => Deno.connect({ hostname: "127.0.0.1", port: c.port })),
    );
    try {
      const refused = await openRawSession(c.port);
      expect(refused.refused).toEqual({ severity: "FATAL", code: "53300", message: "sorry, too many clients already" });
      const b = busy as unknown as { processID: number; secretKey: number };
      await sendCancelRequest(c.port, b.processID, b.secretKey);
      expect(await sleeping).toBe("57014");
    } finally {
      for (const s of silent) s.close();
      await busy.end().catch(() => {});
    }
  }, 120_000);
});
