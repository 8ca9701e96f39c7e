import { afterEach, describe, expect, test } from "vitest";
import {
  listProcDir,
  listProcPids,
  parseProcFields,
  parseProcMaps,
  parseProcStat,
  procBootTimeS,
  procChildPids,
  procClockTicksPerS,
  procDescendants,
  procFieldKiB,
  procPageSizeBytes,
  procSignalCaught,
  readProcCmdline,
  readProcFile,
  readProcMaps,
  readProcSmapsRollup,
  readProcStat,
  readProcStatus,
} from "./procfs.ts";

const children: Deno.ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    try {
      c.kill("SIGKILL");
    } catch { /* already gone */ }
    await c.status;
  }
});

/** Spawns a child and waits until it runs its program (a just-spawned child may not have exec'd yet). */
async function spawn(cmd: string, args: string[]): Promise<Deno.ChildProcess> {
  const c = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" }).spawn();
  children.push(c);
  const want = [cmd, ...args].join(" ");
  for (let i = 0; i < 500 && !readProcCmdline(c.pid)?.endsWith(want); i++) await new Promise((r) => setTimeout(r, 10));
  return c;
}

/** A pid that no process can have (above pid_max's ceiling). */
const NO_PID = 2 ** 22 + 1;

describe("reading /proc files through libc", () => {
  test("readProcFile() reads a file Deno's own API would refuse without --allow-all, whole", () => {
    const status = readProcFile("/proc/self/status")!;
    expect(status).toMatch(new RegExp(`^Pid:\\s+${Deno.pid}$`, "m"));
    expect(status.endsWith("\n")).toBe(true);
    expect(readProcFile(`/proc/${NO_PID}/stat`)).toBeUndefined();
  });

  test("readProcFile() refuses a file larger than its limit instead of truncating it", () => {
    expect(() => readProcFile("/proc/self/maps", 64)).toThrow(RangeError);
    const exact = readProcFile("/proc/self/cmdline")!;
    const size = new TextEncoder().encode(exact).length;
    expect(readProcFile("/proc/self/cmdline", size)).toBe(exact);
  });

  test("listProcDir() and listProcPids() list directories with opendir/readdir", () => {
    expect(listProcDir("/proc/self/task")).toContain(String(Deno.pid));
    expect(listProcDir(`/proc/${NO_PID}/task`)).toEqual([]);
    expect(listProcDir("/proc", 3)).toHaveLength(3);
    const pids = listProcPids();
    expect(pids).toContain(Deno.pid);
    expect(pids).toEqual([...pids].sort((a, b) => a - b));
  });
});

describe("parsing /proc files", () => {
  test("parseProcStat() counts fields after the last parenthesis of the command name", () => {
    const line = "42 (a) b (c) S 7 42 42 0 -1 4194560 100 0 0 0 25 5 3 4 20 0 1 0 12345 1000 77 18446744073709551615\n";
    expect(parseProcStat(line)).toEqual({
      state: "S",
      parentPid: 7,
      utimeTicks: 25,
      stimeTicks: 5,
      cutimeTicks: 3,
      cstimeTicks: 4,
      startTicks: 12345,
      rssPages: 77,
    });
    expect(parseProcStat("garbage")).toBeUndefined();
  });

  test("parseProcFields() and procFieldKiB() read status and smaps_rollup lines", () => {
    const rollup = "00400000-7ffd [rollup]\nRss:  9000 kB\nPss:  4321 kB\nPss_Anon:  100 kB\nName:\tx y\n";
    const fields = parseProcFields(rollup);
    expect(procFieldKiB(fields, "Pss")).toBe(4321);
    expect(procFieldKiB(fields, "Pss_Dirty")).toBeUndefined();
    expect(fields.get("Name")).toBe("x y");
  });

  test("parseProcMaps() keeps file-backed mappings and marks deleted ones", () => {
    const maps = [
      "7f0000000000-7f0000001000 rw-s 00000000 00:1a 1234                       /dev/shm/denogres.1 (deleted)",
      "7f0000001000-7f0000002000 r-xp 00000000 08:01 99                         /usr/lib/libc.so.6",
      "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]",
      "7ffc00030000-7ffc00031000 rw-p 00000000 00:00 0",
    ].join("\n");
    expect(parseProcMaps(maps)).toEqual([
      { pathname: "/dev/shm/denogres.1", deleted: true },
      { pathname: "/usr/lib/libc.so.6", deleted: false },
    ]);
  });
});

describe("processes", () => {
  test("readProcStat(), readProcStatus() and readProcSmapsRollup() read a live process; undefined once gone", async () => {
    const child = await spawn("sleep", ["30"]);
    const stat = readProcStat(child.pid)!;
    expect(stat.parentPid).toBe(Deno.pid);
    expect(stat.rssPages).toBeGreaterThan(0);
    expect(procFieldKiB(readProcStatus(child.pid)!, "VmRSS")).toBeGreaterThan(0);
    expect(procFieldKiB(readProcSmapsRollup(child.pid)!, "Pss")).toBeGreaterThan(0);
    expect(readProcStat("self")!.utimeTicks + readProcStat("self")!.stimeTicks).toBeGreaterThan(0);
    child.kill("SIGKILL");
    await child.status;
    expect(readProcStat(child.pid)).toBeUndefined();
    expect(readProcStatus(child.pid)).toBeUndefined();
    expect(readProcMaps(child.pid)).toBeUndefined();
  });

  test("procSignalCaught() tells a process with a handler for a signal from one without", async () => {
    const plain = await spawn("sleep", ["30"]);
    const trapping = await spawn("/bin/sh", ["-c", "trap 'exit 0' USR2; while :; do sleep 1; done"]);
    let caught = false;
    for (let i = 0; i < 400 && !caught; i++) {
      caught = procSignalCaught(trapping.pid, 12);
      if (!caught) await new Promise((r) => setTimeout(r, 10));
    }
    expect(caught).toBe(true);
    expect(procSignalCaught(plain.pid, 12)).toBe(false);
    expect(procSignalCaught(NO_PID, 12)).toBe(false);
  });

  test("procChildPids() finds children spawned from any thread; procDescendants() walks the tree", async () => {
    const a = await spawn("sleep", ["30"]);
    const b = await spawn("/bin/sh", ["-c", "sleep 30 & wait"]);
    expect(procChildPids(Deno.pid)).toEqual(expect.arrayContaining([a.pid, b.pid]));
    expect(procChildPids(NO_PID)).toEqual([]);
    let tree: number[] = [];
    for (let i = 0; i < 200 && tree.length < 2; i++) {
      tree = procDescendants(b.pid);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(tree[0]).toBe(b.pid);
    expect(tree).toHaveLength(2); // the shell and its sleep
    expect(procDescendants(NO_PID)).toEqual([]);
  });

  test("readProcCmdline() gives the arguments with spaces; readProcMaps() lists mapped files", async () => {
    const child = await spawn("sleep", ["30"]);
    expect(readProcCmdline(child.pid)).toMatch(/sleep 30$/);
    expect(readProcMaps("self")!.some((m) => m.pathname.includes("libc"))).toBe(true);
  });

  test("the machine's boot time, clock ticks and page size", () => {
    expect(procBootTimeS()).toBeGreaterThan(1_000_000_000);
    expect(procBootTimeS()).toBeLessThan(Date.now() / 1000);
    expect(procClockTicksPerS()).toBe(100);
    expect(procPageSizeBytes()).toBeGreaterThanOrEqual(4096);
  });
});
