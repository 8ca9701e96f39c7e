/**
 * guc_tables.ts — every configuration parameter denogres knows: its type,
 * default, range, unit, context and one line of description.
 *
 * PostgreSQL counterpart: src/backend/utils/misc/guc_tables.c (guc.c in 15)
 * and postgresql.conf.sample.
 *
 * NOTES
 * This table is the one source of truth: `initdb` writes postgresql.conf from
 * it, the server validates files against it, `SHOW ALL` lists it. A parameter
 * is here only if denogres honours or reports it. Defaults, ranges, units and
 * contexts are PostgreSQL 15's unless the description says otherwise. Integer
 * values are stored in the parameter's base unit (e.g. `shared_buffers` in
 * 8 kB blocks, `checkpoint_timeout` in seconds), as PostgreSQL does.
 *
 * @module
 */

import { PG_SERVER_VERSION } from "../common/limits.ts";

/**
 * When a parameter may change, as PostgreSQL's GucContext:
 * - `internal`: never (compiled in or fixed by initdb);
 * - `postmaster`: at server start only;
 * - `sighup`: in the configuration files, applied on reload (SIGHUP);
 * - `superuser-backend`/`backend`: at connection start;
 * - `superuser`: by a superuser with SET;
 * - `user`: by anyone with SET.
 */
export type GucContext =
  | "internal"
  | "postmaster"
  | "sighup"
  | "superuser-backend"
  | "backend"
  | "superuser"
  | "user";

/** Base units of integer parameters, as PostgreSQL's GUC_UNIT_*. */
export type GucUnit = "B" | "kB" | "MB" | "8kB" | "ms" | "s" | "min";

interface _GucCommon {
  /** Lower-case name, except the few PostgreSQL spells in mixed case (DateStyle, TimeZone, IntervalStyle). */
  readonly name: string;
  readonly context: GucContext;
  /** Section of postgresql.conf, as PostgreSQL's category. */
  readonly group: string;
  /** One line, as PostgreSQL's short_desc. */
  readonly description: string;
  /** Reported to the client in a ParameterStatus message when it changes (GUC_REPORT). */
  readonly report?: boolean;
  /** Left out of the postgresql.conf initdb writes: a per-session setting (GUC_NOT_IN_SAMPLE). */
  readonly notInSample?: boolean;
}

/** A boolean parameter. */
export interface BoolGuc extends _GucCommon {
  readonly type: "bool";
  readonly default: boolean;
}
/** An integer parameter, in its base unit. */
export interface IntGuc extends _GucCommon {
  readonly type: "int";
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly unit?: GucUnit;
}
/** A floating-point parameter. */
export interface RealGuc extends _GucCommon {
  readonly type: "real";
  readonly default: number;
  readonly min: number;
  readonly max: number;
}
/** A free-form string parameter. */
export interface StringGuc extends _GucCommon {
  readonly type: "string";
  readonly default: string;
}
/** A parameter taking one of a fixed set of values (compared case-insensitively). */
export interface EnumGuc extends _GucCommon {
  readonly type: "enum";
  readonly default: string;
  readonly values: readonly string[];
}

/** Any parameter definition. */
export type GucDefinition = BoolGuc | IntGuc | RealGuc | StringGuc | EnumGuc;

const INT_MAX = 2147483647;
const G_CONN = "Connections and Authentication";
const G_MEM = "Resource Usage";
const G_WAL = "Write-Ahead Log";
const G_LOG = "Reporting and Logging";
const G_STATS = "Statistics";
const G_AV = "Autovacuum";
const G_CLIENT = "Client Connection Defaults";
const G_ERR = "Error Handling";
const G_LOCK = "Lock Management";
const G_COMPAT = "Version and Platform Compatibility";
const G_PRESET = "Preset Options";
const LOG_LEVELS = [
  "debug5",
  "debug4",
  "debug3",
  "debug2",
  "debug1",
  "info",
  "notice",
  "warning",
  "error",
  "log",
  "fatal",
  "panic",
] as const;
const ISOLATION_LEVELS = ["serializable", "repeatable read", "read committed", "read uncommitted"] as const;

