/**
 * process_view.ts — the process tree as rows: order (postmaster, background
 * processes, client backends, like `ps -ef --forest`), sort, filter, hide
 * idle, and the fixed-width text of each row.
 *
 * PostgreSQL counterpart: none; pg_activity's process table and pg_top's
 * sort keys.
 *
 * NOTES
 * Pure functions over a snapshot's processes: the table component and
 * `top --once` both use them, and key handling moves the selection through the
 * same order the screen shows. Each row is one string, so a frame is one
 * `<Text>` per row, not one per cell (keeps Ink's layout work small).
 *
 * @module
 */

import { fit, formatBytes, formatDuration } from "./_format.ts";
import type { ProcessInfo } from "./snapshot.ts";

/** Columns `s` cycles through, in order; `pid` keeps the tree order of `ps --forest`. */
export const SORT_COLUMNS = ["pid", "cpu", "rss", "time"] as const;
/** A sort column. */
export type SortColumn = typeof SORT_COLUMNS[number];

/** What the table shows of the processes. */
export interface ProcessViewOptions {
  readonly sortColumn: SortColumn;
  /** Case-insensitive substring of pid, type, state, user, database, application, client or query; "" for all. */
  readonly filter: string;
  /** Hide client backends whose state is `idle`. */
  readonly hideIdle: boolean;
}

/** One row of the tree. */
export interface ProcessRow {
  readonly process: ProcessInfo;
  /** 0 for the postmaster (and orphans), 1 for its children. */
  readonly depth: 0 | 1;
  /** Last child of its parent (draws `└` instead of `├`). */
  readonly lastChild: boolean;
}

/**
 * Orders, sorts and filters the processes for display. The postmaster always
 * stays (as the root of the tree); background processes come before client
 * backends, each group sorted by the column (descending for figures, by pid
 * for `pid`).
 *
 * @param processes a snapshot's processes (postmaster first)
 * @param options sort column, filter, hide-idle
 * @returns the rows in screen order
 * @example
 * ```ts
 * const rows = arrangeProcesses(snapshot.processes, { sortColumn: "cpu", filter: "", hideIdle: true });
 * ```
 */
export function arrangeProcesses(processes: readonly ProcessInfo[], options: ProcessViewOptions): ProcessRow[] {
  const root = processes.find((p) => p.backendType === "postmaster");
  const needle = options.filter.toLowerCase();
  const children = processes.filter((p) =>
    p !== root && !(options.hideIdle && _isIdleSession(p)) && (needle === "" || _matches(p, needle))
  );
  const compare = _COMPARE[options.sortColumn];
  const background = children.filter((p) => p.background).sort(compare);
  const sessions = children.filter((p) => !p.background).sort(compare);
  const ordered = [...background, ...sessions];
  const rows: ProcessRow[] = [];
  if (root !== undefined) rows.push({ process: root, depth: 0, lastChild: false });
  const depth = root === undefined ? 0 : 1;
  ordered.forEach((p, i) => rows.push({ process: p, depth, lastChild: i === ordered.length - 1 }));
  return rows;
}

// Column widths of the table, in order; QUERY takes what is left.
const _W = { pid: 7, type: 21, state: 13, cpu: 5, rss: 7, wait: 17, time: 6, user: 10, db: 10, client: 15 } as const;
const _FIXED_WIDTH = Object.values(_W).reduce((a, b) => a + b + 1, 0);
/** Narrowest QUERY column shown; below it the line is cut at the terminal's edge. */
const _QUERY_MIN_WIDTH = 10;

/**
 * The table's heading line, the sort column marked with `▼`.
 *
 * @param width the terminal's width in columns
 * @param sortColumn the current sort column
 * @returns the heading text
 */
export function processHeaderLine(width: number, sortColumn: SortColumn): string {
  const mark = (name: string, col: SortColumn) => sortColumn === col ? `${name}▼` : name;
  return [
    fit(mark("PID", "pid"), _W.pid, true),
    fit("TYPE", _W.type),
    fit("STATE", _W.state),
    fit(mark("CPU%", "cpu"), _W.cpu, true),
    fit(mark("RSS", "rss"), _W.rss, true),
    fit("WAIT", _W.wait),
    fit(mark("TIME", "time"), _W.time, true),
    fit("USER", _W.user),
    fit("DATABASE", _W.db),
    fit("CLIENT", _W.client),
    fit("QUERY", _queryWidth(width)),
  ].join(" ");
}

/**
 * One row of the table as text.
 *
 * @param row the row
 * @param width the terminal's width in columns
 * @returns the row's text (exactly the table's width)
 */
export function processRowLine(row: ProcessRow, width: number): string {
  const p = row.process;
  const branch = row.depth === 0 ? "" : row.lastChild ? "└ " : "├ ";
  return [
    fit(p.pid.toString(), _W.pid, true),
    fit(branch + p.backendType, _W.type),
    fit(_STATE_SHORT[p.state ?? ""] ?? p.state ?? "", _W.state),
    fit(p.cpuPercent === null ? "-" : p.cpuPercent.toFixed(1), _W.cpu, true),
    fit(p.rssBytes === null ? "-" : formatBytes(p.rssBytes), _W.rss, true),
    fit(p.waitEvent ?? "", _W.wait),
    fit(p.stateDurationS === null ? "" : formatDuration(p.stateDurationS), _W.time, true),
    fit(p.user ?? "", _W.user),
    fit(p.database ?? "", _W.db),
    fit(p.clientAddr ?? "", _W.client),
    fit(p.query ?? "", _queryWidth(width)),
  ].join(" ");
}

/**
 * Whether `c`/`K` may signal this process: a client backend of the cluster
 * (it has a process-array slot), as pg_cancel_backend() only signals backends.
 *
 * @param p a process
 * @returns true for a client backend with a slot
 */
export function isSignallableBackend(p: ProcessInfo): boolean {
  return p.inProcArray && p.backendType === "client backend";
}

function _queryWidth(width: number): number {
  return Math.max(_QUERY_MIN_WIDTH, width - _FIXED_WIDTH);
}

const _STATE_SHORT: Readonly<Record<string, string>> = {
  "idle in transaction": "idle in xact",
  "idle in transaction (aborted)": "idle xact(ab)",
  "fastpath function call": "fastpath",
};

function _isIdleSession(p: ProcessInfo): boolean {
  return !p.background && p.state === "idle";
}

function _matches(p: ProcessInfo, needle: string): boolean {
  const fields = [
    p.pid.toString(),
    p.backendType,
    p.state,
    p.user,
    p.database,
    p.applicationName,
    p.clientAddr,
    p.query,
  ];
  return fields.some((f) => f !== null && f.toLowerCase().includes(needle));
}

const _byPid = (a: ProcessInfo, b: ProcessInfo) => a.pid - b.pid;
const _desc = (x: number | null) => x ?? -1;
const _COMPARE: Record<SortColumn, (a: ProcessInfo, b: ProcessInfo) => number> = {
  pid: _byPid,
  cpu: (a, b) => _desc(b.cpuPercent) - _desc(a.cpuPercent) || _byPid(a, b),
  rss: (a, b) => _desc(b.rssBytes) - _desc(a.rssBytes) || _byPid(a, b),
  time: (a, b) => _desc(b.stateDurationS) - _desc(a.stateDurationS) || _byPid(a, b),
};
