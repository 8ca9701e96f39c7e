/**
 * buffer_panel.tsx — the buffer cache: size, used, dirty, pinned, hit ratio,
 * reads/writes/evictions per second by who did them, usage-count histogram.
 *
 * PostgreSQL counterpart: pg_buffercache_summary() and the buffer columns of
 * pg_stat_io / pg_stat_bgwriter.
 *
 * NOTES
 * Display only. A figure the server does not publish shows as `-`.
 *
 * @module
 */

import { Box, Text } from "ink";
import { fit, formatBytes, formatRate, formatRatio } from "./_format.ts";
import type { BufferIoRates, BufferStats } from "./snapshot.ts";

/** Props of {@link BufferPanel}. */
export interface BufferPanelProps {
  /** Null when the segment is not attached. */
  readonly buffers: BufferStats | null;
}

const _WHO = [["backends", "backends"], ["bgwriter", "bgwriter"], ["checkpointer", "checkpointer"]] as const;

/**
 * The buffer cache panel.
 *
 * @param props the buffer figures
 * @returns the element
 */
export function BufferPanel({ buffers: b }: BufferPanelProps) {
  if (b === null) return <Text bold>Buffer cache -</Text>;
  const n = (x: number | null) => x === null ? "-" : x.toString();
  const rateLine = (label: string, r: BufferIoRates | undefined) =>
    fit(label, 13) + [r?.readsPerS, r?.writesPerS, r?.evictionsPerS]
      .map((x) => fit(formatRate(x ?? null), 9, true)).join("");
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>Buffer cache</Text>
        {`  ${b.sizeBuffers} × ${formatBytes(b.blockSizeBytes)} = ${formatBytes(b.sizeBuffers * b.blockSizeBytes)}`}
      </Text>
      <Text>
        {`used ${n(b.usedBuffers)}  dirty ${n(b.dirtyBuffers)}  pinned ${n(b.pinnedBuffers)}  hit ${
          formatRatio(b.hitRatio)
        }`}
      </Text>
      <Text dimColor>{fit("", 13) + ["reads/s", "writes/s", "evict/s"].map((h) => fit(h, 9, true)).join("")}</Text>
      {_WHO.map(([key, label]) => <Text key={key}>{rateLine(label, b.rates?.[key])}</Text>)}
      <Text>
        {`usage ${b.usageCountHistogram === null ? "-" : b.usageCountHistogram.map((c, i) => `${i}:${c}`).join(" ")}`}
      </Text>
    </Box>
  );
}
