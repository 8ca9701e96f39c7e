/**
 * backend.ts — a backend process's life with its client: the startup
 * packet (SSL/GSS negotiation, CancelRequest, protocol version), admission,
 * the process-array slot, authentication, session start messages, then the
 * command loop, and the exit.
 *
 * PostgreSQL counterpart: BackendInitialize()/ProcessStartupPacket()/
 * processCancelRequest() (postmaster.c), InitPostgres() (utils/init/postinit.c:
 * role and database checks, superuser_reserved_connections,
 * PerformAuthentication), BeginReportingGUCOptions() (guc.c) and the start of
 * PostgresMain() (tcop/postgres.c).
 *
 * NOTES
 * Called by lib/postmaster/child_main.ts with the adopted client socket; the
 * postmaster never reads client bytes. Before any client, a spare runs
 * backendPrepare() (parser, pg_hba.conf, catalogs, socket code), so the path
 * after the hand-off is only the protocol. Order of checks follows
 * PostgreSQL: startup packet, postmaster state (57P03), slot (53300),
 * pg_hba.conf and authentication, role, reserved slots, database. Every
 * FATAL is sent to the client, logged, and the process exits 1. A CancelRequest
 * signals the matching backend (SIGINT, that pid only) and closes without a
 * reply. The whole start-up is bounded by authentication_timeout; when it
 * runs out, or SIGTERM comes, before the session has started, the process
 * exits 1 and sends the client nothing, as PostgreSQL (after the startup
 * packet it logs FATAL 57014 `canceling authentication due to timeout`).
 * A session that ends cleanly (see backendMain) returns instead of exiting:
 * its socket is closed and everything it held is released as an exit would
 * release it, and the caller may recycle the process (lib/postmaster/README.md,
 * "Backend recycling"); a client that leaves during startup or at the
 * password prompt is such an end, with no error logged, as in PostgreSQL.
 * Requires the backend's permission set.
 *
 * @module
 */

import { AssertionError } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { AuthFailedError, checkHba, clientAuthentication } from "../auth/mod.ts";
import type { DatabaseRow, RoleRow } from "../catalog/mod.ts";
import { elog, setLogProcessInfo } from "../log/mod.ts";
import type { ChildContext } from "../postmaster/aux_process.ts";
import type { ClientConnection } from "../postmaster/handoff.ts";
import { initPsDisplay, setPsDisplay } from "../postmaster/ps_status.ts";
import { PqProtocolError, PqReader } from "../protocol/pq_reader.ts";
import { type PqSocket, pqSocketPrewarm } from "../protocol/pq_socket.ts";
import { PqWriter } from "../protocol/pq_writer.ts";
import { pgstatBestart, procArrayClaimSlot, procArrayHaveFreeSlots } from "../shmem/mod.ts";
import { SessionGucs } from "../sql/session_gucs.ts";
import { planQuery, sqlParserInit } from "../sql/statement.ts";
import { readControlFile } from "../wal/mod.ts";
import { CatalogCache, HbaCache } from "./auth_cache.ts";
import { BackendSession } from "./backend_session.ts";
import { PostgresMain } from "./postgres_main.ts";
import { SessionExit } from "./session_exit.ts";
import {
  admissionError,
  logConnectionReceived,
  processCancelRequest,
  processStartupPacket,
  type StartupMessage,
} from "./startup_packet.ts";

type _Startup = StartupMessage;

/** A session that ends without an error to report (the client left, or a cancel request was served). */
class _QuietExit extends Error {}

/** Longest wait for the last bytes to reach the client before exiting anyway. */
const EXIT_DRAIN_MAX_MS = 1000;
/**
 * Longest wait for a free process-array slot before 53300 `sorry, too many
 * clients already`. A client that disconnects and reconnects at once (pgbench
 * -C at max_connections) can reach a waiting backend before the backend of
 * its previous session has read the Terminate and released its slot; a
 * forked PostgreSQL backend's slower start mostly hides this race, which
 * PostgreSQL also loses now and then. A full server still refuses, this much
 * later.
 */
export const SLOT_CLAIM_WAIT_MAX_MS = 100;
/** Poll interval of that wait. */
const _SLOT_CLAIM_POLL_MS = 2;

/** How a session ended, when the process may serve another one (any other end exits the process). */
export type BackendSessionEnd = "clean";

/** What this process prepared before its first client (see {@link backendPrepare}). */
interface _Prepared {
  readonly hba: HbaCache;
  readonly catalog: CatalogCache;
  /**
   * The cluster's secret for mock SCRAM salts (pg_control's mock_authentication_nonce, made by initdb): a role that
   * does not exist gets the same salt at every attempt, as one that exists does, so the salt does not tell them apart.
   */
  readonly mockNonce: Uint8Array;
}

