/**
 * text_frame.tsx — one frame as plain text, for `top --once`.
 *
 * PostgreSQL counterpart: none; pg_top's batch mode (`-b`).
 *
 * NOTES
 * The same Dashboard the live screen shows, rendered to a string with every
 * process listed (no scrolling) and no colour or other escape sequences, so
 * the output can be piped, grepped and diffed. No terminal is needed.
 *
 * @module
 */

import { renderToString } from "ink";
import { Dashboard } from "./dashboard.tsx";
import { arrangeProcesses } from "./process_view.ts";
import type { TopSnapshot } from "./snapshot.ts";

// SGR and other CSI sequences (colours, bold, inverse): they start with ESC.
// deno-lint-ignore no-control-regex
const _ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * Renders one frame as plain text.
 *
 * @param snapshot the snapshot to show
 * @param intervalMs the interval the rates cover (shown in the header)
 * @param width columns to lay the frame out in
 * @returns the frame, lines joined with `\n`, trailing spaces removed
 */
export function formatTextFrame(snapshot: TopSnapshot, intervalMs: number, width: number): string {
  const rows = arrangeProcesses(snapshot.processes, { sortColumn: "pid", filter: "", hideIdle: false });
  const text = renderToString(
    <Dashboard
      snapshot={snapshot}
      notices={snapshot.notices}
      rows={rows}
      selectedPid={null}
      sortColumn="pid"
      intervalMs={intervalMs}
      paused={false}
      width={width}
      maxRows={Infinity}
    />,
    { columns: width },
  );
  return text.replace(_ESCAPES, "").split("\n").map((l) => l.trimEnd()).join("\n");
}
