import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { GucSettings } from "../config/mod.ts";
import { arbitrarySettings, isConfigurationLimit } from "./testdata/arbitrary_settings.ts";
import { computeShmemLayout, SHMEM_REGION_ALIGN_MIN_BYTES, SHMEM_REGIONS, SHMEM_SIZE_ALIGN_BYTES } from "./mod.ts";

describe("computeShmemLayout()", () => {
  test("regions are aligned, disjoint and inside the total for any valid configuration", () => {
    let laidOut = 0;
    fc.assert(
      fc.property(arbitrarySettings, (settings) => {
        let layout;
        try {
          layout = computeShmemLayout(settings);
        } catch (e) {
          if (isConfigurationLimit(e)) return;
          throw e;
        }
        laidOut++;
        expect(layout.regions.map((r) => r.name)).toEqual(SHMEM_REGIONS.map((s) => s.name));
        expect(layout.regions[0].offset).toBe(0);
        expect(layout.totalSizeBytes % SHMEM_SIZE_ALIGN_BYTES).toBe(0);
        let end = 0;
        layout.regions.forEach((r, i) => {
          const align = Math.max(SHMEM_REGIONS[i].alignBytes, SHMEM_REGION_ALIGN_MIN_BYTES);
          expect(r.offset % align).toBe(0);
          expect(r.offset).toBeGreaterThanOrEqual(end);
          expect(Number.isSafeInteger(r.sizeBytes)).toBe(true);
          end = r.offset + r.sizeBytes;
        });
        expect(end).toBeLessThanOrEqual(layout.totalSizeBytes);
      }),
      { numRuns: 500 },
    );
    expect(laidOut).toBeGreaterThan(100); // most generated configurations are valid
  });

  test("max_locks_per_transaction sizes the lock table (NLOCKENTS = it x MaxBackends) and nothing else", () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 5000 }), fc.integer({ min: 1, max: 1000 }), (locks, connections) => {
        const base = GucSettings.defaults().with("max_connections", connections, "command line");
        const a = computeShmemLayout(base.with("max_locks_per_transaction", locks, "command line"));
        const b = computeShmemLayout(base.with("max_locks_per_transaction", locks + 1, "command line"));
        const entries = (n: number) => n * (connections + 3 + 1);
        const bytes = (n: number) => 64 + Math.ceil(entries(n) / 16) * 16 * 4 + entries(n) * (128 + 2 * 32);
        a.regions.forEach((r, i) => {
          const expected = r.name === "lock table" ? bytes(locks + 1) - bytes(locks) : 0;
          expect(b.regions[i].sizeBytes - r.sizeBytes).toBe(expected);
        });
        expect(b.totalSizeBytes).toBeGreaterThanOrEqual(a.totalSizeBytes);
      }),
      { numRuns: 100 },
    );
  });

  test("the default configuration lays out every region of the registry", () => {
    const layout = computeShmemLayout(GucSettings.defaults());
    expect(layout.regions.length).toBe(SHMEM_REGIONS.length);
    expect(layout.totalSizeBytes).toBeGreaterThan(0);
  });

  test("refuses a registry with a duplicate name or a bad alignment", () => {
    const s = GucSettings.defaults();
    expect(() => computeShmemLayout(s, [...SHMEM_REGIONS, SHMEM_REGIONS[1]])).toThrow(/Duplicate/);
    expect(() => computeShmemLayout(s, [...SHMEM_REGIONS, { name: "x", sizeBytes: () => 1, alignBytes: 48 }]))
      .toThrow(/power of two/);
  });

  test("an impossible size is refused with PostgreSQL's overflow message", () => {
    const huge = { name: "huge", sizeBytes: () => 2 ** 60, alignBytes: 64 };
    expect(() => computeShmemLayout(GucSettings.defaults(), [...SHMEM_REGIONS, huge])).toThrow(
      "requested shared memory size overflows size_t",
    );
  });
});
