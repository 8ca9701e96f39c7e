import { describe, expect, test } from "vitest";
import { futexWait, futexWake, procArrayClaimSlot, setLatch, waitLatch } from "./mod.ts";
import { readProcFile } from "../ffi/procfs.ts";
import { Scratch } from "./testdata/scratch.ts";
import { testSegmentScope } from "./testdata/test_segment.ts";

const scope = testSegmentScope();

/** The kernel's wait channel of a process's main thread (futex_… while in FUTEX_WAIT). */
function wchan(pid: number): string {
  return readProcFile(`/proc/${pid}/task/${pid}/wchan`) ?? "";
}

describe("futex", () => {
  test("futexWait() times out, and reports a changed value without sleeping", () => {
    const seg = scope.create();
    const at = seg.region("test scratch").offset + Scratch.start;
    expect(futexWait(seg, at, 0, 1)).toBe("timed out");
    expect(futexWait(seg, at, 1, 1000)).toBe("value changed");
    expect(futexWake(seg, at)).toBe(0);
    expect(() => futexWait(seg, at + 2, 0, 1)).toThrow(RangeError);
  });

  test("a process really sleeps in FUTEX_WAIT and another process's futexWake() wakes it", async () => {
    const seg = scope.create();
    const sleeper = scope.spawn([seg.name, "futex-sleep", 60_000]);
    await sleeper.line(/^sleeping/);
    let channel = "";
    for (let i = 0; i < 400 && !channel.startsWith("futex"); i++) {
      await new Promise((r) => setTimeout(r, 25));
      channel = wchan(sleeper.pid);
    }
    expect(channel).toMatch(/^futex/); // futex_wait_queue, futex_do_wait, … by kernel version
    const waker = scope.spawn([seg.name, "futex-wake"]);
    expect(JSON.parse(await waker.line(/woken/)).woken).toBe(1);
    expect(JSON.parse(await sleeper.line(/result/)).result).toBe("woken");
    expect((await sleeper.status).code).toBe(0);
  }, 60_000);
});

describe("latches", () => {
  test("waitLatch() returns at once if set, else times out; setLatch() is remembered until waited", async () => {
    const seg = scope.create();
    const { procNo } = procArrayClaimSlot(seg, "client backend");
    expect(await waitLatch(seg, 1)).toBe("timeout");
    setLatch(seg, procNo);
    setLatch(seg, procNo);
    expect(await waitLatch(seg, 60_000)).toBe("set");
    expect(await waitLatch(seg, 1)).toBe("timeout"); // reset by the previous wait
  });

  test("setLatch() from another process wakes a process sleeping in waitLatch()", async () => {
    const seg = scope.create();
    const sleeper = scope.spawn([seg.name, "latch-wait", 60_000]);
    const procNo = Number((await sleeper.line(/^waiting/)).split(" ")[1]);
    await new Promise((r) => setTimeout(r, 200)); // let it get into the futex wait
    scope.spawn([seg.name, "set-latch", procNo]);
    const result = JSON.parse(await sleeper.line(/result/));
    expect(result.result).toBe("set");
    expect(result.ms).toBeLessThan(60_000);
  }, 60_000);

  test("a signal listener in the waiting process wakes its own waitLatch()", async () => {
    const seg = scope.create();
    const sleeper = scope.spawn([seg.name, "latch-wait", 60_000]);
    await sleeper.line(/^waiting/);
    await new Promise((r) => setTimeout(r, 200));
    sleeper.child.kill("SIGUSR1");
    const result = JSON.parse(await sleeper.line(/result/));
    expect(result.result).toBe("set");
    expect(result.ms).toBeLessThan(60_000);
    expect((await sleeper.status).code).toBe(0);
  }, 60_000);
});
