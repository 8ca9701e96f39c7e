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
 * postmaster never reads client bytes. Order of checks follows PostgreSQL:
 * startup packet, postmaster state (57P03), slot (53300), pg_hba.conf and
 * authentication, role, reserved slots, database. Every FATAL is sent to the
 * client, logged, and the process exits 1; a client that leaves during
 * startup or at the password prompt ends the process with 0 and, as in
 * PostgreSQL, no error. A CancelRequest signals the matching backend
 * (SIGINT, that pid only) and closes without a reply. The whole start-up is
 * bounded by authentication_timeout. Requires the backend's permission set.
 *
 * @module
 */

import type * as net from "node:net";
import { randomBytes } from "node:crypto";
import { AssertionError } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { AuthFailedError, checkHba, clientAuthentication, type HbaLine, parseHbaFile } from "../auth/mod.ts";
import { type DatabaseRow, readDatabases, readRoles, type RoleRow } from "../catalog/mod.ts";
import { elog, setLogProcessInfo } from "../log/mod.ts";
import type { ChildContext } from "../postmaster/aux_process.ts";
import type { ClientConnection } from "../postmaster/handoff.ts";
import { initPsDisplay, setPsDisplay } from "../postmaster/ps_status.ts";
import { decodeStartupPacket, type StartupPacket } from "../protocol/frontend_messages.ts";
import { PqProtocolError, PqReader } from "../protocol/pq_reader.ts";
import { PqWriter } from "../protocol/pq_writer.ts";
import { pgstatBestart, procArrayCheckCancelKey, procArrayClaimSlot, procArrayHaveFreeSlots } from "../shmem/mod.ts";
import { SessionGucs } from "../sql/session_gucs.ts";
import { planQuery, sqlParserInit } from "../sql/statement.ts";
import { BackendSession } from "./backend_session.ts";
import { PostgresMain } from "./postgres_main.ts";
import { SessionExit } from "./session_exit.ts";

// Load the SQL parser, and run the planner once, while a spare backend waits for its connection:
// the first client then meets warm code (PostgreSQL's backends inherit this from the postmaster by fork).
const _parserReady = sqlParserInit().then(() => void planQuery("SELECT 1"));

/** Secret mixed into mock SCRAM salts; per data directory would be better, per process suffices for unpredictability. */
const _MOCK_NONCE = new Uint8Array(randomBytes(32));

type _Startup = Extract<StartupPacket, { kind: "startup" }>;

/** A session that ends without an error to report (the client left, or a cancel request was served). */
class _QuietExit extends Error {}

/** Longest wait for the last bytes to reach the client before exiting anyway. */
const EXIT_DRAIN_MAX_MS = 1000;
let _exiting = false;

/** Starts the orderly exit once: closes the socket after pending output, then `ctx.exit(code)`. */
function _beginExit(ctx: ChildContext, socket: net.Socket, code: number): void {
  if (_exiting) return;
  _exiting = true;
  const done = () => ctx.exit(code);
  socket.once("close", done);
  setTimeout(done, EXIT_DRAIN_MAX_MS);
  socket.end();
}

/** Never settles: the process ends through the exit begun by {@link _beginExit}. */
function _awaitExit(): Promise<never> {
  return new Promise<never>(() => {});
}

/**
 * Runs one client session in this backend process and exits.
 *
 * @param ctx the child context (settings, shared memory, signals)
 * @param socket the client socket, adopted from the postmaster
 * @param conn what the postmaster knows about the client
 * @returns never returns normally: the process exits through `ctx.exit`
 */
