import { describe, expect, test } from "vitest";
import { type BenchReport, renderResultsMarkdown, renderTable, reportJson } from "./report.ts";

function _report(candidateEngine: "denogres" | "postgresql"): BenchReport {
  const commands = { denogres: "cmd-d", postgresql: "cmd-p" };
  const setup = { initdb: "initdb …", start: "ctl start …", stop: "ctl stop …" };
  return {
    date: "2026-01-01T00:00:00.000Z",
    mode: "full",
    candidateEngine,
    rounds: 3,
    durationS: 10,
    machine: {
      cores: 2,
      cpuModel: "test cpu",
      memoryGiB: 8,
      kernel: "6.0",
      os: "Debian",
      deno: "2.9.6",
      hostname: "h",
    },
    versions: { denogres: "ctl (denogres) 0.1.0", postgresql: "postgres (PostgreSQL) 15.18", pgbench: "pgbench 15.18" },
    settings: "shared_buffers = 128MB\n",
    setupCommands: { denogres: setup, postgresql: setup },
    harnessCommand: "deno task bench",
    elapsedS: 100,
    workloads: [
      {
        name: "connect",
        unit: "conn/s",
        better: "higher",
        description: "d",
        commands,
        samples: { denogres: [10, 30, 20], postgresql: [400, 500, 600] },
        errors: { denogres: [], postgresql: [] },
        warnings: { denogres: ["1 of 200 connection attempts failed"], postgresql: [] },
      },
      {
        name: "stop",
        unit: "ms",
        better: "lower",
        description: "d",
        commands,
        samples: { denogres: [], postgresql: [100] },
        errors: { denogres: ["boom"], postgresql: [] },
        warnings: { denogres: [], postgresql: [] },
      },
    ],
  };
}

describe("report", () => {
  test("renderTable() shows medians, the ratio and the verdict per workload", () => {
    const table = renderTable(_report("denogres"));
    expect(table).toMatch(/connect\s+conn\/s\s+higher\s+20\.0\s+500\s+0\.04\s+25× slower/);
    expect(table).toMatch(/stop\s+ms\s+lower\s+error\s+100\s+-/);
    expect(table).toContain("stop [denogres]: boom");
    expect(table).toContain("warnings:\n  connect [denogres]: 1 of 200 connection attempts failed");
    expect(table).not.toContain("STAND-IN");
  });

  test("stand-in runs say so in the table and in RESULTS.md", () => {
    expect(renderTable(_report("postgresql"))).toContain("STAND-IN MODE");
    expect(renderResultsMarkdown(_report("postgresql"))).toContain("Stand-in run");
  });

  test("renderResultsMarkdown() holds the date, machine, versions, commands, table and samples", () => {
    const md = renderResultsMarkdown(_report("denogres"));
    for (
      const s of [
        "2026-01-01",
        "2 cores",
        "kernel 6.0",
        "Deno 2.9.6",
        "PostgreSQL) 15.18",
        "ctl start …",
        "| connect |",
      ]
    ) {
      expect(md).toContain(s);
    }
    expect(md).toContain("samples denogres [10.0, 30.0, 20.0]");
  });

  test("reportJson() adds medians, ratio and verdict", () => {
    const json = reportJson(_report("denogres")) as { workloads: { median: unknown; ratio: number | null }[] };
    expect(json.workloads[0].median).toEqual({ denogres: 20, postgresql: 500 });
    expect(json.workloads[0].ratio).toBeCloseTo(0.04);
    expect(json.workloads[1].ratio).toBeNull();
  });
});
