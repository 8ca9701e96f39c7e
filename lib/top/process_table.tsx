/**
 * process_table.tsx — the process tree: the postmaster and every child, one
 * line each, background processes first, the selected row highlighted.
 *
 * PostgreSQL counterpart: none; `ps -ef --forest` joined with
 * pg_stat_activity, as pg_activity shows it.
 *
 * NOTES
 * Display only. Shows at most `maxRows` rows, scrolled so that the selected
 * row stays visible; each row is one `<Text>` (see process_view.ts).
 *
 * @module
 */

import { Box, Text } from "ink";
import { processHeaderLine, type ProcessRow, processRowLine, type SortColumn } from "./process_view.ts";

/** Props of {@link ProcessTable}. */
export interface ProcessTableProps {
  /** Rows in screen order (see arrangeProcesses()). */
  readonly rows: readonly ProcessRow[];
  readonly selectedPid: number | null;
  readonly sortColumn: SortColumn;
  /** Terminal width in columns. */
  readonly width: number;
  /** Most rows to show (without the heading); Infinity for all. */
  readonly maxRows: number;
}

/**
 * The process table.
 *
 * @param props rows, selection, sort column and size
 * @returns the element
 */
export function ProcessTable({ rows, selectedPid, sortColumn, width, maxRows }: ProcessTableProps) {
  const selectedAt = selectedPid === null ? -1 : rows.findIndex((r) => r.process.pid === selectedPid);
  const shown = Math.max(1, Math.min(rows.length, maxRows));
  const first = selectedAt < shown ? 0 : selectedAt - shown + 1;
  const hidden = rows.length - shown;
  return (
    <Box flexDirection="column">
      <Text inverse bold wrap="truncate-end">{processHeaderLine(width, sortColumn)}</Text>
      {rows.slice(first, first + shown).map((row) => (
        <Text
          key={row.process.pid}
          wrap="truncate-end"
          inverse={row.process.pid === selectedPid}
          color={row.process.backendType === "postmaster" ? "cyan" : row.process.background ? "blue" : undefined}
        >
          {processRowLine(row, width)}
        </Text>
      ))}
      {hidden > 0 ? <Text dimColor>{`… ${hidden} more (arrows or j/k scroll)`}</Text> : null}
    </Box>
  );
}