export async function backendMain(ctx: ChildContext, socket: net.Socket, conn: ClientConnection): Promise<void> {
  const writer = new PqWriter((bytes) => _write(socket, bytes));
  const reader = new PqReader(socket);
  socket.on("error", () => {/* reported as end of input by the reader */});
  const hostText = conn.local ? "[local]" : conn.remoteHost;
  setLogProcessInfo({ backendType: "client backend", remoteHost: hostText, remotePort: conn.remotePort });
  const fatal = (e: SqlError): never => _fatalExit(ctx, writer, socket, e);
  const timeout = setTimeout(() => {
    const e = new SqlError(SqlState.QUERY_CANCELED, "canceling authentication due to timeout", { severity: "FATAL" });
    _sendFatal(ctx, writer, socket, e);
    _beginExit(ctx, socket, 1);
  }, ctx.settings.int("authentication_timeout") * 1000);
  let loop: PostgresMain;
  try {
    const startup = await _readStartup(ctx, reader, writer);
    if (ctx.settings.bool("log_connections")) {
      elog("LOG", `connection received: host=${hostText}${conn.local ? "" : ` port=${conn.remotePort}`}`);
    }
    _checkAdmission(conn);
    const { cancelKey } = procArrayClaimSlot(ctx.segment, "client backend");
    initPsDisplay(
      `${startup.user} ${startup.database} ${conn.local ? "[local]" : `${conn.remoteHost}(${conn.remotePort})`}`,
      ctx.settings.str("cluster_name"),
      "denogres",
    );
    setPsDisplay("authentication");
    setLogProcessInfo({ user: startup.user, database: startup.database });
    const { role, database } = await _authenticate(ctx, reader, writer, conn, startup);
    setPsDisplay("startup");
    await _parserReady;
    loop = _startSession(ctx, reader, writer, conn, startup, role, database, cancelKey, fatal);
  } catch (e) {
    clearTimeout(timeout);
    if (e instanceof PqProtocolError) elog("LOG", e.message, { sqlstate: SqlState.PROTOCOL_VIOLATION });
    else if (e instanceof SqlError) _sendFatal(ctx, writer, socket, e);
    else if (!(e instanceof _QuietExit) && !(e instanceof SessionExit)) throw e;
    _beginExit(ctx, socket, e instanceof SqlError ? 1 : 0);
    return await _awaitExit();
  }
  clearTimeout(timeout);
  let code: number;
  try {
    code = await loop.run();
  } catch (e) {
    if (e instanceof SessionExit) return await _awaitExit();
    if (e instanceof AssertionError) throw e;
    if (e instanceof SqlError) _sendFatal(ctx, writer, socket, e);
    else if (e instanceof PqProtocolError) {
      _sendFatal(ctx, writer, socket, new SqlError(SqlState.PROTOCOL_VIOLATION, e.message, { severity: "FATAL" }));
    } else throw e;
    _beginExit(ctx, socket, 1);
    return await _awaitExit();
  }
  if (ctx.settings.bool("log_disconnections")) elog("LOG", "disconnection: session ended");
  _beginExit(ctx, socket, code);
  return await _awaitExit();
}

function _write(socket: net.Socket, bytes: Uint8Array): void | Promise<void> {
  if (socket.destroyed) return;
  if (socket.write(bytes)) return;
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

/** Logs a FATAL and queues it for the client after any pending output (the caller then begins the exit). */
function _sendFatal(_ctx: ChildContext, writer: PqWriter, socket: net.Socket, e: SqlError): void {
  if (_exiting) return;
  const logDetail = e instanceof AuthFailedError ? e.logDetail : e.detail;
  elog(e.severity === "PANIC" ? "PANIC" : "FATAL", e.message, {
    detail: logDetail,
    hint: e.hint,
    sqlstate: e.sqlstate,
  });
  if (socket.destroyed) return;
  const severity = e.severity === "PANIC" ? "PANIC" : "FATAL";
  writer.errorResponse({ severity, code: e.sqlstate, message: e.message, detail: e.detail, hint: e.hint });
  void writer.flush();
}

/** Ends the session with a FATAL: sends and logs it, begins the exit, and unwinds with {@link SessionExit}. */
function _fatalExit(ctx: ChildContext, writer: PqWriter, socket: net.Socket, e: SqlError): never {
  _sendFatal(ctx, writer, socket, e);
  _beginExit(ctx, socket, 1);
  throw new SessionExit();
}

async function _readStartup(ctx: ChildContext, reader: PqReader, writer: PqWriter): Promise<_Startup> {
  let sslDone = false, gssDone = false;
  for (;;) {
    const r = await reader.readStartupPacket();
    if (r.kind === "eof") {
      if (r.bytesSeen > 0 || sslDone || gssDone) {
        elog("LOG", "incomplete startup packet", { sqlstate: SqlState.PROTOCOL_VIOLATION });
      }
      throw new _QuietExit("eof");
    }
    const p = decodeStartupPacket(r.body);
    if (p.kind === "ssl" && !sslDone) {
      sslDone = true;
      writer.rawByte(0x4e); // 'N': no SSL
      await writer.flush();
      continue;
    }
    if (p.kind === "gss" && !gssDone) {
      gssDone = true;
      writer.rawByte(0x4e);
      await writer.flush();
      continue;
    }
    if (p.kind === "ssl" || p.kind === "gss") {
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        "unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0",
        {
          severity: "FATAL",
        },
      );
    }
    if (p.kind === "cancel") {
      _processCancelRequest(ctx, p.pid, p.secretKey);
      throw new _QuietExit("cancel");
    }
    if (p.user === "") {
      throw new SqlError(
        SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
        "no PostgreSQL user name specified in startup packet",
        {
          severity: "FATAL",
        },
      );
    }
    if (p.replication !== undefined && p.replication !== "false" && p.replication !== "off" && p.replication !== "0") {
      throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "replication connections are not supported", {
        severity: "FATAL",
      });
    }
    if (p.minor > 0 || p.unrecognizedProtocolOptions.length > 0) {
      writer.negotiateProtocolVersion(0, p.unrecognizedProtocolOptions);
    }
    return p;
  }
}

