/**
 * storage_workload.ts — a real write workload on a running server for
 * end-to-end tests, until SQL can write pages: crash workers
 * (lib/storage/testdata/crash_worker.ts) attach the server's shared memory
 * like backends (each claims a `client backend` slot) and commit
 * transactions that append entries to pages of base/5/16384 through the
 * buffer manager under WAL.
 *
 * PostgreSQL counterpart: none (test harness; pgbench's role once tables exist).
 *
 * NOTES
 * Each worker prints one line per transaction end (`C …` commit, `A …`
 * abort); `stop()` sends SIGTERM, which each worker acts on between
 * transactions (slot released, exit 0), and returns what they reported.
 *
 * @module
 */

import { expect } from "vitest";
import { parseReported, type Reported } from "../../lib/storage/testdata/crash_verify.ts";
import { readPidFileLines } from "./cluster.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const WORKER = `${REPO_ROOT}/lib/storage/testdata/crash_worker.ts`;

/** One worker: a seed unique to the run (below 40000), how many pages it spreads over, synchronous_commit. */
export interface WorkerSpec {
  readonly seed: number;
  readonly pages?: number;
  readonly sync?: "on" | "off";
}

/** Running workers. */
export interface StorageWorkload {
  /** Their pids. */
  readonly pids: readonly number[];
  /** Every line they printed so far. */
  readonly lines: string[];
  /** Stops them (SIGTERM, exit 0 expected) and returns the transactions they reported. */
  stop(): Promise<Reported[]>;
}

/**
 * Starts crash workers attached to the running server's segment (from
 * postmaster.pid line 7).
 *
 * @param dataDir the server's data directory
 * @param workers one spec per worker
 * @returns the workload
 */
export function startStorageWorkload(dataDir: string, workers: readonly WorkerSpec[]): StorageWorkload {
  const shmem = readPidFileLines(dataDir)![6];
  const lines: string[] = [];
  const procs = workers.map((w, i) => {
    const child = new Deno.Command(`${REPO_ROOT}/node_modules/.bin/deno`, {
      args: [
        "run",
        "-A",
        "--quiet",
        "--config",
        `${REPO_ROOT}/deno.json`,
        WORKER,
        dataDir,
        shmem,
        String(i),
        String(w.seed),
        "10",
        String(w.pages ?? 6),
        w.sync ?? "on",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const done = (async () => {
      const dec = new TextDecoder();
      let rest = "";
      for await (const chunk of child.stdout) {
        rest += dec.decode(chunk, { stream: true });
        const parts = rest.split("\n");
        rest = parts.pop()!;
        lines.push(...parts);
      }
    })();
    return { child, done };
  });
  return {
    pids: procs.map((p) => p.child.pid),
    lines,
    stop: async () => {
      for (const p of procs) p.child.kill("SIGTERM");
      for (const p of procs) {
        expect((await p.child.status).code).toBe(0);
        await p.done;
      }
      return parseReported(lines);
    },
  };
}
