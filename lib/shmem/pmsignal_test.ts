import { expect, test } from "vitest";
import { attachShmemSegment, checkPostmasterSignal, sendPostmasterSignal } from "./mod.ts";
import { testSegmentScope } from "./testdata/test_segment.ts";

const scope = testSegmentScope();

test("sendPostmasterSignal() sets the reason's flag and sends SIGUSR1; checkPostmasterSignal() tests and clears it", async () => {
  const seg = scope.create(); // this process is the "postmaster"
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