let _prepared: _Prepared | undefined;

/**
 * Does, before any client arrives, everything a session start would
 * otherwise pay for (a spare backend calls it once, right after its
 * process set-up): loads and warms the SQL parser and planner, parses
 * pg_hba.conf and reads the role and database catalogs, and initialises the
 * runtime's TCP socket code. PostgreSQL's backends inherit all of this from
 * the postmaster through fork().
 *
 * @param ctx the child context
 * @param hbaGeneration the postmaster's pg_hba.conf generation when it started this process
 */
export async function backendPrepare(ctx: ChildContext, hbaGeneration: number | undefined): Promise<void> {
  const prepared: _Prepared = {
    hba: new HbaCache(ctx.dataDir, hbaGeneration),
    catalog: new CatalogCache(ctx.dataDir),
    mockNonce: readControlFile(ctx.dataDir).mockAuthenticationNonce,
  };
  // A session's first ParameterStatus report sorts names with localeCompare: ICU's collator costs ~8 ms to set up.
  new SessionGucs(ctx.settings, { isSuperuser: false, userName: "" }).takeReportChanges();
  await Promise.all([
    sqlParserInit().then(() => void planQuery("SELECT 1")),
    prepared.hba.preload(),
    prepared.catalog.preload(),
    pqSocketPrewarm(),
  ]);
  _prepared = prepared;
}

/** One client connection's I/O and exit state. */
class _Conn {
  readonly ctx: ChildContext;
  readonly socket: PqSocket;
  readonly reader: PqReader;
  readonly writer: PqWriter;
  exiting = false;

  constructor(ctx: ChildContext, socket: PqSocket) {
    this.ctx = ctx;
    this.socket = socket;
    this.reader = new PqReader(socket);
    this.writer = new PqWriter((bytes) => socket.write(bytes));
  }

  /** Starts the orderly exit once: closes the socket after pending output, then `ctx.exit(code)`. */
  beginExit(code: number): void {
    if (this.exiting) return;
    this.exiting = true;
    const done = () => this.ctx.exit(code);
    setTimeout(done, EXIT_DRAIN_MAX_MS);
    void this.socket.close().then(done);
  }

  /** Logs a FATAL and queues it for the client after any pending output (the caller then begins the exit). */
  sendFatal(e: SqlError): void {
    if (this.exiting) return;
    const logDetail = e instanceof AuthFailedError ? e.logDetail : e.detail;
    elog(e.severity === "PANIC" ? "PANIC" : "FATAL", e.message, {
      detail: logDetail,
      hint: e.hint,
      sqlstate: e.sqlstate,
    });
    if (this.socket.broken) return;
    const severity = e.severity === "PANIC" ? "PANIC" : "FATAL";
    this.writer.errorResponse({ severity, code: e.sqlstate, message: e.message, detail: e.detail, hint: e.hint });
    void this.writer.flush();
  }

  /** Ends the session with a FATAL: sends and logs it, begins the exit, and unwinds with {@link SessionExit}. */
  fatalExit(e: SqlError): never {
    this.sendFatal(e);
    this.beginExit(1);
    throw new SessionExit();
  }
}

/** Never settles: the process ends through the exit begun by {@link _Conn.beginExit}. */
function _awaitExit(): Promise<never> {
  return new Promise<never>(() => {});
}

/**
 * Runs one client session in this backend process. A session that ends
 * cleanly — Terminate or end of input while idle, no transaction open, no
 * protocol error pending, no FATAL, no termination request; or a client that
 * left during start-up, or a served CancelRequest — releases everything it
 * held (socket, process-array slot, session exit callbacks, log and title
 * details) and returns, so the caller may offer the process for another
 * client. Every other end exits the process, as before recycling.
 *
 * @param ctx the child context (settings, shared memory, signals)
 * @param socket the client socket, adopted from the postmaster
 * @param conn what the postmaster knows about the client
 * @returns `"clean"`; otherwise the process exits through `ctx.exit`
 */
