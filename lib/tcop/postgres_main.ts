/**
 * postgres_main.ts — the backend's command loop: reads frontend messages
 * and runs the simple and extended query protocols until Terminate or end
 * of input.
 *
 * PostgreSQL counterpart: PostgresMain(), exec_simple_query(),
 * exec_parse_message(), exec_bind_message(), exec_execute_message(),
 * exec_describe_statement_message(), exec_describe_portal_message() and
 * the error-recovery block of src/backend/tcop/postgres.c.
 *
 * NOTES
 * Output is batched: messages accumulate in the writer and are flushed
 * before waiting for the client when no complete message is already
 * buffered (so a pipelined Parse/Bind/Execute/Sync costs one write), on
 * Flush, and before a statement that may wait. Errors: an ERROR is sent,
 * the transaction is aborted (a failed BEGIN block waits for ROLLBACK),
 * and in the extended protocol every message up to Sync is skipped; a
 * FATAL is sent and the process exits 1; a framing violation is FATAL
 * 08P01 for this session only. Wait event `Client`/`ClientRead` is
 * published while waiting for the client.
 *
 * @module
 */

import { AssertionError } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { elog } from "../log/mod.ts";
import { decodeBind, decodeExecute, decodeParse, decodeTarget } from "../protocol/frontend_messages.ts";
import { FrontendMessage, pqDecodeUtf8, pqMaxMessageLength } from "../protocol/pq_message.ts";
import { PQ_NEED_MORE, PqProtocolError, type PqReader } from "../protocol/pq_reader.ts";
import type { PqFieldDescription, PqWriter } from "../protocol/pq_writer.ts";
import { pgstatReportWaitEnd, pgstatReportWaitStart, waitEventInfo } from "../shmem/mod.ts";
import { RecvBuffer, utf8Verified } from "../sql/recv_buffer.ts";
import type { ResultColumn } from "../sql/select.ts";
import { type ExecResult, type PlannedStatement, planQuery, type StatementEnv } from "../sql/statement.ts";
import { timestamptzFromPerfMs } from "../sql/datetime.ts";
import { type Datum, requireTypeOid, type SqlType, typeByOid, TypeOid } from "../sql/types.ts";
import type { BackendSession } from "./backend_session.ts";
import { SessionExit } from "./session_exit.ts";

/** Most named prepared statements a session may hold. */
export const PREPARED_STATEMENTS_MAX = 10000;
/** Most named portals a session may hold. */
export const PORTALS_MAX = 10000;

interface _Prepared {
  readonly query: string;
  /** null: an empty query. */
  readonly plan: PlannedStatement | null;
}

interface _Portal {
  readonly stmt: _Prepared;
  readonly params: Datum[];
  /** Result formats per column; undefined: all text (the common case, kept without an array). */
  readonly formats: number[] | undefined;
  rows: Datum[][] | null;
  tag: string;
  pos: number;
  done: boolean;
}

const _CLIENT_READ = waitEventInfo("Client", "ClientRead");

/** The command loop of one session. */
export class PostgresMain {
  readonly #s: BackendSession;
  readonly #r: PqReader;
  readonly #w: PqWriter;
  readonly #env: StatementEnv;
  readonly #prepared = new Map<string, _Prepared>();
  readonly #portals = new Map<string, _Portal>();
  #ignoreTillSync = false;
  #sendReady = true;
  #idle = false;
  readonly #onTerminate: (e: SqlError) => never;
  readonly #offSignal: () => void;

