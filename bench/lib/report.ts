/**
 * report.ts — the run's results as data, and their three renderings: the
 * table on stdout, the JSON file in bench/out/, and bench/RESULTS.md.
 *
 * PostgreSQL counterpart: none.
 *
 * NOTES
 * Every cell keeps its raw samples, its errors (a failed measurement: no
 * sample) and its warnings (a problem inside a measurement that still gave
 * a sample) next to the median, so a
 * reader can see the spread and what failed. Ratios are denogres /
 * PostgreSQL of the medians. In stand-in mode (PostgreSQL in both columns,
 * `--candidate=postgresql`) every rendering says so at the top.
 *
 * @module
 */

import type { Column } from "./cluster.ts";
import type { MachineInfo } from "./machine.ts";
import { formatNumber, median, ratio, verdict } from "./stats.ts";

/** One workload's results in both columns. */
export interface WorkloadResult {
  readonly name: string;
  readonly unit: string;
  readonly better: "higher" | "lower";
  readonly description: string;
  readonly commands: Record<Column, string>;
  readonly samples: Record<Column, number[]>;
  readonly errors: Record<Column, string[]>;
  /** Problems that did not void a sample (e.g. 1 of 200 connections reset). */
  readonly warnings: Record<Column, string[]>;
}

/** A whole run. */
export interface BenchReport {
  readonly date: string;
  /** `full` (all workloads, --rounds), `quick` (--quick) or `partial` (--only). */
  readonly mode: "full" | "quick" | "partial";
  /** What runs in the denogres column: denogres, or PostgreSQL as a stand-in. */
  readonly candidateEngine: "denogres" | "postgresql";
  readonly rounds: number;
  readonly durationS: number;
  readonly machine: MachineInfo;
  readonly versions: Record<Column, string> & { readonly pgbench: string };
  readonly settings: string;
  readonly setupCommands: Record<Column, Record<"initdb" | "start" | "stop", string>>;
  readonly harnessCommand: string;
  readonly workloads: readonly WorkloadResult[];
  readonly elapsedS: number;
}

/** Median of a column, undefined without samples. */
export function columnMedian(w: WorkloadResult, column: Column): number | undefined {
  return w.samples[column].length > 0 ? median(w.samples[column]) : undefined;
}

/** denogres / PostgreSQL of the medians. */
export function workloadRatio(w: WorkloadResult): number | undefined {
  return ratio(columnMedian(w, "denogres"), columnMedian(w, "postgresql"));
}

/** The JSON form, with medians and ratios computed. */
export function reportJson(report: BenchReport): unknown {
  return {
    ...report,
    workloads: report.workloads.map((w) => ({
      ...w,
      median: { denogres: columnMedian(w, "denogres") ?? null, postgresql: columnMedian(w, "postgresql") ?? null },
      ratio: workloadRatio(w) ?? null,
      verdict: verdict(workloadRatio(w), w.better, w.unit),
    })),
  };
}

function _candidateHeader(report: BenchReport): string {
  return report.candidateEngine === "denogres" ? "denogres" : "pg(stand-in)";
}

function _rows(report: BenchReport): string[][] {
  return report.workloads.map((w) => {
    const r = workloadRatio(w);
    const cell = (c: Column) =>
      w.errors[c].length > 0 && w.samples[c].length === 0 ? "error" : formatNumber(columnMedian(w, c));
    return [
      w.name,
      w.unit,
      w.better,
      cell("denogres"),
      cell("postgresql"),
      r === undefined ? "-" : r.toFixed(2),
      verdict(r, w.better, w.unit),
    ];
  });
}

/**
 * The plain-text table for stdout.
 *
 * @param report the run
 * @returns lines joined by newlines
 */