export async function backendMain(
  ctx: ChildContext,
  socket: PqSocket,
  conn: ClientConnection,
): Promise<BackendSessionEnd> {
  const prepared = _prepared ?? (await backendPrepare(ctx, undefined), _prepared!);
  ctx.beginSession();
  const c = new _Conn(ctx, socket);
  const hostText = conn.local ? "[local]" : conn.remoteHost;
  setLogProcessInfo({ backendType: "client backend", remoteHost: hostText, remotePort: conn.remotePort });
  // Out of time, or told to stop (SIGTERM), before the session has started: as PostgreSQL, the process exits at
  // once and tells the client nothing; after the startup packet it logs why (process_startup_packet_die(),
  // then die() with ClientAuthInProgress, in PostgreSQL).
  let authInProgress = false;
  const abortStartup = () => {
    if (c.exiting) return;
    c.exiting = true;
    if (authInProgress) {
      elog("FATAL", "canceling authentication due to timeout", { sqlstate: SqlState.QUERY_CANCELED });
    }
    ctx.exit(1);
  };
  const timeout = setTimeout(abortStartup, ctx.settings.int("authentication_timeout") * 1000);
  const stopListening = ctx.onSignal((sig) => sig === "SIGTERM" && abortStartup());
  if (ctx.signals.terminatePending) abortStartup();
  let loop: PostgresMain;
  try {
    if (ctx.settings.bool("log_connections")) logConnectionReceived(conn);
    const startup = await _readStartup(ctx, c);
    authInProgress = true;
    _checkAdmission(conn);
    const cancelKey = await _claimSlot(ctx);
    initPsDisplay(
      `${startup.user} ${startup.database} ${conn.local ? "[local]" : `${conn.remoteHost}(${conn.remotePort})`}`,
      ctx.settings.str("cluster_name"),
      "denogres",
    );
    setPsDisplay("authentication");
    setLogProcessInfo({ user: startup.user, database: startup.database });
    const { role, database } = await _authenticate(ctx, c, prepared, conn, startup);
    setPsDisplay("startup");
    loop = _startSession(ctx, c, conn, startup, role, database, cancelKey);
  } catch (e) {
    clearTimeout(timeout);
    stopListening();
    if (c.exiting || e instanceof SessionExit) return await _awaitExit();
    if (e instanceof _QuietExit) return await _endCleanly(c);
    if (e instanceof PqProtocolError) elog("LOG", e.message, { sqlstate: SqlState.PROTOCOL_VIOLATION });
    else if (e instanceof SqlError) c.sendFatal(e);
    else throw e;
    c.beginExit(e instanceof SqlError ? 1 : 0);
    return await _awaitExit();
  }
  clearTimeout(timeout);
  stopListening();
  let code: number;
  try {
    code = await loop.run();
  } catch (e) {
    if (e instanceof SessionExit || c.exiting) return await _awaitExit();
    if (e instanceof AssertionError) throw e;
    if (e instanceof SqlError) c.sendFatal(e);
    else if (e instanceof PqProtocolError) {
      c.sendFatal(new SqlError(SqlState.PROTOCOL_VIOLATION, e.message, { severity: "FATAL" }));
    } else throw e;
    c.beginExit(1);
    return await _awaitExit();
  }
  if (ctx.settings.bool("log_disconnections")) elog("LOG", "disconnection: session ended");
  if (code === 0 && loop.endedCleanly && !ctx.signals.terminatePending && !c.exiting) return await _endCleanly(c);
  c.beginExit(code);
  return await _awaitExit();
}

/**
 * A clean end: the session's state is released, as an exit would release it
 * (the slot first, so a client reconnecting at once finds it free), then the
 * socket is closed after its pending output; a client that does not take
 * that output within EXIT_DRAIN_MAX_MS costs the process (it exits).
 */
async function _endCleanly(c: _Conn): Promise<BackendSessionEnd> {
  c.ctx.endSession();
  // As at an exit, output a client does not read holds the process at most EXIT_DRAIN_MAX_MS; then it exits instead.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    c.socket.close().then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), EXIT_DRAIN_MAX_MS)),
  ]);
  clearTimeout(timer);
  if (!drained) c.ctx.exit(0);
  setLogProcessInfo({
    backendType: "client backend",
    user: undefined,
    database: undefined,
    applicationName: undefined,
    remoteHost: undefined,
    remotePort: undefined,
    sessionStartMs: undefined,
  });
  return "clean";
}

async function _readStartup(ctx: ChildContext, c: _Conn): Promise<_Startup> {
  const r = await processStartupPacket(c.reader, c.writer);
  if (r.kind === "eof") throw new _QuietExit("eof");
  if (r.kind === "cancel") {
    processCancelRequest(ctx.segment, r.pid, r.secretKey);
    throw new _QuietExit("cancel");
  }
  return r.packet;
}

