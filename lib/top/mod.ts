/**
 * `top`: the live dashboard of a denogres cluster. See README.md.
 *
 * @module
 */
export { parseIntervalMs, TOP_EXIT_NO_SERVER, topMain } from "./top_main.tsx";
export { SnapshotReader } from "./snapshot_reader.ts";
export { TOP_SNAPSHOT_SCHEMA } from "./snapshot_schema.ts";
export type {
  BufferIoRates,
  BufferStats,
  CheckpointStats,
  ClusterStatus,
  ProcessInfo,
  ServerInfo,
  ServerState,
  TopSnapshot,
  WalStats,
} from "./snapshot.ts";
export { TOP_SNAPSHOT_SCHEMA_VERSION } from "./snapshot.ts";
