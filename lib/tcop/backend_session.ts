/**
 * backend_session.ts — one client session's state inside its backend
 * process: identity, settings, transaction block, interrupts, and the
 * process-array slot it keeps current. Implements the `ExecSession` the SQL
 * layer runs against.
 *
 * PostgreSQL counterpart: the backend globals and ProcessInterrupts() of
 * src/backend/tcop/postgres.c, pgstat_report_activity() callers, pg_sleep's
 * WaitLatch loop (utils/adt/misc.c), pg_signal_backend()
 * (storage/ipc/signalfuncs.c), RequestCheckpoint() callers.
 *
 * NOTES
 * Interrupts: signal handlers (lib/postmaster/aux_process.ts) only set
 * flags and the latch; they are acted on at interruption points
 * (`checkForInterrupts`): pending SIGTERM is FATAL 57P01, pending SIGINT is
 * 57014 `canceling statement due to user request`, a passed
 * statement_timeout deadline is 57014 `canceling statement due to statement
 * timeout`. A cancel that arrives while the session is idle is dropped, as
 * PostgreSQL drops it while reading a command. Waiting (pg_sleep, CHECKPOINT)
 * uses the process latch, so a signal ends the wait at once.
 * No locks are held across waits. See lib/tcop/README.md.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { alterRolePassword } from "../catalog/mod.ts";
import { elog } from "../log/mod.ts";
import type { ChildContext } from "../postmaster/aux_process.ts";
import { setPsDisplay } from "../postmaster/ps_status.ts";
import {
  type BackendState,
  pgstatCountXact,
  pgstatReportActivity,
  pgstatReportAppname,
  pgstatReportXactTimestamp,
  procArrayFindPid,
  procArraySnapshot,
  waitEventInfo,
} from "../shmem/mod.ts";
import {
  PG_EPOCH_UNIX_MICROS,
  type Timestamptz,
  timestamptzFromPerfMs,
  timestamptzFromUnixMs,
} from "../sql/datetime.ts";
import type { BackendActivity, ExecSession, SignalResult, SqlNotice } from "../sql/exec_context.ts";
import type { SessionGucs } from "../sql/session_gucs.ts";
import type { TypeIoContext } from "../sql/types.ts";
import { TransactionBlock } from "../sql/xact_block.ts";
import { LockManager } from "../lmgr/mod.ts";

/** Longest single latch wait in a sleep loop, so flags are rechecked even if a wake-up is lost. */
const SLEEP_SLICE_MAX_MS = 1000;
/** Poll interval while waiting for a terminated backend to exit. */
const TERMINATION_POLL_MS = 10;

/** Who the session is. */
export interface SessionIdentity {
  readonly userName: string;
  readonly userOid: number;
  readonly isSuperuser: boolean;
  readonly databaseName: string;
  readonly databaseOid: number;
}

/** Client-message levels in PostgreSQL's order for client_min_messages. */
const _CLIENT_RANK: Record<string, number> = {
  debug5: 0,
  debug4: 1,
  debug3: 2,
  debug2: 3,
  debug1: 4,
  debug: 4,
  log: 5,
  notice: 6,
  warning: 7,
  error: 8,
  info: 99,
};

/**
 * The session as the SQL layer and the message loop see it.
 */
export class BackendSession implements ExecSession {
  readonly ctx: ChildContext;
  readonly gucs: SessionGucs;
  readonly xact: TransactionBlock;
  readonly backendPid = Deno.pid;
  readonly userName: string;
  readonly userOid: number;
  readonly isSuperuser: boolean;
  readonly databaseName: string;
  readonly databaseOid: number;
  readonly lockManager: LockManager | undefined;
  statementStartTs: Timestamptz = 0n;
  /** statement_timeout deadline (performance.now() ms), or Infinity. */
  #deadlineMs = Infinity;
  #timeoutFired = false;
  readonly #sendNotice: (n: SqlNotice) => void;
  #io: TypeIoContext;
  #ioTz = "UTC";
  #ioEfd = 1;
  #ioTs = -1n;
  #lastState: BackendState | undefined;
  #xactReportedMs = 0;
  #xactReportedTs: Timestamptz = 0n;
  #updateTitle = true;

