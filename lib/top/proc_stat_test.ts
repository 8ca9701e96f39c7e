import { afterEach, describe, expect, test } from "vitest";
import { childPids, parseProcStat, readProcStat, readProcTitle } from "./proc_stat.ts";

const children: Deno.ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    try {
      c.kill("SIGKILL");
    } catch { /* already gone */ }
    await c.status;
  }
});

function spawnSleep(): Deno.ChildProcess {
  const c = new Deno.Command("sleep", { args: ["30"], stdout: "null", stderr: "null" }).spawn();
  children.push(c);
  return c;
}

describe("/proc readers", () => {
  test("parseProcStat() splits after the last parenthesis of the command name", () => {
    const line = "42 (a) b (c) S 7 42 42 0 -1 4194560 100 0 0 0 25 5 0 0 20 0 1 0 12345 1000 77 18446744073709551615";
    expect(parseProcStat(line)).toEqual({ state: "S", parentPid: 7, cpuTicks: 30, startTicks: 12345, rssPages: 77 });
    expect(parseProcStat("garbage")).toBeNull();
  });

  test("readProcStat() reads a live process and gives null for a gone one", async () => {
    const child = spawnSleep();
    const stat = readProcStat(child.pid)!;
    expect(stat.parentPid).toBe(Deno.pid);
    expect(stat.rssPages).toBeGreaterThan(0);
    child.kill("SIGKILL");
    await child.status;
    expect(readProcStat(child.pid)).toBeNull();
  });

  test("childPids() finds children spawned from any thread", () => {
    const a = spawnSleep();
    const b = spawnSleep();
    const pids = childPids(Deno.pid);
    expect(pids).toContain(a.pid);
    expect(pids).toContain(b.pid);
    expect(childPids(2 ** 22 + 1)).toEqual([]);
  });

  test("readProcTitle() gives the command line with spaces", () => {
    const child = spawnSleep();
    expect(readProcTitle(child.pid)).toMatch(/sleep 30$/);
  });
});
