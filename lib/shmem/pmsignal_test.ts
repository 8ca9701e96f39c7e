import { afterEach, expect, test } from "vitest";
import {
  attachShmemSegment,
  checkPostmasterSignal,
  sendPostmasterSignal,
  type ShmemSegment,
  unlinkShmemSegment,
} from "./mod.ts";
import { createTestSegment } from "./testdata/worker_process.ts";

let seg: ShmemSegment | undefined;
afterEach(() => {
  if (seg !== undefined) {
    unlinkShmemSegment(seg.name);
    seg.detach();
    seg = undefined;
  }
});

test("sendPostmasterSignal() sets the reason's flag and sends SIGUSR1; checkPostmasterSignal() tests and clears it", async () => {
  seg = createTestSegment(); // this process is the "postmaster"
  let signalled = 0;
  const listener = () => signalled++;
  Deno.addSignalListener("SIGUSR1", listener);
  try {
    const child = attachShmemSegment(seg.name); // stands for a child's mapping
    try {
      sendPostmasterSignal(child, "PMSIGNAL_START_AUTOVAC_WORKER");
      for (let i = 0; i < 200 && signalled === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(signalled).toBe(1);
      expect(checkPostmasterSignal(seg, "PMSIGNAL_ROTATE_LOGFILE")).toBe(false);
      expect(checkPostmasterSignal(seg, "PMSIGNAL_START_AUTOVAC_WORKER")).toBe(true);
      expect(checkPostmasterSignal(seg, "PMSIGNAL_START_AUTOVAC_WORKER")).toBe(false);
    } finally {
      child.detach();
    }
  } finally {
    Deno.removeSignalListener("SIGUSR1", listener);
  }
});