/** Claims a process-array slot, waiting up to {@link SLOT_CLAIM_WAIT_MAX_MS} for one to be released. */
async function _claimSlot(ctx: ChildContext): Promise<number> {
  const deadline = performance.now() + SLOT_CLAIM_WAIT_MAX_MS;
  for (;;) {
    try {
      return procArrayClaimSlot(ctx.segment, "client backend").cancelKey;
    } catch (e) {
      if (!(e instanceof SqlError) || e.sqlstate !== SqlState.TOO_MANY_CONNECTIONS) throw e;
      if (performance.now() >= deadline) throw e;
    }
    await ctx.waitForWork(_SLOT_CLAIM_POLL_MS);
  }
}

/** The postmaster's verdict at accept time (canAcceptConnections), checked after the startup packet. */
function _checkAdmission(conn: ClientConnection): void {
  const refusal = admissionError(conn.cac);
  if (refusal !== undefined) throw refusal;
}

async function _authenticate(
  ctx: ChildContext,
  c: _Conn,
  prepared: _Prepared,
  conn: ClientConnection,
  p: _Startup,
): Promise<{ role: RoleRow; database: DatabaseRow }> {
  const { reader, writer } = c;
  const [lines, roles, databases] = await Promise.all([
    prepared.hba.lines(conn.hbaGeneration),
    prepared.catalog.roles(),
    prepared.catalog.databases(),
  ]);
  const role = roles.find((r) => r.name === p.user);
  const line = checkHba(lines, {
    local: conn.local,
    remoteAddress: conn.local ? undefined : conn.remoteHost,
    user: p.user,
    database: p.database,
  });
  const remoteHost = conn.local ? "[local]" : conn.remoteHost;
  const outcome = await clientAuthentication(
    { reader, writer, remoteHost, user: p.user, database: p.database },
    line,
    role,
    prepared.mockNonce,
  );
  if (outcome === "eof") throw new _QuietExit("eof during authentication");
  const fatal = (code: string, msg: string) => new SqlError(code, msg, { severity: "FATAL" });
  if (role === undefined) throw fatal(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, `role "${p.user}" does not exist`);
  if (!role.canLogin) {
    throw fatal(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, `role "${p.user}" is not permitted to log in`);
  }
  const reserved = ctx.settings.int("superuser_reserved_connections");
  if (!role.superuser && reserved > 0 && !procArrayHaveFreeSlots(ctx.segment, reserved)) {
    throw fatal(
      SqlState.TOO_MANY_CONNECTIONS,
      "remaining connection slots are reserved for non-replication superuser connections",
    );
  }
  const database = databases.find((d) => d.name === p.database);
  if (database === undefined) throw fatal(SqlState.INVALID_CATALOG_NAME, `database "${p.database}" does not exist`);
  if (!database.allowConnections) {
    throw fatal(
      SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE,
      `database "${p.database}" is not currently accepting connections`,
    );
  }
  return { role, database };
}

function _startSession(
  ctx: ChildContext,
  c: _Conn,
  conn: ClientConnection,
  p: _Startup,
  role: RoleRow,
  database: DatabaseRow,
  cancelKey: number,
): PostgresMain {
  const { reader, writer } = c;
  const gucs = new SessionGucs(ctx.settings, { isSuperuser: role.superuser, userName: role.name });
  for (const o of [...p.options, ...p.params]) {
    gucs.set(o.name, o.value, { isLocal: false, inTransaction: false, context: "startup" });
  }
  const owner: { loop?: PostgresMain } = {};
  const session = new BackendSession(
    ctx,
    {
      userName: role.name,
      userOid: role.oid,
      isSuperuser: role.superuser,
      databaseName: database.name,
      databaseOid: database.oid,
    },
    gucs,
    (n) =>
      writer.noticeResponse({ severity: n.severity, code: n.code, message: n.message, detail: n.detail, hint: n.hint }),
    () => owner.loop?.dropPortals(),
  );
  const appName = String(gucs.value("application_name"));
  pgstatBestart(ctx.segment, {
    databaseOid: database.oid,
    databaseName: database.name,
    userOid: role.oid,
    userName: role.name,
    applicationName: appName,
    clientAddr: conn.local ? "" : conn.remoteHost,
    clientPort: conn.local ? -1 : conn.remotePort ?? 0,
  });
  setLogProcessInfo({ applicationName: appName, sessionStartMs: conn.acceptTimeMs });
  if (ctx.settings.bool("log_connections")) {
    elog("LOG", `connection authorized: user=${role.name} database=${database.name} application_name=${appName}`);
  }
  writer.authenticationOk();
  for (const [name, value] of gucs.takeReportChanges()) writer.parameterStatus(name, value);
  writer.backendKeyData(Deno.pid, cancelKey);
  owner.loop = new PostgresMain(session, reader, writer, (e) => c.fatalExit(e));
  return owner.loop;
}
