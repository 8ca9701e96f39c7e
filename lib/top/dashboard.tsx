/**
 * dashboard.tsx — one whole frame: header, buffer cache, WAL and checkpoint
 * panels, and the process tree.
 *
 * PostgreSQL counterpart: none; pg_activity's and pg_top's screens.
 *
 * NOTES
 * Display only, so the live app and `top --once` (rendered to a string) show
 * the same frame.
 *
 * @module
 */

import { Box } from "ink";
import { BufferPanel } from "./buffer_panel.tsx";
import { CheckpointPanel } from "./checkpoint_panel.tsx";
import { Header } from "./header.tsx";
import { ProcessTable } from "./process_table.tsx";
import type { ProcessRow, SortColumn } from "./process_view.ts";
import type { TopSnapshot } from "./snapshot.ts";
import { WalPanel } from "./wal_panel.tsx";

/** Props of {@link Dashboard}. */
export interface DashboardProps {
  readonly snapshot: TopSnapshot;
  /** Notice lines under the header. */
  readonly notices: readonly string[];
  /** The process rows in screen order (see arrangeProcesses()). */
  readonly rows: readonly ProcessRow[];
  readonly selectedPid: number | null;
  readonly sortColumn: SortColumn;
  readonly intervalMs: number;
  readonly paused: boolean;
  /** Terminal width in columns. */
  readonly width: number;
  /** Most process rows to show; Infinity for all. */
  readonly maxRows: number;
}

/** Lines of the panels row: the buffer panel is the tallest (title, used, heading, three rates, usage). */
const _PANEL_LINES = 7;

/**
 * Lines a frame takes besides the process rows, to fit the table to the
 * terminal: header, notices, panels, blank lines, table heading, the
 * "more" line.
 *
 * @param snapshot the snapshot shown
 * @param noticeLines notice lines shown
 * @returns the number of lines
 */
export function dashboardChromeLines(snapshot: TopSnapshot, noticeLines: number): number {
  const header = snapshot.server === null ? 1 : 2;
  return header + noticeLines + 1 + _PANEL_LINES + 1 + 1 + 1;
}

/**
 * One frame of the dashboard.
 *
 * @param props the snapshot, rows, view settings and size
 * @returns the element
 */
export function Dashboard(props: DashboardProps) {
  const { snapshot } = props;
  return (
    <Box flexDirection="column" width={props.width}>
      <Header snapshot={snapshot} notices={props.notices} intervalMs={props.intervalMs} paused={props.paused} />
      <Box marginTop={1} columnGap={4} flexWrap="wrap">
        <BufferPanel buffers={snapshot.buffers} />
        <WalPanel wal={snapshot.wal} />
        <CheckpointPanel checkpoints={snapshot.checkpoints} takenAt={snapshot.takenAt} />
      </Box>
      <Box marginTop={1}>
        <ProcessTable
          rows={props.rows}
          selectedPid={props.selectedPid}
          sortColumn={props.sortColumn}
          width={props.width}
          maxRows={props.maxRows}
        />
      </Box>
    </Box>
  );
}
