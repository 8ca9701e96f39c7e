/**
 * mini_cluster.ts — test helper that plays the postmaster's storage part
 * with real processes: creates the shared-memory segment (storage regions
 * initialised), starts the real startup, checkpointer, background writer
 * and walwriter children (`cmd/server.ts --child=…`, as the postmaster
 * does, stdin a pipe it holds), starts crash workers, and kills them all.
 *
 * Used by the storage crash tests and the benchmark; the full server's own
 * tests use test/helpers/cluster.ts.
 *
 * @module
 */

import type { GucSettings } from "../../config/mod.ts";
import { procSignalCaught } from "../../ffi/procfs.ts";
import { createShmemSegment, type ShmemSegment, unlinkShmemSegment } from "../../shmem/mod.ts";
import { storageShmemInit } from "../storage_init.ts";

const _ROOT = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");
const _DENO = `${_ROOT}/node_modules/.bin/deno`;

/** A started process of the mini cluster. */
export interface MiniProcess {
  readonly name: string;
  readonly child: Deno.ChildProcess;
  /** Output lines so far (stdout for workers, stderr log lines for children). */
  readonly lines: string[];
  /** Resolves with the exit status. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Resolves once the output was read to its end (after exit). */
  readonly drained: Promise<void>;
}

async function _collect(stream: ReadableStream<Uint8Array>, lines: string[], echo: boolean): Promise<void> {
  const dec = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += dec.decode(chunk, { stream: true });
    const parts = rest.split("\n");
    rest = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      if (echo) console.error(l);
    }
  }
  if (rest !== "") lines.push(rest);
}

/** One data directory and its current shared-memory segment. */
export class MiniCluster {
  readonly dataDir: string;
  readonly settings: GucSettings;
  segment: ShmemSegment | undefined;
  readonly processes: MiniProcess[] = [];
  /** Print children's log lines to stderr (debugging). */
  echo = false;

  /**
   * @param dataDir a bootstrapped data directory with postgresql.conf
   * @param settings the settings the segment is sized from
   */
  constructor(dataDir: string, settings: GucSettings) {
    this.dataDir = dataDir;
    this.settings = settings;
  }

  /** Creates a fresh segment (as at postmaster start or crash reset). */
  createSegment(): ShmemSegment {
    this.dropSegment();
    const name = `/denogres.stor${Deno.pid}.${crypto.getRandomValues(new Uint32Array(1))[0].toString(16)}`;
    this.segment = createShmemSegment(name, this.settings, { initialize: storageShmemInit });
    return this.segment;
  }

  /** Detaches and unlinks the current segment. */
  dropSegment(): void {
    if (this.segment === undefined) return;
    this.segment.setState("discarded");
    this.segment.detach();
    unlinkShmemSegment(this.segment.name);
    this.segment = undefined;
  }

  #spawn(name: string, args: string[], outputIsLog: boolean): MiniProcess {
    const child = new Deno.Command(_DENO, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { DENO_NO_UPDATE_CHECK: "1" },
    }).spawn();
    const lines: string[] = [];
    const errLines: string[] = [];
    const drained = Promise.all([
      _collect(child.stdout, outputIsLog ? [] : lines, false),
      _collect(child.stderr, outputIsLog ? lines : errLines, this.echo || !outputIsLog),
    ]).then(() => {});
    const p: MiniProcess = { name, child, lines, status: child.status, drained };
    this.processes.push(p);
    return p;
  }

  /**
   * Starts a real server child (`--child=<type>`) attached to the segment.
   *
   * @param type startup, checkpointer, bgwriter or walwriter
   * @returns the process (its log lines are collected)
   */
  startChild(type: "startup" | "checkpointer" | "bgwriter" | "walwriter"): MiniProcess {
    return this.#spawn(
      type,
      [
        "run",
        "-A",
        "--quiet",
        "--config",
        `${_ROOT}/deno.json`,
        `${_ROOT}/cmd/server.ts`,
        `--child=${type}`,
        "-D",
        this.dataDir,
        `--shmem=${this.segment!.name}`,
      ],
      true,
    );
  }

  /**
   * Sends a signal to a started child once it can catch it, as the
   * postmaster does (lib/postmaster README, invariant 6): a Deno child that
   * has not installed its handler yet would be killed by SIGUSR2 or SIGTERM.
   *
   * @param p the child
   * @param sig the signal
   * @param timeoutMs longest wait for the handler
   * @throws {Error} when the child exits or installs no handler in time
   */
  async signalWhenCaught(p: MiniProcess, sig: "SIGUSR2" | "SIGTERM", timeoutMs = 60_000): Promise<void> {
    const signo = sig === "SIGUSR2" ? 12 : 15;
    const deadline = Date.now() + timeoutMs;
    while (!procSignalCaught(p.child.pid, signo)) {
      if (Date.now() > deadline) throw new Error(`${p.name} (pid ${p.child.pid}) installed no ${sig} handler`);
      await new Promise((r) => setTimeout(r, 20));
    }
    p.child.kill(sig);
  }

  /**
   * Starts a test script attached to the segment.
   *
   * @param name a label
   * @param script path of the script
   * @param args arguments after the data directory and segment name
   * @returns the process (its stdout lines are collected)
   */
  startScript(name: string, script: string, args: string[]): MiniProcess {
    return this.#spawn(
      name,
      ["run", "-A", "--quiet", "--config", `${_ROOT}/deno.json`, script, this.dataDir, this.segment!.name, ...args],
      false,
    );
  }

  /**
   * Runs the startup process to completion.
   *
   * @returns its exit code and log lines
   */
  async runStartup(): Promise<{ code: number; log: string[] }> {
    const p = this.startChild("startup");
    const st = await p.status;
    await p.drained;
    p.child.stdin.close().catch(() => {});
    return { code: st.code, log: p.lines };
  }

  /** SIGKILLs every running process (the whole tree at once) and waits for them. */
  async killAll(): Promise<void> {
    for (const p of this.processes) {
      try {
        p.child.kill("SIGKILL");
      } catch { /* already exited */ }
    }
    await this.reapAll();
  }

  /** Waits for every process to exit and its output to drain; forgets them. */
  async reapAll(): Promise<void> {
    for (const p of this.processes) {
      await p.status;
      await p.child.stdin.close().catch(() => {});
      await p.drained;
    }
    this.processes.length = 0;
  }
}
