/**
 * End to end: the real `top` against a real running cluster with several
 * psql sessions — `--json` validated against the documented schema and
 * compared with `ps --ppid`, and the live dashboard driven in tmux
 * (processes shown, buffer figures moving under a real workload on the
 * server's buffer manager, `c` cancelling a backend in pg_sleep).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Cluster, runCommand, startCluster, waitFor } from "./helpers/cluster.ts";
import { TOP_SNAPSHOT_SCHEMA, type TopSnapshot } from "../lib/top/mod.ts";
import { checkJsonSchema } from "../lib/top/_json_schema_check.ts";
import { startStorageWorkload } from "./helpers/storage_workload.ts";

const REPO_ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const PORT = 22101;
const SESSIONS = 3;
const TMUX = `top-e2e-${Deno.pid}`;
/** Generous: two shared cores, Deno processes starting. */
const LONG_MS = 60_000;

/** A psql session fed through its stdin, with its output collected. */
class PsqlSession {
  readonly child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  stdout = "";
  stderr = "";

  constructor(cluster: Cluster) {
    this.child = new Deno.Command("psql", {
      args: ["-X", "-A", "-t", "-q", "-h", cluster.socketDir, "-p", String(cluster.port), "-U", "postgres", "postgres"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    this.#collect(this.child.stdout, (t) => (this.stdout += t));
    this.#collect(this.child.stderr, (t) => (this.stderr += t));
  }

  async #collect(stream: ReadableStream<Uint8Array>, add: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  }

  async send(sql: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(`${sql}\n`));
  }

  /** Runs `select pg_backend_pid()` and returns the pid. */
  async backendPid(): Promise<number> {
    const before = this.stdout.length;
    await this.send("select pg_backend_pid();");
    await waitFor(() => /\d+\n/.test(this.stdout.slice(before)), LONG_MS, "pg_backend_pid()");
    return Number(/(\d+)\n/.exec(this.stdout.slice(before))![1]);
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.child.status;
    clearTimeout(timer);
  }
}

const capture = async () => (await runCommand("tmux", ["capture-pane", "-p", "-t", TMUX])).stdout;
const keys = (...k: string[]) => runCommand("tmux", ["send-keys", "-t", TMUX, ...k]);

async function waitForScreen(cond: (screen: string) => boolean, what: string): Promise<string> {
  let screen = "";
  try {
    await waitFor(async () => cond(screen = await capture()), LONG_MS, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last screen:\n${screen}`);
  }
  return screen;
}

/** The buffer cache panel: its lines, cut where the WAL panel beside it starts. */
function bufferPanel(screen: string): string {
  const lines = screen.split("\n");
  const first = lines.findIndex((l) => l.startsWith("Buffer cache"));
  const last = lines.findIndex((l) => l.startsWith("usage "));
  const walColumn = lines[first].indexOf("WAL");
  return lines.slice(first, last + 1).map((l) => l.slice(0, walColumn)).join("\n");
}

let cluster: Cluster;
const sessions: PsqlSession[] = [];
const backendPids: number[] = [];

beforeAll(async () => {
  cluster = await startCluster({ port: PORT });
  for (let i = 0; i < SESSIONS; i++) sessions.push(new PsqlSession(cluster));
  for (const s of sessions) backendPids.push(await s.backendPid());
}, 2 * LONG_MS);

afterAll(async () => {
  await runCommand("tmux", ["kill-session", "-t", TMUX]);
  await Promise.all(sessions.map((s) => s.close()));
  await cluster?.destroy();
}, 2 * LONG_MS);

describe("top against a live cluster", () => {
  test("top --json validates against the schema and lists the same pids as ps --ppid", async () => {
    let json: TopSnapshot | undefined;
    let psPids: number[] = [];
    // Children come and go (a spare backend replaced): compare until one pair of readings agrees.
    await waitFor(
      async () => {
        const r = await runCommand(`${REPO_ROOT}/bin/top`, ["-D", cluster.dataDir, "--json", "--interval", "0.25"]);
        expect(r.code).toBe(0);
        json = JSON.parse(r.stdout) as TopSnapshot;
        expect(checkJsonSchema(TOP_SNAPSHOT_SCHEMA, json)).toEqual([]);
        const ps = await runCommand("ps", ["--ppid", String(cluster.pid), "-o", "pid="]);
        psPids = ps.stdout.split("\n").filter((l) => l.trim() !== "").map(Number).sort((a, b) => a - b);
        const topPids = json.processes.filter((p) => p.backendType !== "postmaster").map((p) => p.pid);
        return JSON.stringify(topPids) === JSON.stringify(psPids);
      },
      LONG_MS,
      "top --json and ps --ppid to agree",
    );
    expect(json!.status).toBe("running");
    expect(json!.server).toMatchObject({ pid: cluster.pid, port: PORT, state: "ready" });
    expect(json!.processes[0]).toMatchObject({ pid: cluster.pid, backendType: "postmaster" });
    for (const pid of backendPids) {
      expect(json!.processes.find((p) => p.pid === pid)).toMatchObject({
        backendType: "client backend",
        inProcArray: true,
        user: "postgres",
        database: "postgres",
      });
    }
    expect(json!.server!.connectionsUsed).toBeGreaterThanOrEqual(SESSIONS);
  }, 2 * LONG_MS);

  test("the dashboard in tmux shows the postmaster, its background children and each client backend", async () => {
    const started = await runCommand("tmux", [
      "new-session",
      "-d",
      "-x",
      "200",
      "-y",
      "50",
      "-s",
      TMUX,
      // As on a CI machine: top draws its frames whatever the environment says about CI.
      "-e",
      "CI=true",
      `${REPO_ROOT}/bin/top -D ${cluster.dataDir} --interval 0.5`,
    ]);
    expect(started.code).toBe(0);
    const screen = await waitForScreen(
      (s) => backendPids.every((pid) => new RegExp(`^\\s*${pid} [├└] client backend`, "m").test(s)),
      "every client backend on screen",
    );
    expect(screen).toContain(`postmaster ${cluster.pid}`);
    expect(screen).toMatch(new RegExp(`^\\s*${cluster.pid} postmaster`, "m"));
    for (const type of ["checkpointer", "background writer", "walwriter", "autovacuum launcher"]) {
      expect(screen).toMatch(new RegExp(`^\\s*\\d+ ├ ${type}`, "m"));
    }
    // Background processes are listed before the client backends, as ps --forest.
    expect(screen.indexOf("├ checkpointer")).toBeLessThan(screen.indexOf("client backend"));
    expect(screen).toMatch(/ready/);
  }, 2 * LONG_MS);

  test("buffer figures change under a workload", async () => {
    // No SQL writes pages yet: the real server's buffer manager is driven by crash workers attached to its shared
    // memory like backends (test/helpers/storage_workload.ts), committing page changes under WAL.
    const before = bufferPanel(await capture());
    const workload = startStorageWorkload(cluster.dataDir, [{ seed: 31, pages: 32 }, { seed: 32, pages: 32 }]);
    try {
      // Pages in use and dirty, and a hit ratio over the last interval.
      const during = bufferPanel(
        await waitForScreen(
          (s) => /^used [1-9]\d* +dirty [1-9]\d* .*hit \d/m.test(bufferPanel(s)),
          "used and dirty buffers and a hit ratio",
        ),
      );
      expect(during).not.toBe(before);
      expect(before).toMatch(/hit -/); // nothing was read before: no ratio, not an invented one
      // The workers' commits show as transactions per second in the header.
      await waitForScreen((s) => /tps [1-9]/.test(s), "transactions per second");
      // A CHECKPOINT writes the dirty pages: the checkpointer's writes per second move.
      await sessions[1].send("checkpoint;");
      await waitForScreen(
        (s) => Number(/^checkpointer\s+\S+\s+(\S+)/m.exec(bufferPanel(s))?.[1] ?? 0) > 0,
        "the checkpointer's writes per second",
      );
    } finally {
      await workload.stop();
    }
  }, 2 * LONG_MS);

  test("c on a backend running pg_sleep cancels it, after y", async () => {
    const sleeper = sessions[0];
    const pid = backendPids[0];
    await sleeper.send("select pg_sleep(60);");
    await waitForScreen((s) => new RegExp(`^\\s*${pid} .*pg_sleep\\(60\\)`, "m").test(s), "the sleeping backend");
    await keys("/");
    await keys("-l", "pg_sleep(60)");
    await keys("Enter");
    await waitForScreen((s) => !s.includes("├ checkpointer"), "the filter to apply");
    await keys("j"); // the postmaster (always the first row)
    await keys("j"); // the sleeping backend
    await keys("c");
    await waitForScreen((s) => s.includes(`Cancel the query of backend ${pid}?`), "the confirmation");
    await keys("y");
    await waitFor(
      () => sleeper.stderr.includes("canceling statement due to user request"),
      LONG_MS,
      `psql to report the cancel; stderr: ${sleeper.stderr}`,
    );
    expect(await capture()).toContain(`sent SIGINT to backend ${pid} (cancel)`);
    // The session is still usable.
    expect(await sleeper.backendPid()).toBe(pid);
    // Esc clears the filter: every process again.
    await keys("Escape");
    await waitForScreen((s) => s.includes("├ checkpointer"), "the filter to clear");
  }, 2 * LONG_MS);

  test("says so and re-attaches when the server resets after a crash, stops, and starts again", async () => {
    const victim = (await runCommand("ps", ["--ppid", String(cluster.pid), "-o", "pid=,args="])).stdout
      .split("\n").find((l) => l.includes("backend"));
    expect(victim).toBeDefined();
    Deno.kill(Number(victim!.trim().split(" ")[0]), "SIGKILL");
    await waitForScreen(
      (s) => s.includes("server reset after a crash: shared memory generation 1 -> 2") && /ready/.test(s),
      "the crash reset on screen",
    );
    await waitForScreen((s) => /^\s*\d+ ├ checkpointer/m.test(s) && s.includes("generation 2"), "the new children");
    const oldPid = cluster.pid;
    await cluster.stop("fast");
    await waitForScreen((s) => s.includes("no server") && s.includes("server stopped"), "the stop on screen");
    await cluster.start();
    await waitForScreen(
      (s) => s.includes(`server started: postmaster PID ${cluster.pid}`) && s.includes(`postmaster ${cluster.pid}`),
      "the new server on screen",
    );
    expect(cluster.pid).not.toBe(oldPid);
    // top itself kept running through all of it.
    expect((await runCommand("tmux", ["list-panes", "-t", TMUX, "-F", "#{pane_dead}"])).stdout.trim()).toBe("0");
  }, 3 * LONG_MS);
});
