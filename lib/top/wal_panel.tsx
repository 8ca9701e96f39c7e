/**
 * wal_panel.tsx — the WAL: insert and flush positions, bytes, fsyncs and
 * records per second.
 *
 * PostgreSQL counterpart: pg_current_wal_insert_lsn(),
 * pg_current_wal_flush_lsn() and pg_stat_wal.
 *
 * NOTES
 * Display only. A figure the server does not publish shows as `-`.
 *
 * @module
 */

import { Box, Text } from "ink";
import { formatBytes, formatRate } from "./_format.ts";
import type { WalStats } from "./snapshot.ts";

/** Props of {@link WalPanel}. */
export interface WalPanelProps {
  /** Null when the segment is not attached. */
  readonly wal: WalStats | null;
}

/**
 * The WAL panel.
 *
 * @param props the WAL figures
 * @returns the element
 */
export function WalPanel({ wal }: WalPanelProps) {
  if (wal === null) return <Text bold>WAL -</Text>;
  return (
    <Box flexDirection="column">
      <Text bold>WAL</Text>
      <Text>{`insert   ${wal.insertLsn ?? "-"}`}</Text>
      <Text>{`flush    ${wal.flushLsn ?? "-"}`}</Text>
      <Text>{`written  ${wal.bytesPerS === null ? "-" : formatBytes(wal.bytesPerS)}/s`}</Text>
      <Text>{`fsyncs   ${formatRate(wal.fsyncsPerS)}/s`}</Text>
      <Text>{`records  ${formatRate(wal.recordsPerS)}/s`}</Text>
    </Box>
  );
}
