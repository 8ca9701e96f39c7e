/**
 * lock_worker.ts — the worker process of the shared-memory tests and bench:
 * attaches a segment made by the test (which plays the postmaster), claims
 * a process-array slot and runs one scenario.
 *
 * PostgreSQL counterpart: none (test harness).
 *
 * NOTES
 * Usage: `deno run -A lock_worker.ts <segment> <mode> [count] [extra]`.
 * The scratch region "test scratch" (see scratch.ts) holds a
 * 16-byte LWLock at 0, a spinlock at 64, counters at 128.. and a start
 * word at 256: workers print `ready`, then wait until the test stores 1 in
 * the start word, so all of them contend from the same moment. Results are
 * one JSON line on stdout. Exit status 0 on success.
 *
 * @module
 */

import {
  attachShmemSegment,
  futexWait,
  futexWake,
  lwlockAcquire,
  lwlockAcquireOrWait,
  lwlockRelease,
  procArrayClaimSlot,
  procArrayReleaseSlot,
  setLatch,
  type ShmemSegment,
  spinLockAcquire,
  spinLockRelease,
  waitLatch,
} from "../mod.ts";
import { pgstatCountIo, pgstatCountXact } from "../stats.ts";
import { pgstatReportActivity } from "../proc_array.ts";

import { Scratch } from "./scratch.ts";

function _print(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
}

function _awaitStart(seg: ShmemSegment, base: number): void {
  _print("ready");
  const at = base + Scratch.start;
  while (Atomics.load(seg.i32, at >> 2) === 0) futexWait(seg, at, 0, 1000);
}

const [name, mode, countArg, extra] = Deno.args;
const count = Number(countArg ?? 0);

if (mode === "readonly-write") {
  const ro = attachShmemSegment(name, { readOnly: true });
  _print(JSON.stringify({ generation: ro.generation, magic: ro.i32[0] }));
  ro.i32[ro.region("test scratch").offset >> 2] = 1; // must die with SIGSEGV
  _print("wrote");
  Deno.exit(0);
}

const seg = attachShmemSegment(name);
const base = seg.region("test scratch").offset;
const lock = base + Scratch.lwlock;
const spin = base + Scratch.spinlock;
const { procNo } = procArrayClaimSlot(seg, "client backend");

switch (mode) {
  case "lwlock-exclusive":
  case "spinlock": {
    const counter = (base + Scratch.counter) >> 2;
    _awaitStart(seg, base);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      if (mode === "spinlock") spinLockAcquire(seg, spin, "test counter");
      else lwlockAcquire(seg, lock, "exclusive");
      seg.i32[counter] = seg.i32[counter] + 1; // deliberately not atomic
      if (mode === "spinlock") spinLockRelease(seg, spin);
      else lwlockRelease(seg, lock);
    }
    _print(JSON.stringify({ done: count, ms: performance.now() - t0 }));
    break;
  }
  case "lwlock-writer":
  case "lwlock-reader": {
    // Writers bump a then b under the exclusive lock; readers check a === b under the shared lock.
    const a = (base + Scratch.a) >> 2;
    const b = (base + Scratch.b) >> 2;
    let mismatches = 0;
    _awaitStart(seg, base);
    for (let i = 0; i < count; i++) {
      if (mode === "lwlock-writer") {
        lwlockAcquire(seg, lock, "exclusive");
        seg.i32[a] = seg.i32[a] + 1;
        seg.i32[b] = seg.i32[b] + 1;
      } else {
        lwlockAcquire(seg, lock, "shared");
        if (seg.i32[a] !== seg.i32[b]) mismatches++;
      }
      lwlockRelease(seg, lock);
    }
    _print(JSON.stringify({ done: count, mismatches }));
    break;
  }
  case "hold-lwlock": {
    lwlockAcquire(seg, lock, "exclusive");
    _print(`holding ${procNo}`);
    await new Promise(() => setInterval(() => {}, 60_000)); // until killed
    break;
  }
  case "wait-spinlock": {
    _print(`waiting ${procNo}`);
    spinLockAcquire(seg, spin, "test spinlock");
    _print("acquired");
    spinLockRelease(seg, spin);
    break;
  }
  case "wait-lwlock": {
    _print(`waiting ${procNo}`);
    lwlockAcquire(seg, lock, "exclusive");
    _print("acquired");
    lwlockRelease(seg, lock);
    break;
  }
  case "acquire-or-wait": {
    _print(`waiting ${procNo}`);
    const acquired = lwlockAcquireOrWait(seg, lock, "exclusive");
    if (acquired) lwlockRelease(seg, lock);
    _print(JSON.stringify({ acquired }));
    break;
  }
  case "latch-wait": {
    // Wait for the latch (set by another process or by our own SIGUSR1 listener).
    Deno.addSignalListener("SIGUSR1", () => setLatch(seg, procNo));
    _print(`waiting ${procNo}`);
    const t0 = performance.now();
    const result = await waitLatch(seg, count);
    _print(JSON.stringify({ result, ms: performance.now() - t0 }));
    break;
  }
  case "futex-sleep": {
    // Blocking futex wait on the start word (checked through /proc/<pid>/wchan).
    _print(`sleeping ${procNo}`);
    const at = base + Scratch.start;
    let result = "";
    while (Atomics.load(seg.i32, at >> 2) === 0) result = futexWait(seg, at, 0, count);
    _print(JSON.stringify({ result }));
    break;
  }
  case "futex-wake": {
    // Releases the sleepers of "futex-sleep" from this process.
    const at = base + Scratch.start;
    Atomics.store(seg.i32, at >> 2, 1);
    _print(JSON.stringify({ woken: futexWake(seg, at) }));
    break;
  }
  case "pong-futex": {
    // Wake-up latency, blocking futex: answer each ping i with pong i.
    const ping = base + Scratch.ping;
    const pong = base + Scratch.pong;
    _print("ready");
    for (let i = 1; i <= count; i++) {
      while (Atomics.load(seg.i32, ping >> 2) < i) futexWait(seg, ping, i - 1, 1000);
      Atomics.store(seg.i32, pong >> 2, i);
      futexWake(seg, pong);
    }
    _print(JSON.stringify({ done: count }));
    break;
  }
  case "pong-latch": {
    // Wake-up latency, latches (async futex wait): answer each set of our latch by setting the peer's.
    const peer = Number(extra);
    _print(`ready ${procNo}`);
    for (let i = 0; i < count; i++) {
      await waitLatch(seg, Infinity);
      setLatch(seg, peer);
    }
    _print(JSON.stringify({ done: count }));
    break;
  }
  case "set-latch": {
    setLatch(seg, count);
    break;
  }
  case "activity-writer": {
    // Rewrites its activity until the test sets the stop word (or `count` times); a torn read would mix two writes'
    // state, query and times.
    _awaitStart(seg, base);
    const stop = (base + Scratch.stop) >> 2;
    let i = 0;
    for (; i < count && Atomics.load(seg.i32, stop) === 0; i++) {
      pgstatReportActivity(seg, i % 2 === 0 ? "active" : "idle", `select ${i} /* ${"x".repeat(i % 200)} */`);
    }
    _print(JSON.stringify({ done: i }));
    break;
  }
  case "count-stats": {
    _awaitStart(seg, base);
    for (let i = 0; i < count; i++) {
      pgstatCountIo(seg, "hits", 1, 5);
      pgstatCountXact(seg, i % 2 === 0, 5);
    }
    _print(JSON.stringify({ done: count }));
    break;
  }
  default:
    throw new TypeError(`Unknown mode "${mode}"`);
}
procArrayReleaseSlot(seg);
seg.detach();
