/**
 * limits.ts — the named maxima and fixed sizes of denogres.
 *
 * PostgreSQL counterpart: src/include/pg_config_manual.h, pg_config.h and the
 * MAX_* constants scattered through src/include.
 *
 * NOTES
 * Every queue, loop, retry and table has a named maximum here or beside it,
 * with its memory cost where it costs memory. Relations between limits are
 * checked at the bottom of this file when the module loads, so a bad edit
 * fails at once, in every process. Configuration-dependent limits (e.g.
 * `max_connections`) are ranges on the parameter definitions in lib/config.
 *
 * @module
 */

import { assert } from "./assert.ts";

/** Major version whose behaviour, formats and messages denogres follows. */
export const PG_MAJOR_VERSION = 15;
/** Version reported to clients as `server_version` (clients parse it as 15.x). */
export const PG_SERVER_VERSION = "15.0 (denogres 0.1.0)";
/** Catalog version written to pg_control. Bump when the on-disk catalogs change. */
export const CATALOG_VERSION_NO = 202209061;
/** pg_control format version (PostgreSQL 15: 1300). */
export const PG_CONTROL_VERSION = 1300;

/** Size of a relation page and of a shared buffer, in bytes (BLCKSZ). */
export const BLOCK_SIZE_BYTES = 8192;
/** Size of a WAL page, in bytes (XLOG_BLCKSZ). */
export const WAL_PAGE_SIZE_BYTES = 8192;
/** Blocks per relation segment file: 1 GiB / 8 KiB (RELSEG_SIZE). */
export const RELATION_SEGMENT_BLOCKS = 131072;
/** Longest identifier including its terminating byte (NAMEDATALEN). */
export const NAME_DATA_LEN = 64;

/** Highest `max_connections` + auxiliary processes (PostgreSQL's MAX_BACKENDS, 2^18 - 1). */
export const BACKENDS_MAX = 0x3ffff;
/** Auxiliary processes that hold a process-array slot: startup, checkpointer, bgwriter, walwriter, autovacuum launcher. */
export const AUX_PROCESSES_MAX = 5;

/** Largest startup packet accepted from a client, in bytes (MAX_STARTUP_PACKET_LENGTH). */
export const STARTUP_PACKET_MAX_BYTES = 10000;
/** Largest ordinary protocol message before authentication completes, in bytes (PQ_SMALL_MESSAGE_LIMIT). */
export const PROTOCOL_SMALL_MESSAGE_MAX_BYTES = 10000;
/** Largest protocol message after authentication, in bytes (PQ_LARGE_MESSAGE_LIMIT: 1 GiB - 1). */
export const PROTOCOL_MESSAGE_MAX_BYTES = 0x3fffffff;

/** Time a crashed cluster's children get to exit after SIGQUIT before SIGKILL (SIGKILL_CHILDREN_AFTER_SECS). */
export const CHILD_QUIT_GRACE_MS = 5000;

// Relations between limits, checked once per process.
assert(BLOCK_SIZE_BYTES % 1024 === 0, "BLOCK_SIZE_BYTES is a multiple of 1 KiB");
assert(WAL_PAGE_SIZE_BYTES === BLOCK_SIZE_BYTES, "WAL pages are the size of data pages");
assert(RELATION_SEGMENT_BLOCKS * BLOCK_SIZE_BYTES === 1 << 30, "relation segments are 1 GiB");
assert(STARTUP_PACKET_MAX_BYTES <= PROTOCOL_MESSAGE_MAX_BYTES, "startup packet fits a message");
