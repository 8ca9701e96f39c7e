import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { arrangeProcesses, processHeaderLine, processRowLine, SORT_COLUMNS } from "./process_view.ts";
import { fixtureProcess, fixtureSnapshot } from "./_fixture.ts";

const processes = fixtureSnapshot().processes;
const pids = (opts: Partial<Parameters<typeof arrangeProcesses>[1]>) =>
  arrangeProcesses(processes, { sortColumn: "pid", filter: "", hideIdle: false, ...opts }).map((r) => r.process.pid);

describe("arrangeProcesses()", () => {
  test("orders postmaster, background processes, then client backends", () => {
    expect(pids({})).toEqual([4000, 4010, 4011, 4012, 4013, 4020, 4101, 4102, 4103]);
  });

  test("sorts each group by CPU, RSS or time in state, descending, keeping the postmaster first", () => {
    expect(pids({ sortColumn: "cpu" })).toEqual([4000, 4012, 4013, 4011, 4010, 4020, 4103, 4101, 4102]);
    expect(pids({ sortColumn: "rss" })).toEqual([4000, 4010, 4011, 4012, 4013, 4020, 4103, 4101, 4102]);
    expect(pids({ sortColumn: "time" })).toEqual([4000, 4010, 4011, 4012, 4013, 4020, 4102, 4101, 4103]);
  });

  test("filters by user, database, query, pid or type, case-insensitively, keeping the postmaster", () => {
    expect(pids({ filter: "BOB" })).toEqual([4000, 4102]);
    expect(pids({ filter: "bank" })).toEqual([4000, 4103]);
    expect(pids({ filter: "pg_sleep" })).toEqual([4000, 4101]);
    expect(pids({ filter: "4011" })).toEqual([4000, 4011]);
    expect(pids({ filter: "writer" })).toEqual([4000, 4011, 4012]);
  });

  test("hides idle sessions but never background processes", () => {
    expect(pids({ hideIdle: true })).toEqual([4000, 4010, 4011, 4012, 4013, 4020, 4101, 4103]);
  });

  test("marks the last child of the tree", () => {
    const rows = arrangeProcesses(processes, { sortColumn: "pid", filter: "", hideIdle: false });
    expect(rows.filter((r) => r.lastChild).map((r) => r.process.pid)).toEqual([4103]);
    expect(rows[0].depth).toBe(0);
    expect(rows.slice(1).every((r) => r.depth === 1)).toBe(true);
  });

  test("any sort keeps every process exactly once", () => {
    const proc = fc.record({
      cpu: fc.option(fc.double({ min: 0, max: 400, noNaN: true })),
      rss: fc.option(fc.nat()),
      time: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })),
      client: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(proc, { maxLength: 40 }), fc.constantFrom(...SORT_COLUMNS), (specs, sortColumn) => {
      const list = [
        fixtureProcess(1, "postmaster"),
        ...specs.map((s, i) =>
          fixtureProcess(i + 2, s.client ? "client backend" : "walwriter", {
            cpuPercent: s.cpu,
            rssBytes: s.rss,
            stateDurationS: s.time,
          })
        ),
      ];
      const out = arrangeProcesses(list, { sortColumn, filter: "", hideIdle: false }).map((r) => r.process.pid);
      expect(out[0]).toBe(1);
      expect([...out].sort((a, b) => a - b)).toEqual(list.map((p) => p.pid));
    }));
  });
});

describe("processRowLine()", () => {
  test("every row and the heading have the table's width", () => {
    const rows = arrangeProcesses(processes, { sortColumn: "pid", filter: "", hideIdle: false });
    for (const width of [80, 160, 240]) {
      const heading = processHeaderLine(width, "cpu");
      for (const row of rows) expect(processRowLine(row, width).length).toBe(heading.length);
      expect(heading).toContain("CPU%▼");
    }
  });
});
