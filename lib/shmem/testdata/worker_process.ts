/**
 * worker_process.ts — starting and talking to lock_worker.ts processes from
 * tests and the bench.
 *
 * PostgreSQL counterpart: none (test harness).
 *
 * NOTES
 * Each worker is a real `deno` process (`Deno.execPath()`); its stdout is
 * read line by line. {@link killAll} is for cleanup on any outcome.
 *
 * @module
 */

import { GucSettings } from "../../config/mod.ts";
import type { GucName } from "../../config/mod.ts";
import {
  createShmemSegment,
  futexWake,
  lwlockInitialize,
  lwlockTrancheId,
  SHMEM_REGIONS,
  type ShmemSegment,
} from "../mod.ts";
import { Scratch, SCRATCH_REGION } from "./scratch.ts";

const _WORKER = new URL("./lock_worker.ts", import.meta.url).pathname;
const _CONFIG = new URL("../../../deno.json", import.meta.url).pathname;

/** A running worker. */
export interface WorkerProcess {
  readonly pid: number;
  readonly child: Deno.ChildProcess;
  /** Resolves with the next stdout line matching `re` (rejects at EOF or after `timeoutMs`). */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Every line seen so far. */
  readonly lines: string[];
  readonly status: Promise<Deno.CommandStatus>;
}

/**
 * Starts a worker.
 *
 * @param args segment name, mode, count, extra
 * @returns the worker
 */
export function spawnWorker(args: readonly (string | number)[]): WorkerProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", _CONFIG, _WORKER, ...args.map(String)],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void; reject: (e: Error) => void; from: number }[] = [];
  let ended = false;
  const check = () => {
    for (const w of [...waiters]) {
      const hit = lines.slice(w.from).find((l) => w.re.test(l));
      if (hit !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      } else if (ended) {
        waiters.splice(waiters.indexOf(w), 1);
        w.reject(new Error(`worker ${child.pid} ended without printing ${w.re}; it printed: ${lines.join(" | ")}`));
      }
    }
  };
  (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      check();
    }
    ended = true;
    check();
  })();
  let consumed = 0;
  return {
    pid: child.pid,
    child,
    lines,
    status: child.status,
    line(re: RegExp, timeoutMs = 30_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${re} from worker ${child.pid}`)),
          timeoutMs,
        );
        const from = consumed;
        waiters.push({
          re,
          from,
          resolve: (l) => {
            clearTimeout(timer);
            consumed = lines.indexOf(l, from) + 1;
            resolve(l);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        check();
      });
    },
  };
}

/**
 * Kills workers that are still running and waits for them.
 *
 * @param workers the workers
 */
export async function killAll(workers: readonly WorkerProcess[]): Promise<void> {
  for (const w of workers) {
    try {
      w.child.kill("SIGKILL");
    } catch {
      // already exited
    }
  }
  await Promise.allSettled(workers.map((w) => w.status));
}

/**
 * Creates a segment for a test (the test plays the postmaster), with the
 * scratch region of lock_worker.ts and its LWLock initialised.
 *
 * @param overrides settings to change from the defaults (small by default)
 * @returns the segment; the caller unlinks it
 */
export function createTestSegment(overrides: Record<string, number> = {}): ShmemSegment {
  let settings = GucSettings.defaults()
    .with("shared_buffers", 16, "command line")
    .with("max_connections", 10, "command line");
  for (const [k, v] of Object.entries(overrides)) settings = settings.with(k as GucName, v, "command line");
  const suffix = [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return createShmemSegment(`/denogres.test.${Deno.pid}.${suffix}`, settings, {
    regions: [...SHMEM_REGIONS, SCRATCH_REGION],
    initialize: (seg) => lwlockInitialize(seg, seg.region("test scratch").offset, lwlockTrancheId("BufferContent")),
  });
}

/**
 * Lets the workers that printed `ready` start (stores 1 in the start word and wakes them).
 *
 * @param seg the test segment
 */
export function startWorkers(seg: ShmemSegment): void {
  const at = seg.region("test scratch").offset + Scratch.start;
  Atomics.store(seg.i32, at >> 2, 1);
  futexWake(seg, at);
}