  /**
   * @param ctx the child context (signals, latch, settings, segment)
   * @param who the authenticated identity
   * @param gucs the session's parameters
   * @param sendNotice queues a NoticeResponse (already filtered by level)
   * @param atXactEnd called after each transaction ends (drops portals)
   */
  constructor(
    ctx: ChildContext,
    who: SessionIdentity,
    gucs: SessionGucs,
    sendNotice: (n: SqlNotice) => void,
    atXactEnd: () => void,
  ) {
    this.ctx = ctx;
    this.gucs = gucs;
    this.userName = who.userName;
    this.userOid = who.userOid;
    this.isSuperuser = who.isSuperuser;
    this.databaseName = who.databaseName;
    this.databaseOid = who.databaseOid;
    this.#sendNotice = sendNotice;
    // Heavyweight locks (lib/lmgr): held until released, the transaction's end, or the session's end / exit.
    this.lockManager = ctx.segment.local.procNo < 0 ? undefined : new LockManager(ctx.segment, {
      checkForInterrupts: () => this.checkForInterrupts(),
      waitForLatch: (ms) => this.#waitForLatch(ms),
      lockTimeoutMs: () => gucs.value("lock_timeout") as number,
      deadlockTimeoutMs: () => gucs.value("deadlock_timeout") as number,
    });
    const lm = this.lockManager;
    if (lm !== undefined) ctx.onExit(() => lm.releaseAll());
    this.xact = new TransactionBlock((n) => this.notice(n), (committed) => {
      lm?.atTransactionEnd();
      gucs.atEndOfTransaction(committed);
      pgstatCountXact(ctx.segment, committed, this.databaseOid);
      atXactEnd();
    });
    this.#io = { timeZone: "UTC", extraFloatDigits: 1, nowTs: 0n };
    this.#refresh();
  }

  get io(): TypeIoContext {
    this.#refresh();
    const ts = this.xact.startTs;
    if (this.#ioTz !== this.#io.timeZone || this.#ioEfd !== this.#io.extraFloatDigits || ts !== this.#ioTs) {
      this.#ioTs = ts;
      this.#io = { timeZone: this.#ioTz, extraFloatDigits: this.#ioEfd, nowTs: ts };
    }
    return this.#io;
  }

  #seenVersion = -1;
  #statementTimeoutMs = 0;
  #idleInTransactionTimeoutMs = 0;
  #idleSessionTimeoutMs = 0;
  #trackActivities = true;
  #clientMinRank = 6;

