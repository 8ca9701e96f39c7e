/**
 * exec_context.ts — what the SQL layer needs from the session that runs it:
 * identity, settings, time, interrupts, the process array and signals.
 *
 * PostgreSQL counterpart: the globals SQL functions read in PostgreSQL
 * (MyProcPid, GetUserId(), MyDatabaseId, GetCurrentTransactionStartTimestamp(),
 * GetConfigOption(), pgstat_get_beentry_by_backend_id(), SendProcSignal()).
 *
 * NOTES
 * The session (lib/tcop) implements this interface over the real shared
 * memory and the real process; the SQL layer never touches process
 * plumbing directly, which lets its evaluator be unit-tested against
 * PostgreSQL's results. One exception, as PostgreSQL's pgstatfuncs.c reads
 * shared memory itself: the cumulative-statistics views read the counters
 * and the catalog through `ctx` (the segment and the data directory), with
 * lock-free, read-only functions of lib/shmem and lib/catalog. Methods that
 * wait (`sleep`, `requestCheckpoint`) check for interrupts.
 *
 * @module
 */

import type { LockManager } from "../lmgr/mod.ts";
import type { ShmemSegment } from "../shmem/mod.ts";
import type { Timestamptz } from "./datetime.ts";
import type { TypeIoContext } from "./types.ts";

/** One row of pg_stat_activity, as read from the process array. */
export interface BackendActivity {
  readonly datid: number | null;
  readonly datname: string | null;
  readonly pid: number;
  readonly leaderPid: number | null;
  readonly usesysid: number | null;
  readonly usename: string | null;
  readonly applicationName: string;
  readonly clientAddr: string | null;
  readonly clientHostname: string | null;
  /** -1 for a Unix-socket client, null for a process without a client. */
  readonly clientPort: number | null;
  readonly backendStart: Timestamptz | null;
  readonly xactStart: Timestamptz | null;
  readonly queryStart: Timestamptz | null;
  readonly stateChange: Timestamptz | null;
  readonly waitEventType: string | null;
  readonly waitEvent: string | null;
  /** active, idle, idle in transaction, idle in transaction (aborted), fastpath function call, disabled, or null. */
  readonly state: string | null;
  readonly backendXid: number | null;
  readonly backendXmin: number | null;
  readonly queryId: bigint | null;
  readonly query: string;
  /** client backend, checkpointer, background writer, walwriter, startup, autovacuum launcher, … */
  readonly backendType: string;
}

/** Outcome of signalling another backend. */
export type SignalResult = "ok" | "no-such-backend" | "not-permitted-superuser" | "not-permitted-role" | "failed";

/** A notice or warning to send to the client (NoticeResponse), subject to client_min_messages. */
export interface SqlNotice {
  readonly severity: "WARNING" | "NOTICE" | "INFO" | "LOG" | "DEBUG";
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

/**
 * Where the session's process lives: its data directory and its attachment
 * of the cluster's shared memory. lib/tcop's BackendSession passes its
 * ChildContext, which has both.
 */
export interface SessionProcess {
  readonly dataDir: string;
  readonly segment: ShmemSegment;
}

/** The session, as the SQL layer sees it. */
export interface ExecSession {
  /** The process: read by the statistics views and pg_stat_reset_shared() (see the module notes). */
  readonly ctx: SessionProcess;
  /** Settings for type I/O (TimeZone, extra_float_digits, transaction start). */
  readonly io: TypeIoContext;
  /** This backend's pid. */
  readonly backendPid: number;
  /** current_user / session_user (no SET ROLE yet: the same). */
  readonly userName: string;
  readonly userOid: number;
  readonly isSuperuser: boolean;
  readonly databaseName: string;
  readonly databaseOid: number;
  /** Start of the current statement. */
  readonly statementStartTs: Timestamptz;
  /** Start of the current transaction (now()). */
  readonly transactionStartTs: Timestamptz;

  /** current_setting(): the value as SHOW shows it, or undefined when unknown. */
  showSetting(name: string): string | undefined;
  /** set_config() / SET: sets a parameter, returns its new shown value. Throws SqlError. */
  setSetting(name: string, value: string | null, isLocal: boolean): string;
  /** Every parameter for SHOW ALL: name, setting, description, sorted by name. */
  showAllSettings(): { name: string; setting: string; description: string }[];

  /** Sleeps (pg_sleep), waking at once on cancel/terminate, which it throws as SqlError. */
  sleep(ms: number): Promise<void>;
  /** Throws the pending cancel/terminate error, if any (an interruption point). */
  checkForInterrupts(): void;
  /** pg_stat_activity rows, one per live process with a slot. */
  listActivity(): BackendActivity[];
  /** Sends SIGINT (cancel) or SIGTERM (terminate) to a backend found in the process array, with PostgreSQL's permission rules. */
  signalBackend(pid: number, kind: "cancel" | "terminate"): SignalResult;
  /** Waits until a terminated backend has gone, up to timeoutMs; false on timeout (pg_terminate_backend's timeout). */
  waitForBackendExit(pid: number, timeoutMs: number): Promise<boolean>;
  /** Requests an immediate checkpoint and waits for it (CHECKPOINT). */
  requestCheckpoint(): Promise<void>;
  /** Stores a new password verifier for a role (ALTER ROLE … PASSWORD). */
  alterRolePassword(roleName: string, verifier: string | null): Promise<void>;
  /** Queues a NoticeResponse for the client. */
  notice(n: SqlNotice): void;
  /** The session's heavyweight lock manager (advisory locks, pg_locks); absent without a server session. */
  readonly lockManager?: LockManager;
}
