/**
 * End-to-end: crash handling as PostgreSQL's reaper (issue 3, acceptance
 * point 5): kill -9 of a backend or of the background writer resets the
 * cluster and it is ready again within 5 s; kill -9 of the postmaster
 * leaves no child behind within 2 s; restart_after_crash = off exits.
 */
import { describe, expect, test } from "vitest";
import {
  childPids,
  type Cluster,
  clusterScope,
  openRawSession,
  processAlive,
  processTitle,
  waitFor,
} from "./helpers/cluster.ts";

const clusters = clusterScope();

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
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
    const walwriter = await childWithTitle(c, "denogres: walwriter");
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
