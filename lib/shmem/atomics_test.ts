import { expect, test } from "vitest";
import {
  atomicCompareExchange64,
  atomicFetchAdd64,
  atomicMonotonicAdvance64,
  atomicRead64,
  atomicWrite64,
} from "./mod.ts";
import { testSegmentScope } from "./testdata/test_segment.ts";

const scope = testSegmentScope();

test("64-bit atomics hold LSN-sized values and advance monotonically", () => {
  const seg = scope.create();
  const at = seg.region("test scratch").offset + 512;
  const lsn = 0x1_0000_0000_0028n;
  atomicWrite64(seg, at, lsn);
  expect(atomicRead64(seg, at)).toBe(lsn);
  expect(atomicFetchAdd64(seg, at, 8n)).toBe(lsn);
  expect(atomicCompareExchange64(seg, at, 0n, 1n)).toBe(lsn + 8n); // not exchanged
  expect(atomicMonotonicAdvance64(seg, at, lsn)).toBe(lsn + 8n); // never goes back
  expect(atomicMonotonicAdvance64(seg, at, lsn + 100n)).toBe(lsn + 100n);
  expect(() => atomicRead64(seg, at + 4)).toThrow(RangeError);
});