  /**
   * @param session the session state
   * @param reader the client's input
   * @param writer the client's output
   * @param onFatal ends the process after a FATAL error was sent and logged
   */
  constructor(session: BackendSession, reader: PqReader, writer: PqWriter, onFatal: (e: SqlError) => never) {
    this.#s = session;
    this.#r = reader;
    this.#w = writer;
    this.#env = { session, xact: session.xact, gucs: session.gucs };
    this.#onTerminate = onFatal;
    this.#offSignal = session.ctx.onSignal((sig) => {
      // A SIGTERM while waiting for the client ends the session at once (ProcessClientReadInterrupt).
      if (sig === "SIGTERM" && this.#idle) {
        try {
          this.#onTerminate(
            new SqlError(SqlState.ADMIN_SHUTDOWN, "terminating connection due to administrator command", {
              severity: "FATAL",
            }),
          );
        } catch { /* the exit has begun; the pending read ends with the socket */ }
      }
    });
  }

  /**
   * @returns true when the session ended with nothing open: no transaction
   *   (not even a failed block) and no extended-protocol error awaiting Sync
   */
  get endedCleanly(): boolean {
    return !this.#s.xact.inTransaction && !this.#ignoreTillSync;
  }

  /** Drops all portals (at the end of each transaction). */
  dropPortals(): void {
    this.#portals.clear();
  }

  /**
   * Runs the loop until the client leaves.
   *
   * @returns the exit code (0 after Terminate or end of input)
   */
  async run(): Promise<number> {
    try {
      return await this.#loop();
    } finally {
      this.#offSignal();
    }
  }

  async #loop(): Promise<number> {
    const r = this.#r;
    const seg = this.#s.ctx.segment;
    for (;;) {
      if (this.#sendReady) {
        this.#sendReady = false;
        this.#s.endStatement();
        this.#s.reportIdle();
        for (const [name, value] of this.#s.gucs.takeReportChanges()) this.#w.parameterStatus(name, value);
        this.#w.readyForQuery(this.#s.xact.readyStatus);
      }
      this.#s.clearIdleCancel();
      if (this.#s.ctx.signals.terminatePending) this.#s.checkForInterrupts();
      // Read first and wait only when nothing is buffered (PostgreSQL's pq_recvbuf); flush before waiting.
      let type = r.tryReadMessage(pqMaxMessageLength);
      if (type === PQ_NEED_MORE) {
        const flushed = this.#w.flush();
        if (flushed !== undefined) await flushed;
        this.#s.clearIdleCancel();
        if (this.#s.ctx.signals.terminatePending) this.#s.checkForInterrupts();
        this.#idle = true;
        this.#s.forgetMessageClock();
        pgstatReportWaitStart(seg, _CLIENT_READ);
        const idleTimer = this.#startIdleTimeout();
        try {
          while ((type = r.tryReadMessage(pqMaxMessageLength)) === PQ_NEED_MORE) await r.waitForData();
        } finally {
          clearTimeout(idleTimer);
          this.#idle = false;
          pgstatReportWaitEnd(seg);
        }
      }
      if (type < 0) {
        if (this.#s.xact.inTransaction) elog("LOG", "unexpected EOF on client connection with an open transaction");
        return 0;
      }
      if (type === FrontendMessage.TERMINATE) {
        void this.#w.flush(); // replies to messages that came with the Terminate (the socket's close drains them)
        return 0;
      }
      // A configuration reload takes effect between messages (PostgresMain's ConfigReloadPending check).
      if (this.#s.ctx.signals.reloadPending) await this.#s.reloadConfigIfPending();
      const pending = this.#dispatch(type);
      if (pending !== undefined) {
        await pending;
        this.#s.forgetMessageClock();
      }
    }
  }

  /** idle_in_transaction_session_timeout / idle_session_timeout while waiting for the client: a FATAL ends the session. */
  #startIdleTimeout(): ReturnType<typeof setTimeout> | undefined {
    const timeout = this.#s.idleTimeout();
    if (timeout === undefined) return undefined;
    return setTimeout(() => {
      try {
        this.#onTerminate(timeout.error);
      } catch { /* the exit has begun; the pending read ends with the socket */ }
    }, timeout.ms);
  }

  /** Runs one message; returns a promise only when the message had to wait (a statement that sleeps, back pressure). */
  #dispatch(type: number): void | Promise<void> {
    const extended = type !== FrontendMessage.QUERY;
    this.#statementText = undefined;
    if (type === FrontendMessage.SYNC) {
      this.#ignoreTillSync = false;
      this.#s.forgetMessageClock();
      this.#s.xact.finishCommand();
      this.#sendReady = true;
      return;
    }
    if (this.#ignoreTillSync && type !== FrontendMessage.QUERY) {
      if (!_KNOWN.has(type)) this.#fatalProtocol(`invalid frontend message type ${type}`);
      return;
    }
    try {
      const pending = this.#dispatchMessage(type);
      if (pending !== undefined) return pending.catch((e) => this.#recover(e, extended));
    } catch (e) {
      this.#recover(e, extended);
    }
  }

  #dispatchMessage(type: number): void | Promise<void> {
    switch (type) {
      case FrontendMessage.QUERY:
        return this.#simpleQuery(pqDecodeUtf8(_cstringBody(this.#r.body)));
      case FrontendMessage.PARSE:
        return this.#parse();
      case FrontendMessage.BIND:
        return this.#bind();
      case FrontendMessage.DESCRIBE:
        return this.#describe();
      case FrontendMessage.EXECUTE:
        return this.#execute();
      case FrontendMessage.CLOSE:
        return this.#close();
      case FrontendMessage.FLUSH:
        return this.#w.flush();
      case FrontendMessage.FUNCTION_CALL:
        throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "fastpath function calls are not supported");
      case FrontendMessage.COPY_DATA:
      case FrontendMessage.COPY_DONE:
      case FrontendMessage.COPY_FAIL:
        return; // Ignored outside COPY, as the protocol says.
      default:
        this.#fatalProtocol(`invalid frontend message type ${type}`);
    }
  }

  #fatalProtocol(message: string): never {
    this.#onTerminate(new SqlError(SqlState.PROTOCOL_VIOLATION, message, { severity: "FATAL" }));
  }

  /** Error recovery (PostgresMain's sigsetjmp block). */
  #recover(e: unknown, extended: boolean): void {
    if (e instanceof AssertionError || e instanceof SessionExit) throw e;
    if (e instanceof PqProtocolError) this.#fatalProtocol(e.message);
    if (!(e instanceof SqlError)) throw e;
    if (e.severity !== "ERROR") this.#onTerminate(e);
    elog("ERROR", e.message, {
      detail: e.detail,
      hint: e.hint,
      context: e.context,
      sqlstate: e.sqlstate,
      statement: this.#statementText,
    });
    this.#w.errorResponse({
      severity: "ERROR",
      code: e.sqlstate,
      message: e.message,
      detail: e.detail,
      hint: e.hint,
      position: e.position,
      where: e.context,
    });
    this.#s.xact.abortCurrent();
    this.#s.endStatement();
    this.#s.forgetMessageClock();
    if (extended) this.#ignoreTillSync = true;
    else this.#sendReady = true;
  }

  #statementText: string | undefined;

  // ---- simple query ------------------------------------------------------------

  #simpleQuery(query: string): void | Promise<void> {
    this.#sendReady = true;
    this.#statementText = query;
    const plans = planQuery(query);
    if (plans.length === 0) {
      this.#w.emptyQueryResponse();
      return;
    }
    this.#s.beginStatement(query, plans[0].commandTag);
    return this.#runPlans(plans, 0);
  }

  /** Runs a simple query's statements from `from` on; continues asynchronously only after a statement that waits. */
  #runPlans(plans: readonly PlannedStatement[], from: number): void | Promise<void> {
    const s = this.#s;
    const multi = plans.length > 1;
    for (let i = from; i < plans.length; i++) {
      const plan = plans[i];
      if (i > 0) s.continueStatement();
      s.xact.startCommand(s.statementStartTs);
      s.reportXactTimestamp(); // The statement was reported active before its transaction opened.
      this.#checkAborted(plan);
      if (plan.planError !== undefined) throw plan.planError; // pg_plan_queries, before the portal runs
      if (multi) s.xact.beginImplicit();
      if (plan.columns !== null) this.#w.rowDescription(_fields(plan.columns, undefined));
      const r = plan.execute(this.#env, []);
      if (r instanceof Promise) return this.#finishWaitingPlan(plans, i, r);
      this.#completePlan(plan, r, multi);
    }
    if (multi) s.xact.endImplicit();
  }

  async #finishWaitingPlan(plans: readonly PlannedStatement[], i: number, running: Promise<ExecResult>): Promise<void> {
    await this.#w.flush();
    this.#completePlan(plans[i], await running, plans.length > 1);
    await this.#runPlans(plans, i + 1);
  }

  #completePlan(plan: PlannedStatement, r: ExecResult, multi: boolean): void {
    if (r.rows !== null) this.#sendRows(plan, r.rows, undefined, 0, r.rows.length);
    this.#w.commandComplete(r.tag);
    if (!multi) this.#s.xact.finishCommand();
  }

  #checkAborted(plan: PlannedStatement): void {
    if (this.#s.xact.state === "abort" && plan.txKind !== "exit") {
      throw new SqlError(
        SqlState.IN_FAILED_SQL_TRANSACTION,
        "current transaction is aborted, commands ignored until end of transaction block",
      );
    }
  }

  #sendRows(
    plan: PlannedStatement,
    rows: readonly Datum[][],
    formats: number[] | undefined,
    from: number,
    to: number,
  ): void {
    if (plan.columns === null) return;
    const cols = plan.columns;
    const io = this.#s.io;
    const types = _columnTypes(cols);
    const w = this.#w;
    for (let i = from; i < to; i++) {
      const row = rows[i];
      w.beginMessage(0x44); // DataRow
      w.int16(cols.length);
      for (let c = 0; c < cols.length; c++) {
        const v = row[c];
        if (v === null) w.int32(-1);
        else if (formats !== undefined && formats[c] === 1) {
          const b = types[c].send(v);
          w.int32(b.length);
          w.bytes(b);
        } else w.lengthPrefixedText(types[c].output(v, io));
      }
      w.endMessage();
      if (w.pendingBytes > 65536) void w.flush();
    }
  }

  // ---- extended query ----------------------------------------------------------------

  #parse(): void {
    const m = decodeParse(this.#r.body);
    this.#statementText = m.query;
    if (m.statementName !== "" && this.#prepared.has(m.statementName)) {
      throw new SqlError(
        SqlState.DUPLICATE_PREPARED_STATEMENT,
        `prepared statement "${m.statementName}" already exists`,
      );
    }
    for (const t of m.paramTypeOids) if (t !== 0) requireTypeOid(t);
    const plans = planQuery(m.query, m.paramTypeOids);
    if (plans.length > 1) {
      throw new SqlError(SqlState.SYNTAX_ERROR, "cannot insert multiple commands into a prepared statement");
    }
    const plan = plans[0] ?? null;
    this.#startExtendedCommand();
    if (plan !== null) this.#checkAborted(plan);
    if (m.statementName !== "" && this.#prepared.size >= PREPARED_STATEMENTS_MAX) {
      throw new SqlError(
        SqlState.PROGRAM_LIMIT_EXCEEDED,
        `too many prepared statements (at most ${PREPARED_STATEMENTS_MAX})`,
      );
    }
    this.#prepared.set(m.statementName, { query: m.query, plan });
    this.#w.parseComplete();
  }

  #bind(): void {
    const m = decodeBind(this.#r.body);
    const stmt = this.#prepared.get(m.statementName);
    if (stmt === undefined) {
      throw new SqlError(
        SqlState.INVALID_SQL_STATEMENT_NAME,
        m.statementName === ""
          ? "unnamed prepared statement does not exist"
          : `prepared statement "${m.statementName}" does not exist`,
      );
    }
    this.#statementText = stmt.query;
    const paramTypes = stmt.plan?.paramTypes ?? [];
    const n = m.paramValues.length;
    if (n !== paramTypes.length) {
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message supplies ${n} parameters, but prepared statement "${m.statementName}" requires ${paramTypes.length}`,
      );
    }
    if (m.paramFormats.length > 1 && m.paramFormats.length !== n) {
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message has ${m.paramFormats.length} parameter formats but ${n} parameters`,
      );
    }
    const ncols = stmt.plan?.columns?.length ?? 0;
    if (m.resultFormats.length > 1 && m.resultFormats.length !== ncols) {
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message has ${m.resultFormats.length} result formats but query has ${ncols} columns`,
      );
    }
    if (m.portalName !== "" && this.#portals.has(m.portalName)) {
      throw new SqlError(SqlState.DUPLICATE_CURSOR, `portal "${m.portalName}" already exists`);
    }
    this.#startExtendedCommand();
    if (stmt.plan !== null) this.#checkAborted(stmt.plan);
    const params: Datum[] = n === 0 ? _NO_PARAMS : new Array(n);
    if (n > 0) {
      const io = this.#s.io;
      for (let i = 0; i < n; i++) {
        const v = m.paramValues[i];
        const nf = m.paramFormats.length;
        const fmt = nf === 0 ? 0 : nf === 1 ? m.paramFormats[0] : m.paramFormats[i];
        if (v === null) params[i] = null;
        else params[i] = _bindParam(paramTypes[i], v, fmt, i + 1, m.portalName, io);
      }
    }
    // GetCachedPlan: the statement is planned at Bind, after its parameters were read.
    if (stmt.plan?.planError !== undefined) throw stmt.plan.planError;
    // rf holds 0, 1 or ncols codes (checked above); as PostgreSQL's PortalSetResultFormat, codes count per column.
    const rf = m.resultFormats;
    if (ncols > 0) {
      for (let i = 0; i < rf.length; i++) {
        const f = rf[i];
        if (f !== 0 && f !== 1) throw new SqlError(SqlState.PROTOCOL_VIOLATION, `unsupported format code: ${f}`);
      }
    }
    // All text (no codes, one 0, or only 0s): no per-portal array.
    let formats: number[] | undefined;
    if (rf.length === 1 && rf[0] === 1 && ncols > 0) formats = new Array(ncols).fill(1);
    else if (rf.length > 1 && rf.includes(1)) formats = [...rf];
    if (m.portalName !== "" && this.#portals.size >= PORTALS_MAX) {
      throw new SqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, `too many portals (at most ${PORTALS_MAX})`);
    }
    this.#portals.set(m.portalName, { stmt, params, formats, rows: null, tag: "", pos: 0, done: false });
    this.#w.bindComplete();
  }

  /** StartTransactionCommand for Parse and Bind: a transaction opened here starts at the message's clock reading. */
  #startExtendedCommand(): void {
    const x = this.#s.xact;
    if (x.inTransaction) x.startCommand();
    else x.startCommand(timestamptzFromPerfMs(this.#s.messageClockMs()));
  }

  #describe(): void {
    const t = decodeTarget(this.#r.body, "describe");
    if (t.kind === "S") {
      const stmt = this.#prepared.get(t.name);
      if (stmt === undefined) {
        throw new SqlError(
          SqlState.INVALID_SQL_STATEMENT_NAME,
          t.name === "" ? "unnamed prepared statement does not exist" : `prepared statement "${t.name}" does not exist`,
        );
      }
      if (this.#s.xact.state === "abort" && stmt.plan?.columns) this.#checkAborted(stmt.plan);
      this.#w.parameterDescription(stmt.plan?.paramTypes ?? []);
      if (stmt.plan?.columns) this.#w.rowDescription(_fields(stmt.plan.columns, undefined));
      else this.#w.noData();
      return;
    }
    const portal = this.#portals.get(t.name);
    if (portal === undefined) throw new SqlError(SqlState.INVALID_CURSOR_NAME, `portal "${t.name}" does not exist`);
    const cols = portal.stmt.plan?.columns;
    if (cols) this.#w.rowDescription(_fields(cols, portal.formats));
    else this.#w.noData();
  }

  #execute(): void | Promise<void> {
    const m = decodeExecute(this.#r.body);
    const portal = this.#portals.get(m.portalName);
    if (portal === undefined) {
      throw new SqlError(SqlState.INVALID_CURSOR_NAME, `portal "${m.portalName}" does not exist`);
    }
    const plan = portal.stmt.plan;
    this.#statementText = portal.stmt.query;
    if (plan === null) {
      this.#w.emptyQueryResponse();
      return;
    }
    this.#s.xact.startCommand();
    this.#checkAborted(plan);
    // A portal of a statement without rows is done after one run (MarkPortalDone); one with rows can be fetched again.
    if (portal.done && plan.columns === null) {
      throw new SqlError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, `portal "${m.portalName}" cannot be run`);
    }
    if (portal.rows === null && !portal.done) {
      this.#s.beginStatement(portal.stmt.query, plan.commandTag);
      const r = plan.execute(this.#env, portal.params);
      if (r instanceof Promise) return this.#finishWaitingPortal(portal, plan, m.maxRows, r);
      portal.rows = r.rows;
      portal.tag = r.tag;
    }
    this.#sendPortal(portal, plan, m.maxRows);
  }

  async #finishWaitingPortal(portal: _Portal, plan: PlannedStatement, maxRows: number, running: Promise<ExecResult>) {
    await this.#w.flush();
    const r = await running;
    portal.rows = r.rows;
    portal.tag = r.tag;
    this.#sendPortal(portal, plan, maxRows);
  }

  #sendPortal(portal: _Portal, plan: PlannedStatement, maxRows: number): void {
    const total = portal.rows?.length ?? 0;
    const end = maxRows > 0 ? Math.min(total, portal.pos + maxRows) : total;
    const sent = end - portal.pos;
    if (portal.rows !== null) this.#sendRows(plan, portal.rows, portal.formats, portal.pos, end);
    portal.pos = end;
    // PortalRunSelect: a fetch that filled its row limit leaves the portal suspended even when no row is left; the
    // next Execute then completes it with the rows it found (none).
    if (maxRows > 0 && sent === maxRows && plan.columns !== null) {
      this.#w.portalSuspended();
      return;
    }
    portal.done = true;
    this.#w.commandComplete(plan.commandTag === "SELECT" ? `SELECT ${sent}` : portal.tag);
    if (plan.txKind !== "none") this.#s.xact.finishCommand();
  }

  #close(): void {
    const t = decodeTarget(this.#r.body, "close");
    if (t.kind === "S") this.#prepared.delete(t.name);
    else this.#portals.delete(t.name);
    this.#w.closeComplete();
  }
}

const _KNOWN = new Set<number>(Object.values(FrontendMessage));

/** The parameters of every portal without any (never written: a portal's params are read-only). */
const _NO_PARAMS: Datum[] = Object.freeze([]) as unknown as Datum[];

/** A Query body is one NUL-terminated string filling the message. */
function _cstringBody(body: Uint8Array): Uint8Array {
  const nul = body.indexOf(0);
  if (nul !== body.length - 1) throw new PqProtocolError("invalid message format");
  return body.subarray(0, nul);
}

/** Text-format RowDescription fields and column types, per (immutable, cached) plan's columns: built once. */
const _textFields = new WeakMap<readonly ResultColumn[], PqFieldDescription[]>();
const _types = new WeakMap<readonly ResultColumn[], SqlType[]>();

function _columnTypes(cols: readonly ResultColumn[]): SqlType[] {
  let types = _types.get(cols);
  if (types === undefined) _types.set(cols, types = cols.map((c) => requireTypeOid(c.type)));
  return types;
}

function _fields(cols: readonly ResultColumn[], formats: number[] | undefined): PqFieldDescription[] {
  if (formats === undefined || formats.every((f) => f === 0)) {
    let fields = _textFields.get(cols);
    if (fields === undefined) _textFields.set(cols, fields = _buildFields(cols, undefined));
    return fields;
  }
  return _buildFields(cols, formats);
}

function _buildFields(cols: readonly ResultColumn[], formats: number[] | undefined): PqFieldDescription[] {
  return cols.map((c, i) => {
    const t = typeByOid(c.type);
    return {
      name: c.name,
      tableOid: 0,
      columnNo: 0,
      typeOid: c.type,
      typeLen: t?.len ?? -1,
      typeMod: c.typmod,
      format: formats?.[i] ?? 0,
    };
  });
}

/**
 * One Bind parameter to a datum, as exec_bind_message: binary through the type's receive function, which must use
 * every byte (22P03 otherwise; too few bytes are its 08P01), text through the input function after UTF-8
 * verification. Errors carry bind_param_error_callback's context (`unnamed portal parameter $1`, and `= '...'` for a
 * text value: log_parameter_max_length_on_error is 0, so the value itself is not shown).
 */
function _bindParam(
  type: number,
  v: Uint8Array,
  format: number,
  n: number,
  portalName: string,
  io: Parameters<ReturnType<typeof requireTypeOid>["input"]>[2],
): Datum {
  const t = requireTypeOid(type === 0 ? TypeOid.TEXT : type);
  let textValue = false;
  try {
    if (format === 1) {
      const buf = new RecvBuffer(v);
      const d = t.recv(buf, -1);
      if (buf.remaining !== 0) {
        throw new SqlError(
          SqlState.INVALID_BINARY_REPRESENTATION,
          `incorrect binary data format in bind parameter ${n}`,
        );
      }
      return d;
    }
    if (format !== 0) throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `unsupported format code: ${format}`);
    const text = utf8Verified(v);
    textValue = true;
    return t.input(text, -1, io);
  } catch (e) {
    if (!(e instanceof SqlError) || e.context !== undefined) throw e;
    const where = portalName === "" ? "unnamed portal parameter" : `portal "${portalName}" parameter`;
    throw new SqlError(e.sqlstate, e.message, {
      severity: e.severity,
      detail: e.detail,
      hint: e.hint,
      position: e.position,
      context: `${where} $${n}${textValue ? (v.length === 0 ? " = ''" : " = '...'") : ""}`,
    });
  }
}
