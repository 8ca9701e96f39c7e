/**
 * machine.ts — a description of the machine a run happened on, for the
 * report: ratios are only comparable between runs on similar machines.
 *
 * PostgreSQL counterpart: none.
 *
 * NOTES
 * Read from /proc (through lib/ffi/procfs.ts) and /etc/os-release; a
 * missing file gives "unknown" rather than failing the run. Requires
 * `--allow-read`, `--allow-sys`, `--allow-ffi`.
 *
 * @module
 */

import { readProcFile } from "../../lib/ffi/procfs.ts";

/** Largest /proc/cpuinfo read (about 1 KiB a core). */
const CPUINFO_MAX_BYTES = 1024 * 1024;

/** The facts reported about the machine. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly os: string;
  readonly deno: string;
  readonly hostname: string;
}

/** Reads the machine's description. */
export async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = readProcFile("/proc/cpuinfo", CPUINFO_MAX_BYTES) ?? "";
  const meminfo = readProcFile("/proc/meminfo") ?? "";
  const osRelease = await _read("/etc/os-release");
  const memKiB = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? 0);
  return {
    cores: navigator.hardwareConcurrency,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    memoryGiB: Math.round((memKiB / 1024 / 1024) * 10) / 10,
    kernel: Deno.osRelease(),
    os: /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? "unknown",
    deno: Deno.version.deno,
    hostname: Deno.hostname(),
  };
}

async function _read(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}