/** processCancelRequest: SIGINT to the backend whose pid and key match; nothing is sent back. */
function _processCancelRequest(ctx: ChildContext, pid: number, key: number): void {
  if (!procArrayCheckCancelKey(ctx.segment, pid, key)) {
    elog("LOG", `PID ${pid} in cancel request did not match any process`);
    return;
  }
  try {
    Deno.kill(pid, "SIGINT");
  } catch (e) {
    elog("LOG", `could not send signal to process ${pid}: ${(e as Error).message}`);
  }
}

/** The postmaster's verdict at accept time (canAcceptConnections), checked after the startup packet. */
function _checkAdmission(conn: ClientConnection): void {
  const f = (code: string, msg: string, detail?: string) => new SqlError(code, msg, { severity: "FATAL", detail });
  switch (conn.cac) {
    case "ok":
      return;
    case "startup":
      throw f(SqlState.CANNOT_CONNECT_NOW, "the database system is starting up");
    case "recovery":
      throw f(SqlState.CANNOT_CONNECT_NOW, "the database system is in recovery mode");
    case "shutdown":
      throw f(SqlState.CANNOT_CONNECT_NOW, "the database system is shutting down");
    case "toomany":
      throw f(SqlState.TOO_MANY_CONNECTIONS, "sorry, too many clients already");
  }
}

async function _loadHba(dataDir: string): Promise<HbaLine[]> {
  const path = `${dataDir}/pg_hba.conf`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    elog("LOG", `could not open configuration file "${path}": ${(e as Error).message}`);
    throw new SqlError(SqlState.INTERNAL_ERROR, "could not load pg_hba.conf", { severity: "FATAL" });
  }
  const { lines, errors } = parseHbaFile(text);
  for (const err of errors) {
    elog("LOG", `${err.message}\nCONTEXT:  line ${err.lineNumber} of configuration file "${path}"`, {
      sqlstate: SqlState.CONFIG_FILE_ERROR,
    });
  }
  if (errors.length > 0) {
    throw new SqlError(SqlState.INTERNAL_ERROR, "could not load pg_hba.conf", { severity: "FATAL" });
  }
  return lines;
}

async function _authenticate(
  ctx: ChildContext,
  reader: PqReader,
  writer: PqWriter,
  conn: ClientConnection,
  p: _Startup,
): Promise<{ role: RoleRow; database: DatabaseRow }> {
  const [lines, roles, databases] = await Promise.all([
    _loadHba(ctx.dataDir),
    readRoles(ctx.dataDir),
    readDatabases(ctx.dataDir),
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
    _MOCK_NONCE,
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
  reader: PqReader,
  writer: PqWriter,
  conn: ClientConnection,
  p: _Startup,
  role: RoleRow,
  database: DatabaseRow,
  cancelKey: number,
  fatal: (e: SqlError) => never,
): PostgresMain {
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
  owner.loop = new PostgresMain(session, reader, writer, fatal);
  return owner.loop;
}