export function renderTable(report: BenchReport): string {
  const header = ["workload", "unit", "better", _candidateHeader(report), "postgresql", "ratio", "denogres is"];
  const rows = [header, ..._rows(report)];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const numeric = new Set([3, 4, 5]);
  const line = (r: string[]) =>
    r.map((c, i) => numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
  out.push(
    "",
    `medians of ${report.rounds} round(s); ratio = denogres / postgresql; "better" says which direction wins`,
  );
  if (report.candidateEngine === "postgresql") {
    out.push("STAND-IN MODE: PostgreSQL runs in the denogres column; ratios compare PostgreSQL with itself");
  }
  const errors = _problemLines(report, "errors");
  if (errors.length > 0) out.push("", "errors:", ...errors.map((e) => `  ${e}`));
  const warnings = _problemLines(report, "warnings");
  if (warnings.length > 0) out.push("", "warnings:", ...warnings.map((e) => `  ${e}`));
  return out.join("\n");
}

function _problemLines(report: BenchReport, kind: "errors" | "warnings"): string[] {
  return report.workloads.flatMap((w) =>
    (["denogres", "postgresql"] as const).flatMap((c) =>
      [...new Set(w[kind][c])].map((e) => `${w.name} [${c}]: ${e.split("\n").slice(0, 3).join(" | ")}`)
    )
  );
}

/**
 * bench/RESULTS.md: date, machine, versions, commands, table, samples.
 *
 * @param report the run
 * @returns Markdown
 */
export function renderResultsMarkdown(report: BenchReport): string {
  const m = report.machine;
  const md: string[] = [];
  md.push("# denogres benchmark results", "");
  md.push(
    "Written by `deno task bench` (bench/main.ts); every full run rewrites this file. How to run and how to read",
    "it: [bench/README.md](README.md). Numbers are medians of the rounds; ratio = denogres / PostgreSQL.",
    "",
  );
  if (report.candidateEngine === "postgresql") {
    md.push("> **Stand-in run**: PostgreSQL ran in the denogres column (`--candidate=postgresql`).", "");
  }
  md.push("## Run", "");
  md.push(`- date: ${report.date}`);
  md.push(
    `- command: \`${report.harnessCommand}\` (${report.rounds} round${
      report.rounds === 1 ? "" : "s"
    }, pgbench -T ${report.durationS} s)`,
  );
  md.push(`- machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, kernel ${m.kernel}, ${m.os}`);
  md.push(`- Deno ${m.deno}; ${report.versions.postgresql}; ${report.versions.pgbench}`);
  md.push(`- denogres column: ${report.versions.denogres}`);
  md.push(`- wall time of the run: ${report.elapsedS.toFixed(0)} s`, "");
  md.push("## Results", "");
  md.push(`| workload | unit | better | ${_candidateHeader(report)} | postgresql | ratio | denogres is |`);
  md.push("|---|---|---|--:|--:|--:|---|");
  for (const r of _rows(report)) md.push(`| ${r.join(" | ")} |`);
  md.push("");
  for (const [kind, title] of [["errors", "Errors"], ["warnings", "Warnings"]] as const) {
    const lines = _problemLines(report, kind);
    if (lines.length > 0) md.push(`### ${title}`, "", ...lines.map((e) => `- ${e.replaceAll("|", "\\|")}`), "");
  }
  md.push("## Workloads and samples", "");
  for (const w of report.workloads) {
    md.push(`- **${w.name}** (${w.unit}, ${w.better} is better): ${w.description}.`);
    md.push(
      `  samples denogres [${w.samples.denogres.map(formatNumber).join(", ")}],` +
        ` postgresql [${w.samples.postgresql.map(formatNumber).join(", ")}]`,
    );
  }
  md.push("", "## Exact commands", "");
  md.push(
    "Equal settings appended to both clusters' `postgresql.conf` after initdb:",
    "",
    "```",
    report.settings.trim(),
    "```",
    "",
  );
  for (const c of ["denogres", "postgresql"] as const) {
    md.push(`${c} column:`, "", "```");
    const setup = report.setupCommands[c];
    md.push(setup.initdb, setup.start, "# ... workloads ...", setup.stop);
    for (const w of report.workloads) md.push(`# ${w.name}: ${w.commands[c]}`);
    md.push("```", "");
  }
  return md.join("\n");
}
