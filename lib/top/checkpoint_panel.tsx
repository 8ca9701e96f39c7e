/**
 * checkpoint_panel.tsx — checkpoints: timed vs requested, the last one's end
 * and duration, buffers written.
 *
 * PostgreSQL counterpart: pg_stat_bgwriter's checkpoints_timed,
 * checkpoints_req, buffers_checkpoint (pg_stat_checkpointer in 17), and the
 * `checkpoint complete` log line.
 *
 * NOTES
 * Display only. The age of the last checkpoint is taken against the
 * snapshot's own time, so a paused screen stays consistent.
 *
 * @module
 */

import { Box, Text } from "ink";
import { formatDuration } from "./_format.ts";
import type { CheckpointStats } from "./snapshot.ts";

/** Props of {@link CheckpointPanel}. */
export interface CheckpointPanelProps {
  /** Null when the segment is not attached. */
  readonly checkpoints: CheckpointStats | null;
  /** The snapshot's time, ISO 8601. */
  readonly takenAt: string;
}

/**
 * The checkpoint panel.
 *
 * @param props the checkpoint figures and the snapshot's time
 * @returns the element
 */
export function CheckpointPanel({ checkpoints: c, takenAt }: CheckpointPanelProps) {
  if (c === null) return <Text bold>Checkpoints -</Text>;
  const last = c.lastAt === null
    ? "none yet"
    : `${c.lastAt.slice(11, 19)} (${formatDuration((Date.parse(takenAt) - Date.parse(c.lastAt)) / 1000)} ago)`;
  return (
    <Box flexDirection="column">
      <Text bold>Checkpoints</Text>
      <Text>{`timed ${c.timed}  requested ${c.requested}`}</Text>
      <Text>{`last ${last}`}</Text>
      <Text>{`took ${c.lastDurationMs === null ? "-" : `${c.lastDurationMs} ms`}`}</Text>
      <Text>{`buffers written ${c.buffersWritten ?? "-"}`}</Text>
    </Box>
  );
}
