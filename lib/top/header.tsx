/**
 * header.tsx — the header: postmaster pid, uptime, port and socket, state,
 * connections used of max_connections, transactions per second, and the
 * notices (server stopped, restarted, reset).
 *
 * PostgreSQL counterpart: none; pg_activity's and pg_top's header lines.
 *
 * NOTES
 * Display only: takes props, keeps no state.
 *
 * @module
 */

import { Box, Text } from "ink";
import { formatRate, formatUptime } from "./_format.ts";
import type { ServerState, TopSnapshot } from "./snapshot.ts";

/** Props of {@link Header}. */
export interface HeaderProps {
  readonly snapshot: TopSnapshot;
  /** Notice lines to show under the header (the snapshot's own, or a log of recent ones). */
  readonly notices: readonly string[];
  readonly intervalMs: number;
  readonly paused: boolean;
}

const _STATE_COLOR: Record<ServerState, string> = {
  "starting": "yellow",
  "in recovery": "yellow",
  "ready": "green",
  "shutting down": "yellow",
};

/**
 * The header lines.
 *
 * @param props the snapshot, refresh interval and pause flag
 * @returns the element
 */
export function Header({ snapshot, notices, intervalMs, paused }: HeaderProps) {
  const s = snapshot.server;
  const refresh = `every ${(intervalMs / 1000).toString()}s${paused ? " (paused)" : ""}`;
  return (
    <Box flexDirection="column">
      {s === null
        ? (
          <Text>
            <Text color="red" bold>{snapshot.status}</Text>
            <Text>{`  data directory ${snapshot.dataDir}  ${refresh}`}</Text>
          </Text>
        )
        : (
          <>
            <Text>
              <Text bold>{`postmaster ${s.pid}`}</Text>
              <Text>{`  up ${formatUptime(s.uptimeS)}  port ${s.port}`}</Text>
              <Text>{`${s.socketDir === "" ? "" : `  socket ${s.socketDir}`}  `}</Text>
              <Text color={_STATE_COLOR[s.state]} bold>{s.state}</Text>
              <Text>{snapshot.status === "running" ? "" : `  (${snapshot.status})`}</Text>
            </Text>
            <Text>
              {`connections ${s.connectionsUsed}/${s.connectionsMax ?? "?"}  tps ${formatRate(s.transactionsPerS)}`}
              {`  generation ${s.generation ?? "?"}  ${refresh}`}
            </Text>
          </>
        )}
      {notices.map((n, i) => <Text key={i} color="yellow" wrap="truncate-end">{`! ${n}`}</Text>)}
    </Box>
  );
}
