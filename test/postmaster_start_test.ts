/**
 * End-to-end: a cluster starts through `ctl`, writes PostgreSQL's
 * postmaster.pid, shows its processes in `ps`, reports its status with
 * pg_ctl's exit codes, refuses a second start and survives a stale pid file.
 * Issue 3, acceptance points 1-3.
 */
import { describe, expect, test } from "vitest";
import {
  childPids,
  type Cluster,
  clusterScope,
  processTitle,
  readPidFileLines,
  runCtl,
  waitFor,
} from "./helpers/cluster.ts";

const clusters = clusterScope();

function serverOpts(c: Cluster): string {
  return `-p ${c.port} -k ${c.dataDir} -c listen_addresses=127.0.0.1`;
}

describe("ctl start", () => {
  test("starts a cluster to ready with PostgreSQL's pid file and four background children", async () => {
    const c = await clusters.start({ port: 20001, noStart: true });
    const started = await runCtl(["start", "-D", c.dataDir, "-l", c.logFile, "-o", serverOpts(c)]);
    expect(started.stdout).toMatch(/^waiting for server to start\.+ done\nserver started\n$/);
    expect(started.code).toBe(0);
    const lines = readPidFileLines(c.dataDir)!;
    c.pid = Number(lines[0]);
    // PostgreSQL 15's layout (pidfile.h), line by line.
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^\d+$/);
    expect(lines[1]).toBe(c.dataDir);
    expect(Math.abs(Number(lines[2]) - Date.now() / 1000)).toBeLessThan(120);
    expect(lines[3]).toBe(String(c.port));
    expect(lines[4]).toBe(c.dataDir);
    expect(lines[5]).toBe("127.0.0.1");
    expect(lines[6]).toMatch(/^\/denogres\.20001\.[0-9a-f]{8}$/);
    expect(lines[7]).toBe("ready   ");
    expect(c.log()).toContain(`listening on IPv4 address "127.0.0.1", port ${c.port}`);
    expect(c.log()).toContain(`listening on Unix socket "${c.dataDir}/.s.PGSQL.${c.port}"`);
    expect(c.log()).toContain("database system is ready to accept connections");
    const want = [
      "denogres: checkpointer",
      "denogres: background writer",
      "denogres: walwriter",
      "denogres: autovacuum launcher",
    ];
    await waitFor(
      () => {
        const titles = childPids(c.pid).map(processTitle);
        return want.every((w) => titles.includes(w));
      },
      30_000,
      "the four background processes in ps",
    );
    expect(processTitle(c.pid)).toMatch(/^denogres: postmaster -D /);
    const ps = await new Deno.Command("ps", { args: ["-o", "comm=", "--ppid", String(c.pid)], stdout: "piped" })
      .output();
    expect(new TextDecoder().decode(ps.stdout)).toContain("checkpointer");
    const lock = Deno.readTextFileSync(`${c.dataDir}/.s.PGSQL.${c.port}.lock`).split("\n");
    expect(lock.slice(0, 5)).toEqual([String(c.pid), c.dataDir, lines[2], String(c.port), c.dataDir]);
    const stopped = await runCtl(["stop", "-D", c.dataDir]);
    expect(stopped.stdout).toMatch(/^waiting for server to shut down\.+ done\nserver stopped\n$/);
    expect(readPidFileLines(c.dataDir)).toBeUndefined();
    expect(() => Deno.statSync(`/dev/shm${lines[6]}`)).toThrow(Deno.errors.NotFound);
    expect(() => Deno.statSync(`${c.dataDir}/.s.PGSQL.${c.port}`)).toThrow(Deno.errors.NotFound);
    expect(c.log()).toContain("database system is shut down");
  }, 120_000);

  test("status exits 0 while running, 3 after stop, 4 on a missing directory", async () => {
    const c = await clusters.start({ port: 20002, noStart: true });
    expect((await runCtl(["start", "-D", c.dataDir, "-l", c.logFile, "-s", "-o", serverOpts(c)])).code).toBe(0);
    c.pid = Number(readPidFileLines(c.dataDir)![0]);
    const running = await runCtl(["status", "-D", c.dataDir]);
    expect(running.code).toBe(0);
    expect(running.stdout).toContain(`ctl: server is running (PID: ${c.pid})\n`);
    expect(running.stdout).toMatch(/bin\/server "-D" ".*" "-p" "20002"/);
    const json = JSON.parse((await runCtl(["status", "--json"], { PGDATA: c.dataDir })).stdout);
    expect(json).toMatchObject({ running: true, pid: c.pid, port: c.port, status: "ready" });
    expect((await runCtl(["stop", "-D", c.dataDir, "-m", "fast"])).code).toBe(0);
    const stopped = await runCtl(["status", "-D", c.dataDir]);
    expect(stopped).toMatchObject({ code: 3, stdout: "ctl: no server running\n" });
    expect(JSON.parse((await runCtl(["status", "-D", c.dataDir, "--json"])).stdout).running).toBe(false);
    const missing = await runCtl(["status", "-D", `${c.baseDir}/nope`]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(`ctl: directory "${c.baseDir}/nope" does not exist`);
  }, 120_000);

  test("a second start fails with PostgreSQL's message and leaves the running server alone", async () => {
    const c = await clusters.start({ port: 20003 });
    const before = readPidFileLines(c.dataDir)!;
    const second = await runCtl(["start", "-D", c.dataDir, "-l", c.logFile, "-o", serverOpts(c)]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("ctl: another server might be running; trying to start server anyway");
    expect(second.stderr).toContain("ctl: could not start server\nExamine the log output.");
    expect(c.log()).toContain('FATAL:  lock file "postmaster.pid" already exists');
    expect(c.log()).toContain(`HINT:  Is another postmaster (PID ${c.pid}) running in data directory "${c.dataDir}"?`);
    expect(readPidFileLines(c.dataDir)).toEqual(before);
    expect(Deno.statSync(`${c.dataDir}/.s.PGSQL.${c.port}`).isSocket).toBe(true);
  }, 120_000);

  test("a stale pid file whose process is dead does not prevent a start", async () => {
    const c = await clusters.start({ port: 20004, noStart: true });
    // A pid that cannot be alive: the kernel's pid_max is at most 4194304.
    Deno.writeTextFileSync(
      `${c.dataDir}/postmaster.pid`,
      `4194305\n${c.dataDir}\n1700000000\n${c.port}\n${c.dataDir}\n127.0.0.1\n/denogres.${c.port}.deadbeef\nready   \n`,
    );
    await c.start();
    expect(Number(readPidFileLines(c.dataDir)![0])).toBe(c.pid);
    expect(await c.stop("fast")).toBe(0);
  }, 120_000);
});