/** Every parameter, grouped as in postgresql.conf. */
export const GUC_DEFINITIONS = [
  // Connections and Authentication
  {
    name: "listen_addresses",
    type: "string",
    default: "localhost",
    context: "postmaster",
    group: G_CONN,
    description: "Sets the host name or IP address(es) to listen to.",
  },
  {
    name: "port",
    type: "int",
    default: 5432,
    min: 1,
    max: 65535,
    context: "postmaster",
    group: G_CONN,
    description: "Sets the TCP port the server listens on.",
  },
  {
    name: "max_connections",
    type: "int",
    default: 100,
    min: 1,
    max: 262143,
    context: "postmaster",
    group: G_CONN,
    description: "Sets the maximum number of concurrent connections.",
  },
  {
    name: "superuser_reserved_connections",
    type: "int",
    default: 3,
    min: 0,
    max: 262143,
    context: "postmaster",
    group: G_CONN,
    description: "Sets the number of connection slots reserved for superusers.",
  },
  {
    name: "spare_backends",
    type: "int",
    default: 2,
    min: 0,
    max: 64,
    context: "sighup",
    group: G_CONN,
    description: "Sets the number of initialised backend processes kept waiting for new connections (denogres).",
  },
  {
    // denogres: a backend whose session ended cleanly serves the next connection instead of exiting
    // (lib/postmaster/README.md, "Backend recycling"); 0 gives PostgreSQL's one process per connection.
    name: "backend_session_limit",
    type: "int",
    default: 1000,
    min: 0,
    max: INT_MAX,
    context: "sighup",
    group: G_CONN,
    description: "Sets how many client sessions one backend process serves before it exits; 0: one (denogres).",
  },
  {
    // denogres: recycled backends beyond spare_backends leave the pool after waiting this long.
    name: "spare_backend_idle_timeout",
    type: "int",
    default: 10_000,
    min: 0,
    max: INT_MAX,
    unit: "ms",
    context: "sighup",
    group: G_CONN,
    description:
      "Sets how long a backend process beyond spare_backends waits for a new connection before it exits (denogres).",
  },
  {
    name: "unix_socket_directories",
    type: "string",
    default: "/tmp",
    context: "postmaster",
    group: G_CONN,
    description: "Sets the directories where Unix-domain sockets will be created.",
  },
  {
    name: "unix_socket_permissions",
    type: "int",
    default: 0o777,
    min: 0,
    max: 0o777,
    context: "postmaster",
    group: G_CONN,
    description: "Sets the access permissions of the Unix-domain socket.",
  },
  {
    name: "authentication_timeout",
    type: "int",
    default: 60,
    min: 1,
    max: 600,
    unit: "s",
    context: "sighup",
    group: G_CONN,
    description: "Sets the maximum allowed time to complete client authentication.",
  },
  {
    name: "password_encryption",
    type: "enum",
    default: "scram-sha-256",
    values: ["md5", "scram-sha-256"],
    context: "user",
    group: G_CONN,
    description: "Chooses the algorithm for encrypting passwords.",
  },
  // Resource Usage
  {
    name: "shared_buffers",
    type: "int",
    default: 16384,
    min: 16,
    max: 1073741823,
    unit: "8kB",
    context: "postmaster",
    group: G_MEM,
    description: "Sets the number of shared memory buffers used by the server.",
  },
  {
    name: "work_mem",
    type: "int",
    default: 4096,
    min: 64,
    max: INT_MAX,
    unit: "kB",
    context: "user",
    group: G_MEM,
    description: "Sets the maximum memory to be used for query workspaces.",
  },
  {
    name: "bgwriter_delay",
    type: "int",
    default: 200,
    min: 10,
    max: 10000,
    unit: "ms",
    context: "sighup",
    group: G_MEM,
    description: "Background writer sleep time between rounds.",
  },
  {
    name: "bgwriter_lru_maxpages",
    type: "int",
    default: 100,
    min: 0,
    max: 1073741823,
    context: "sighup",
    group: G_MEM,
    description: "Background writer maximum number of LRU pages to flush per round.",
  },
  {
    name: "bgwriter_lru_multiplier",
    type: "real",
    default: 2,
    min: 0,
    max: 10,
    context: "sighup",
    group: G_MEM,
    description: "Multiple of the average buffer usage to free per round.",
  },
  {
    name: "dynamic_shared_memory_type",
    type: "enum",
    default: "posix",
    values: ["posix"],
    context: "postmaster",
    group: G_MEM,
    description: "Selects the dynamic shared memory implementation used (denogres: posix only).",
  },
  // Write-Ahead Log
  {
    name: "fsync",
    type: "bool",
    default: true,
    context: "sighup",
    group: G_WAL,
    description: "Forces synchronization of updates to disk.",
  },
  {
    name: "synchronous_commit",
    type: "enum",
    default: "on",
    values: ["local", "remote_write", "remote_apply", "on", "off"],
    context: "user",
    group: G_WAL,
    description: "Sets the current transaction's synchronization level.",
  },
  {
    name: "full_page_writes",
    type: "bool",
    default: true,
    context: "sighup",
    group: G_WAL,
    description: "Writes full pages to WAL when first modified after a checkpoint.",
  },
  {
    name: "wal_buffers",
    type: "int",
    default: -1,
    min: -1,
    max: 262143,
    unit: "8kB",
    context: "postmaster",
    group: G_WAL,
    description:
      "Sets the number of disk-page buffers in shared memory for WAL (-1: 1/32 of shared_buffers, 64kB to 16MB).",
  },
  {
    name: "wal_writer_delay",
    type: "int",
    default: 200,
    min: 1,
    max: 10000,
    unit: "ms",
    context: "sighup",
    group: G_WAL,
    description: "Time between WAL flushes performed in the WAL writer.",
  },
  {
    name: "checkpoint_timeout",
    type: "int",
    default: 300,
    min: 30,
    max: 86400,
    unit: "s",
    context: "sighup",
    group: G_WAL,
    description: "Sets the maximum time between automatic WAL checkpoints.",
  },
  {
    name: "checkpoint_completion_target",
    type: "real",
    default: 0.9,
    min: 0,
    max: 1,
    context: "sighup",
    group: G_WAL,
    description: "Time spent flushing dirty buffers during checkpoint, as fraction of checkpoint interval.",
  },
  {
    name: "checkpoint_warning",
    type: "int",
    default: 30,
    min: 0,
    max: INT_MAX,
    unit: "s",
    context: "sighup",
    group: G_WAL,
    description: "Sets the maximum time before warning if checkpoints triggered by WAL volume happen too frequently.",
  },
  {
    name: "max_wal_size",
    type: "int",
    default: 1024,
    min: 2,
    max: INT_MAX,
    unit: "MB",
    context: "sighup",
    group: G_WAL,
    description: "Sets the WAL size that triggers a checkpoint.",
  },
  {
    name: "min_wal_size",
    type: "int",
    default: 80,
    min: 2,
    max: INT_MAX,
    unit: "MB",
    context: "sighup",
    group: G_WAL,
    description: "Sets the minimum size to shrink the WAL to.",
  },
  // Reporting and Logging
  {
    name: "log_destination",
    type: "enum",
    default: "stderr",
    values: ["stderr"],
    context: "sighup",
    group: G_LOG,
    description: "Sets the destination for server log output.",
  },
  {
    name: "log_min_messages",
    type: "enum",
    default: "warning",
    values: LOG_LEVELS,
    context: "superuser",
    group: G_LOG,
    description: "Sets the message levels that are logged.",
  },
  {
    name: "log_line_prefix",
    type: "string",
    default: "%m [%p] ",
    context: "sighup",
    group: G_LOG,
    description: "Controls information prefixed to each log line.",
  },
  {
    name: "log_timezone",
    type: "string",
    default: "UTC",
    context: "sighup",
    group: G_LOG,
    description: "Sets the time zone to use in log messages (denogres: UTC only).",
  },
  {
    name: "log_checkpoints",
    type: "bool",
    default: true,
    context: "sighup",
    group: G_LOG,
    description: "Logs each checkpoint.",
  },
  {
    name: "log_connections",
    type: "bool",
    default: false,
    context: "superuser-backend",
    group: G_LOG,
    description: "Logs each successful connection.",
  },
  {
    name: "log_disconnections",
    type: "bool",
    default: false,
    context: "superuser-backend",
    group: G_LOG,
    description: "Logs end of a session, including duration.",
  },
  {
    name: "log_statement",
    type: "enum",
    default: "none",
    values: ["none", "ddl", "mod", "all"],
    context: "superuser",
    group: G_LOG,
    description: "Sets the type of statements logged.",
  },
  {
    name: "log_min_duration_statement",
    type: "int",
    default: -1,
    min: -1,
    max: INT_MAX,
    unit: "ms",
    context: "superuser",
    group: G_LOG,
    description: "Sets the minimum execution time above which all statements will be logged.",
  },
  {
    name: "cluster_name",
    type: "string",
    default: "",
    context: "postmaster",
    group: G_LOG,
    description: "Sets the name of the cluster, which is included in the process title.",
  },
  {
    name: "update_process_title",
    type: "bool",
    default: true,
    context: "superuser",
    group: G_LOG,
    description: "Updates the process title to show the active SQL command.",
  },
  {
    name: "application_name",
    type: "string",
    default: "",
    context: "user",
    group: G_LOG,
    report: true,
    description: "Sets the application name to be reported in statistics and logs.",
  },
  // Statistics
  {
    name: "track_activities",
    type: "bool",
    default: true,
    context: "superuser",
    group: G_STATS,
    description: "Collects information about executing commands.",
  },
  {
    name: "track_activity_query_size",
    type: "int",
    default: 1024,
    min: 100,
    max: 1048576,
    unit: "B",
    context: "postmaster",
    group: G_STATS,
    description: "Sets the size reserved for pg_stat_activity.query, in bytes.",
  },
  {
    name: "track_counts",
    type: "bool",
    default: true,
    context: "superuser",
    group: G_STATS,
    description: "Collects statistics on database activity.",
  },
  // Autovacuum
  {
    name: "autovacuum",
    type: "bool",
    default: true,
    context: "sighup",
    group: G_AV,
    description: "Starts the autovacuum subprocess.",
  },
  {
    name: "autovacuum_max_workers",
    type: "int",
    default: 3,
    min: 1,
    max: 262143,
    context: "postmaster",
    group: G_AV,
    description: "Sets the maximum number of simultaneously running autovacuum worker processes.",
  },
  {
    name: "autovacuum_naptime",
    type: "int",
    default: 60,
    min: 1,
    max: 2147483,
    unit: "s",
    context: "sighup",
    group: G_AV,
    description: "Time to sleep between autovacuum runs.",
  },
  // Client Connection Defaults
  {
    name: "client_min_messages",
    type: "enum",
    default: "notice",
    values: ["debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error"],
    context: "user",
    group: G_CLIENT,
    description: "Sets the message levels that are sent to the client.",
  },
  {
    name: "search_path",
    type: "string",
    default: '"$user", public',
    context: "user",
    group: G_CLIENT,
    description: "Sets the schema search order for names that are not schema-qualified.",
  },
  {
    name: "default_transaction_isolation",
    type: "enum",
    default: "read committed",
    values: ISOLATION_LEVELS,
    context: "user",
    group: G_CLIENT,
    description: "Sets the transaction isolation level of each new transaction.",
  },
  {
    name: "transaction_isolation",
    notInSample: true,
    type: "enum",
    default: "read committed",
    values: ISOLATION_LEVELS,
    context: "user",
    group: G_CLIENT,
    description: "Sets the current transaction's isolation level.",
  },
  {
    name: "default_transaction_read_only",
    type: "bool",
    default: false,
    context: "user",
    group: G_CLIENT,
    report: true,
    description: "Sets the default read-only status of new transactions.",
  },
  {
    name: "transaction_read_only",
    notInSample: true,
    type: "bool",
    default: false,
    context: "user",
    group: G_CLIENT,
    description: "Sets the current transaction's read-only status.",
  },
  {
    name: "statement_timeout",
    type: "int",
    default: 0,
    min: 0,
    max: INT_MAX,
    unit: "ms",
    context: "user",
    group: G_CLIENT,
    description: "Sets the maximum allowed duration of any statement.",
  },
  {
    name: "lock_timeout",
    type: "int",
    default: 0,
    min: 0,
    max: INT_MAX,
    unit: "ms",
    context: "user",
    group: G_CLIENT,
    description: "Sets the maximum allowed duration of any wait for a lock.",
  },
  {
    name: "idle_in_transaction_session_timeout",
    type: "int",
    default: 0,
    min: 0,
    max: INT_MAX,
    unit: "ms",
    context: "user",
    group: G_CLIENT,
    description: "Sets the maximum allowed idle time between queries, when in a transaction.",
  },
  {
    name: "idle_session_timeout",
    type: "int",
    default: 0,
    min: 0,
    max: INT_MAX,
    unit: "ms",
    context: "user",
    group: G_CLIENT,
    description: "Sets the maximum allowed idle time between queries, when not in a transaction.",
  },
  {
    name: "DateStyle",
    type: "string",
    default: "ISO, MDY",
    context: "user",
    group: G_CLIENT,
    report: true,
    description: "Sets the display format for date and time values.",
  },
  {
    name: "IntervalStyle",
    type: "enum",
    default: "postgres",
    values: ["postgres", "postgres_verbose", "sql_standard", "iso_8601"],
    context: "user",
    group: G_CLIENT,
    report: true,
    description: "Sets the display format for interval values.",
  },
  {
    name: "TimeZone",
    type: "string",
    default: "UTC",
    context: "user",
    group: G_CLIENT,
    report: true,
    description: "Sets the time zone for displaying and interpreting time stamps.",
  },
  {
    name: "extra_float_digits",
    type: "int",
    default: 1,
    min: -15,
    max: 3,
    context: "user",
    group: G_CLIENT,
    description: "Sets the number of digits displayed for floating-point values.",
  },
  {
    name: "client_encoding",
    type: "string",
    default: "UTF8",
    context: "user",
    group: G_CLIENT,
    report: true,
    description: "Sets the client's character set encoding.",
  },
  {
    name: "bytea_output",
    type: "enum",
    default: "hex",
    values: ["escape", "hex"],
    context: "user",
    group: G_CLIENT,
    description: "Sets the output format for bytea.",
  },
  // Locales: denogres implements the C locale only, so these accept C (or its alias POSIX).
  {
    name: "lc_messages",
    type: "enum",
    default: "C",
    values: ["C", "POSIX"],
    context: "superuser",
    group: G_CLIENT,
    description: "Sets the language in which messages are displayed (denogres: C only).",
  },
  {
    name: "lc_monetary",
    type: "enum",
    default: "C",
    values: ["C", "POSIX"],
    context: "user",
    group: G_CLIENT,
    description: "Sets the locale for formatting monetary amounts (denogres: C only).",
  },
  {
    name: "lc_numeric",
    type: "enum",
    default: "C",
    values: ["C", "POSIX"],
    context: "user",
    group: G_CLIENT,
    description: "Sets the locale for formatting numbers (denogres: C only).",
  },
  {
    name: "lc_time",
    type: "enum",
    default: "C",
    values: ["C", "POSIX"],
    context: "user",
    group: G_CLIENT,
    description: "Sets the locale for formatting date and time values (denogres: C only).",
  },
  {
    name: "default_text_search_config",
    type: "string",
    default: "pg_catalog.simple",
    context: "user",
    group: G_CLIENT,
    description: "Sets default text search configuration.",
  },
  // Lock Management
  {
    name: "max_locks_per_transaction",
    type: "int",
    default: 64,
    min: 10,
    max: INT_MAX,
    context: "postmaster",
    group: G_LOCK,
    description: "Sets the maximum number of locks per transaction.",
  },
  {
    name: "deadlock_timeout",
    type: "int",
    default: 1000,
    min: 1,
    max: INT_MAX,
    unit: "ms",
    context: "superuser",
    group: G_LOCK,
    description: "Sets the time to wait on a lock before checking for deadlock.",
  },
  // Version and Platform Compatibility
  {
    name: "standard_conforming_strings",
    type: "bool",
    default: true,
    context: "user",
    group: G_COMPAT,
    report: true,
    description: "Causes '...' strings to treat backslashes literally.",
  },
  // Error Handling
  {
    name: "restart_after_crash",
    type: "bool",
    default: true,
    context: "sighup",
    group: G_ERR,
    description: "Reinitialize server after backend crash.",
  },
  // Preset Options: reported, never set in a file.
  {
    name: "in_hot_standby",
    type: "bool",
    default: false,
    context: "internal",
    group: G_PRESET,
    report: true,
    description: "Shows whether hot standby is currently active.",
  },
  {
    name: "server_version",
    type: "string",
    default: PG_SERVER_VERSION,
    context: "internal",
    group: G_PRESET,
    report: true,
    description: "Shows the server version.",
  },
  {
    name: "server_version_num",
    type: "int",
    default: 150000,
    min: 150000,
    max: 150000,
    context: "internal",
    group: G_PRESET,
    description: "Shows the server version as an integer.",
  },
  {
    name: "server_encoding",
    type: "string",
    default: "UTF8",
    context: "internal",
    group: G_PRESET,
    report: true,
    description: "Shows the server (database) character set encoding.",
  },
  {
    name: "integer_datetimes",
    type: "bool",
    default: true,
    context: "internal",
    group: G_PRESET,
    report: true,
    description: "Shows whether datetimes are integer based.",
  },
  {
    name: "block_size",
    type: "int",
    default: 8192,
    min: 8192,
    max: 8192,
    context: "internal",
    group: G_PRESET,
    description: "Shows the size of a disk block.",
  },
  {
    name: "wal_block_size",
    type: "int",
    default: 8192,
    min: 8192,
    max: 8192,
    context: "internal",
    group: G_PRESET,
    description: "Shows the block size in the write ahead log.",
  },
  {
    name: "segment_size",
    type: "int",
    default: 131072,
    min: 131072,
    max: 131072,
    unit: "8kB",
    context: "internal",
    group: G_PRESET,
    description: "Shows the number of pages per disk file.",
  },
  {
    name: "wal_segment_size",
    type: "int",
    default: 16777216,
    min: 1048576,
    max: 1073741824,
    unit: "B",
    context: "internal",
    group: G_PRESET,
    description: "Shows the size of write ahead log segments.",
  },
  {
    name: "data_checksums",
    type: "bool",
    default: true,
    context: "internal",
    group: G_PRESET,
    description: "Shows whether data checksums are turned on for this cluster.",
  },
  {
    name: "max_identifier_length",
    type: "int",
    default: 63,
    min: 63,
    max: 63,
    context: "internal",
    group: G_PRESET,
    description: "Shows the maximum identifier length.",
  },
  {
    name: "is_superuser",
    type: "bool",
    default: false,
    context: "internal",
    group: G_PRESET,
    report: true,
    description: "Shows whether the current user is a superuser.",
  },
  {
    name: "session_authorization",
    notInSample: true,
    type: "string",
    default: "",
    context: "superuser",
    group: G_PRESET,
    report: true,
    description: "Sets the session user name.",
  },
] as const satisfies readonly GucDefinition[];

/** Name of a known parameter, as spelled in {@link GUC_DEFINITIONS}. */
export type GucName = (typeof GUC_DEFINITIONS)[number]["name"];

const _byLowerName = new Map<string, GucDefinition>(
  GUC_DEFINITIONS.map((d) => [d.name.toLowerCase(), d]),
);

/**
 * Finds a parameter by name, case-insensitively, as PostgreSQL does.
 *
 * @param name the parameter name as written by a user
 * @returns its definition, or `undefined` if denogres does not know it
 * @example
 * ```ts
 * findGuc("Shared_Buffers")?.unit; // "8kB"
 * ```
 */
export function findGuc(name: string): GucDefinition | undefined {
  return _byLowerName.get(name.toLowerCase());
}
