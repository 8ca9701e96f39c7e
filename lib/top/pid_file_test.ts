import { afterEach, describe, expect, test } from "vitest";
import { procBootTimeS } from "../ffi/procfs.ts";
import { postmasterAlive, readClusterPidFile } from "./pid_file.ts";

const children: Deno.ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    try {
      c.kill("SIGKILL");
    } catch { /* already gone */ }
    await c.status;
  }
  for (const d of dirs.splice(0)) Deno.removeSync(d, { recursive: true });
});

function spawnSleep(): Deno.ChildProcess {
  const c = new Deno.Command("sleep", { args: ["30"], stdout: "null", stderr: "null" }).spawn();
  children.push(c);
  return c;
}

describe("postmaster.pid", () => {
  function dataDirWith(text: string): string {
    const dir = Deno.makeTempDirSync({ prefix: "top_pidfile_" });
    dirs.push(dir);
    Deno.writeTextFileSync(`${dir}/postmaster.pid`, text);
    return dir;
  }
  const nowS = () => Math.floor(Date.now() / 1000);

  test("a missing file or one without a pid reads as no server", () => {
    const dir = Deno.makeTempDirSync({ prefix: "top_pidfile_" });
    dirs.push(dir);
    expect(readClusterPidFile(dir)).toBeNull();
    expect(readClusterPidFile(dataDirWith(""))).toBeNull();
  });

  test("a partly written file is read as far as it goes", () => {
    const info = readClusterPidFile(dataDirWith(`${Deno.pid}\n/data\n${nowS()}\n22001\n`))!;
    expect(info.pid).toBe(Deno.pid);
    expect(info.port).toBe(22001);
    expect(info.shmemKey).toBeUndefined();
  });

  test("a live process that started before the file is alive; a dead or younger one is not", async () => {
    const child = spawnSleep();
    const full = (pid: number, start: number) =>
      readClusterPidFile(dataDirWith(`${pid}\n/d\n${start}\n22001\n/tmp\n*\n/seg\nready   \n`))!;
    const boot = procBootTimeS();
    expect(postmasterAlive(full(child.pid, nowS()), boot, 100)).toBe(true);
    // The file claims a start an hour ago: this younger process reused the pid.
    expect(postmasterAlive(full(child.pid, nowS() - 3600), boot, 100)).toBe(false);
    child.kill("SIGKILL");
    await child.status;
    expect(postmasterAlive(full(child.pid, nowS()), boot, 100)).toBe(false);
  });
});
