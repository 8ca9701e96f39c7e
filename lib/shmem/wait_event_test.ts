import { expect, test } from "vitest";
import { describeWaitEvent, lwlockTrancheId, waitEventInfo } from "./mod.ts";

test("wait events encode as PostgreSQL's class << 24 | id and decode back to names", () => {
  const info = waitEventInfo("Timeout", "PgSleep");
  expect(info >>> 24).toBe(0x09);
  expect(describeWaitEvent(info)).toEqual({ type: "Timeout", name: "PgSleep" });
  expect(describeWaitEvent(waitEventInfo("LWLock", "WALInsert"))).toEqual({ type: "LWLock", name: "WALInsert" });
  expect(waitEventInfo("LWLock", "ProcArray") & 0xffffff).toBe(lwlockTrancheId("ProcArrayLock"));
  expect(describeWaitEvent(0)).toBeNull();
  expect(() => waitEventInfo("IO", "NoSuchEvent")).toThrow(TypeError);
});