  /** Re-reads the settings the hot path uses, only when a SET changed something. */
  #refresh(): void {
    const g = this.gucs;
    if (g.version === this.#seenVersion) return;
    this.#seenVersion = g.version;
    this.#ioTz = g.value("TimeZone") as string;
    this.#ioEfd = g.value("extra_float_digits") as number;
    this.#statementTimeoutMs = g.value("statement_timeout") as number;
    this.#idleInTransactionTimeoutMs = g.value("idle_in_transaction_session_timeout") as number;
    this.#idleSessionTimeoutMs = g.value("idle_session_timeout") as number;
    this.#trackActivities = g.value("track_activities") === true;
    this.#updateTitle = g.value("update_process_title") === true;
    this.#clientMinRank = _CLIENT_RANK[String(g.value("client_min_messages"))] ?? 6;
    const app = String(g.value("application_name"));
    if (app !== this.#appName) {
      if (this.#appName !== undefined) pgstatReportAppname(this.ctx.segment, app);
      this.#appName = app;
    }
  }

  #appName: string | undefined;

  get transactionStartTs(): Timestamptz {
    return this.xact.startTs;
  }

  // ---- settings -----------------------------------------------------------

  /** Applies a configuration reload (SIGHUP) to the server's settings and this session's (SessionGucs.reload). */
  async reloadConfigIfPending(): Promise<void> {
    if (await this.ctx.reloadConfigIfPending()) this.gucs.reload(this.ctx.settings);
  }

  showSetting(name: string): string | undefined {
    return this.gucs.show(name);
  }

  setSetting(name: string, value: string | null, isLocal: boolean): string {
    if (isLocal && !this.xact.inBlock) {
      this.notice({
        severity: "WARNING",
        code: SqlState.NO_ACTIVE_SQL_TRANSACTION,
        message: "SET LOCAL can only be used in transaction blocks",
      });
    }
    return this.gucs.set(name, value, { isLocal, inTransaction: this.xact.inTransaction });
  }

  showAllSettings(): { name: string; setting: string; description: string }[] {
    return this.gucs.showAll();
  }

  // ---- notices ----------------------------------------------------------------

  notice(n: SqlNotice): void {
    const level = n.severity === "DEBUG" ? "DEBUG1" : n.severity;
    if (level !== "NOTICE" && level !== "INFO") {
      elog(level, n.message, { detail: n.detail, hint: n.hint, sqlstate: n.code });
    }
    this.#refresh();
    const rank = _CLIENT_RANK[n.severity.toLowerCase()] ?? 6;
    if (rank >= this.#clientMinRank) this.#sendNotice(n);
  }

  // ---- statement lifecycle ------------------------------------------------------

  /**
   * Marks a statement (or a simple-query message) as started: publishes the
   * query text and state `active`, starts the statement_timeout clock, sets
   * the process title to the command tag.
   *
   * @param query the text shown in pg_stat_activity
   * @param commandTag what the process title shows
   */
  beginStatement(query: string, commandTag: string): void {
    this.#refresh();
    // One clock read serves the statement's timestamp and its timeout deadline (reading it is a runtime call); a
    // Parse or Bind just before in the same batch of input has read it already.
    const nowMs = this.#messageClockMs >= 0 ? this.#messageClockMs : performance.now();
    this.#messageClockMs = -1;
    this.statementStartTs = timestamptzFromPerfMs(nowMs);
    const timeoutMs = this.#statementTimeoutMs;
    this.#deadlineMs = timeoutMs > 0 ? nowMs + timeoutMs : Infinity;
    this.#timeoutFired = false;
    if (this.#trackActivities) pgstatReportActivity(this.ctx.segment, "active", query);
    this.#lastState = "active";
    this.reportXactTimestamp();
    if (this.#updateTitle) setPsDisplay(commandTag);
  }

  #messageClockMs = -1;

  /**
   * Reads the clock for a message that opens a transaction (Parse, Bind),
   * keeping the reading for the next statement start: PostgreSQL's
   * statement_timestamp() is the time the latest command message was received,
   * and a Parse/Bind and its Execute arrive together. The reading is dropped at the
   * statement start that uses it and whenever the session waits
   * ({@link forgetMessageClock}).
   *
   * @returns `performance.now()` ms
   */
  messageClockMs(): number {
    if (this.#messageClockMs < 0) this.#messageClockMs = performance.now();
    return this.#messageClockMs;
  }

  /** Drops a kept clock reading (before waiting for the client or for a slow statement or write). */
  forgetMessageClock(): void {
    this.#messageClockMs = -1;
  }

  /**
   * Before each further statement of a multi-statement query (start_xact_command's enable_statement_timeout): a
   * statement_timeout that an earlier statement set starts counting now, for the rest of the query; one set to 0 stops.
   */
  continueStatement(): void {
    this.#refresh();
    if (this.#statementTimeoutMs <= 0) this.#deadlineMs = Infinity;
    else if (this.#deadlineMs === Infinity) this.#deadlineMs = performance.now() + this.#statementTimeoutMs;
  }

  /**
   * How long the session may now wait for the client: idle_in_transaction_session_timeout in a transaction (even a
   * failed one), else idle_session_timeout.
   *
   * @returns the limit in ms and the FATAL that ends the session when it runs out; undefined: no limit
   */
  idleTimeout(): { ms: number; error: SqlError } | undefined {
    this.#refresh();
    if (this.xact.inTransaction) {
      if (this.#idleInTransactionTimeoutMs <= 0) return undefined;
      return {
        ms: this.#idleInTransactionTimeoutMs,
        error: new SqlError(
          SqlState.IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
          "terminating connection due to idle-in-transaction timeout",
          { severity: "FATAL" },
        ),
      };
    }
    if (this.#idleSessionTimeoutMs <= 0) return undefined;
    return {
      ms: this.#idleSessionTimeoutMs,
      error: new SqlError(SqlState.IDLE_SESSION_TIMEOUT, "terminating connection due to idle-session timeout", {
        severity: "FATAL",
      }),
    };
  }

  /** Ends the statement_timeout clock (finish_xact_command's disable_statement_timeout). */
  endStatement(): void {
    this.#deadlineMs = Infinity;
  }

  /** Publishes the idle state that matches the transaction block (before ReadyForQuery). */
  reportIdle(): void {
    this.#refresh();
    const st = this.xact.state;
    const state: BackendState = st === "abort"
      ? "idle in transaction (aborted)"
      : this.xact.inTransaction
      ? "idle in transaction"
      : "idle";
    if (state !== this.#lastState) {
      if (this.#trackActivities) pgstatReportActivity(this.ctx.segment, state);
      this.#lastState = state;
      if (this.#updateTitle) setPsDisplay(state);
    }
    this.reportXactTimestamp();
  }

  /**
   * Publishes the open transaction's start (xact_start), or none, when it
   * changed (pgstat_report_xact_timestamp at StartTransaction and at the end).
   */
  reportXactTimestamp(): void {
    // Compared as the transaction's own timestamp first: most statements leave it as it was.
    const ts = this.xact.inTransaction ? this.xact.startTs : 0n;
    if (ts === this.#xactReportedTs) return;
    this.#xactReportedTs = ts;
    const ms = ts === 0n ? 0 : Number((ts + PG_EPOCH_UNIX_MICROS) / 1000n);
    if (ms !== this.#xactReportedMs) {
      pgstatReportXactTimestamp(this.ctx.segment, ms);
      this.#xactReportedMs = ms;
    }
  }

  // ---- interrupts -----------------------------------------------------------------

  /** Drops a cancel that arrived while idle (PostgreSQL ignores it while reading a command). */
  clearIdleCancel(): void {
    this.ctx.signals.interruptPending = false;
  }

  checkForInterrupts(): void {
    const sig = this.ctx.signals;
    if (sig.terminatePending) {
      throw new SqlError(SqlState.ADMIN_SHUTDOWN, "terminating connection due to administrator command", {
        severity: "FATAL",
      });
    }
    if (sig.interruptPending) {
      sig.interruptPending = false;
      throw new SqlError(SqlState.QUERY_CANCELED, "canceling statement due to user request");
    }
    if (this.#deadlineMs !== Infinity && !this.#timeoutFired && performance.now() >= this.#deadlineMs) {
      this.#timeoutFired = true;
      throw new SqlError(SqlState.QUERY_CANCELED, "canceling statement due to statement timeout");
    }
  }

  /** Waits on the latch up to `ms`, less when the statement's deadline is nearer (a lock wait's slice). */
  async #waitForLatch(ms: number): Promise<void> {
    const left = Math.min(ms, this.#deadlineMs - performance.now());
    if (left > 0) await this.ctx.waitForWork(left);
  }

  async sleep(ms: number): Promise<void> {
    const end = performance.now() + ms;
    const event = waitEventInfo("Timeout", "PgSleep");
    for (;;) {
      this.checkForInterrupts();
      const now = performance.now();
      const left = Math.min(end, this.#deadlineMs) - now;
      if (now >= end) return;
      if (left > 0) await this.ctx.waitForWork(Math.min(left, SLEEP_SLICE_MAX_MS), event);
    }
  }

  // ---- other processes ----------------------------------------------------------------

  listActivity(): BackendActivity[] {
    return procArraySnapshot(this.ctx.segment).map((s) => ({
      datid: s.databaseOid,
      datname: s.databaseName,
      pid: s.pid,
      leaderPid: null,
      usesysid: s.userOid,
      usename: s.userName,
      applicationName: s.applicationName,
      clientAddr: s.clientPort === -1 ? null : s.clientAddr || null,
      clientHostname: null,
      clientPort: s.clientPort,
      backendStart: timestamptzFromUnixMs(s.backendStartMs),
      xactStart: s.xactStartMs === null ? null : timestamptzFromUnixMs(s.xactStartMs),
      queryStart: s.queryStartMs === null ? null : timestamptzFromUnixMs(s.queryStartMs),
      stateChange: s.stateChangeMs === null ? null : timestamptzFromUnixMs(s.stateChangeMs),
      waitEventType: s.waitEventType,
      waitEvent: s.waitEvent,
      state: s.state,
      backendXid: s.backendXid,
      backendXmin: s.backendXmin,
      queryId: null,
      query: s.query,
      backendType: s.backendType,
    }));
  }

  signalBackend(pid: number, kind: "cancel" | "terminate"): SignalResult {
    const target = procArraySnapshot(this.ctx.segment).find((s) => s.pid === pid);
    if (target === undefined || target.backendType !== "client backend") return "no-such-backend";
    if (target.userOid !== null && target.userOid !== this.userOid && !this.isSuperuser) {
      // Without role membership, only superusers may signal other roles' sessions.
      return target.userOid === 10 ? "not-permitted-superuser" : "not-permitted-role";
    }
    try {
      Deno.kill(pid, kind === "cancel" ? "SIGINT" : "SIGTERM");
      return "ok";
    } catch (e) {
      this.notice({
        severity: "WARNING",
        code: SqlState.WARNING,
        message: `could not send signal to process ${pid}: ${(e as Error).message}`,
      });
      return "failed";
    }
  }

  async waitForBackendExit(pid: number, timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      if (procArrayFindPid(this.ctx.segment, pid) < 0) return true;
      this.checkForInterrupts();
      await this.ctx.waitForWork(TERMINATION_POLL_MS);
    }
    return procArrayFindPid(this.ctx.segment, pid) < 0;
  }

  async requestCheckpoint(): Promise<void> {
    // Loaded on first use: most sessions never checkpoint, and backends start faster without it.
    const { CheckpointFlags, requestCheckpoint } = await import("../wal/checkpointer_shmem.ts");
    const f = CheckpointFlags.IMMEDIATE | CheckpointFlags.FORCE | CheckpointFlags.WAIT;
    await requestCheckpoint(this.ctx.segment, f);
  }

  async alterRolePassword(roleName: string, verifier: string | null): Promise<void> {
    await alterRolePassword(this.ctx.dataDir, roleName, verifier);
  }
}
