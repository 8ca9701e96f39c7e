/**
 * client_auth.ts — client authentication over the wire: runs the method of
 * the matching pg_hba.conf line (trust, reject, password, scram-sha-256)
 * and reports failures with PostgreSQL's messages.
 *
 * PostgreSQL counterpart: ClientAuthentication(), auth_failed(),
 * CheckPasswordAuth(), CheckSASLAuth() and recv_password_packet() in
 * src/backend/libpq/auth.c, and src/backend/libpq/auth-sasl.c.
 *
 * NOTES
 * Failures are FATAL `SqlError`s; the client sees only the message and
 * SQLSTATE (28P01 `password authentication failed for user "…"`, 28000
 * `no pg_hba.conf entry for host "…", user "…", database "…", no
 * encryption`), while the server log also gets {@link AuthFailedError.logDetail}
 * (why, and which pg_hba.conf line matched), as PostgreSQL's errdetail_log.
 * A client that hangs up when asked for a password (psql does, to prompt
 * for one) is `eof`: the session ends without logging a failure. Messages
 * during authentication are limited to {@link AUTH_TOKEN_MAX_BYTES}.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import type { RoleRow } from "../catalog/mod.ts";
import { decodePassword, decodeSaslInitialResponse } from "../protocol/frontend_messages.ts";
import { AUTH_TOKEN_MAX_BYTES, FrontendMessage, pqDecodeUtf8 } from "../protocol/pq_message.ts";
import type { PqReader } from "../protocol/pq_reader.ts";
import type { PqWriter } from "../protocol/pq_writer.ts";
import type { HbaLine } from "./hba.ts";
import { parseScramVerifier, scramVerifyPlainPassword } from "./scram.ts";
import { ScramExchange } from "./scram_exchange.ts";

/** An authentication failure: the message goes to the client, `logDetail` only to the server log. */
export class AuthFailedError extends SqlError {
  /** errdetail_log: why it failed and which pg_hba.conf line matched. */
  readonly logDetail?: string;
  /**
   * @param sqlstate 28P01 or 28000
   * @param message PostgreSQL's wording
   * @param logDetail detail for the server log only
   */
  constructor(sqlstate: string, message: string, logDetail?: string) {
    super(sqlstate, message, { severity: "FATAL" });
    this.name = "AuthFailedError";
    this.logDetail = logDetail;
  }
}

/** The connection, as authentication sees it. */
export interface AuthPort {
  readonly reader: PqReader;
  readonly writer: PqWriter;
  /** `[local]` for Unix sockets, else the numeric address. */
  readonly remoteHost: string;
  readonly user: string;
  readonly database: string;
}

function _hbaDetail(line: HbaLine): string {
  return `Connection matched pg_hba.conf line ${line.lineNumber}: "${line.rawLine}"`;
}

function _authFailed(port: AuthPort, line: HbaLine, why?: string): AuthFailedError {
  const detail = why === undefined ? _hbaDetail(line) : `${why}\n${_hbaDetail(line)}`;
  return new AuthFailedError(
    SqlState.INVALID_PASSWORD,
    `password authentication failed for user "${port.user}"`,
    detail,
  );
}

/** Reads the next 'p' message; null when the client hung up. */
async function _readAuthMessage(port: AuthPort): Promise<Uint8Array | null> {
  await port.writer.flush();
  const type = await port.reader.readMessage(() => AUTH_TOKEN_MAX_BYTES);
  if (type < 0) return null;
  if (type !== FrontendMessage.PASSWORD) {
    throw new SqlError(SqlState.PROTOCOL_VIOLATION, `expected password response, got message type ${type}`, {
      severity: "FATAL",
    });
  }
  return port.reader.body;
}

/** Why a role cannot authenticate with a password, for the log (or undefined if it can). */
function _secretProblem(port: AuthPort, role: RoleRow | undefined): string | undefined {
  if (role === undefined) return `Role "${port.user}" does not exist.`;
  if (role.password === null) return `User "${port.user}" has no password assigned.`;
  if (parseScramVerifier(role.password) === undefined) return `User "${port.user}" does not have a valid SCRAM secret.`;
  return undefined;
}

/**
 * Authenticates a client by its pg_hba.conf line.
 *
 * @param port the connection and the names from the startup packet
 * @param line the first matching line, or undefined for none
 * @param role the role named in the startup packet, if it exists
 * @param mockNonce cluster secret for mock SCRAM salts
 * @returns "ok", or "eof" when the client hung up during the exchange
 * @throws {AuthFailedError} FATAL 28000 / 28P01
 * @throws {SqlError} FATAL 08P01 for protocol violations
 */
export async function clientAuthentication(
  port: AuthPort,
  line: HbaLine | undefined,
  role: RoleRow | undefined,
  mockNonce: Uint8Array,
): Promise<"ok" | "eof"> {
  if (line === undefined) {
    throw new AuthFailedError(
      SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
      `no pg_hba.conf entry for host "${port.remoteHost}", user "${port.user}", database "${port.database}", no encryption`,
    );
  }
  switch (line.method) {
    case "trust":
      return "ok";
    case "reject":
      throw new AuthFailedError(
        SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
        `pg_hba.conf rejects connection for host "${port.remoteHost}", user "${port.user}", database "${port.database}", no encryption`,
      );
    case "password":
      return await _passwordAuth(port, line, role);
    case "md5":
    case "scram-sha-256":
      return await _scramAuth(port, line, role, mockNonce);
  }
}

async function _passwordAuth(port: AuthPort, line: HbaLine, role: RoleRow | undefined): Promise<"ok" | "eof"> {
  port.writer.authenticationCleartextPassword();
  const body = await _readAuthMessage(port);
  if (body === null) return "eof";
  const password = decodePassword(body);
  if (password === "") {
    throw new SqlError(SqlState.PROTOCOL_VIOLATION, "empty password returned by client", { severity: "FATAL" });
  }
  const problem = _secretProblem(port, role);
  if (problem !== undefined) throw _authFailed(port, line, problem);
  if (!scramVerifyPlainPassword(password, parseScramVerifier(role!.password!)!)) {
    throw _authFailed(port, line, `Password does not match for user "${port.user}".`);
  }
  return "ok";
}

async function _scramAuth(
  port: AuthPort,
  line: HbaLine,
  role: RoleRow | undefined,
  mockNonce: Uint8Array,
): Promise<"ok" | "eof"> {
  const problem = _secretProblem(port, role);
  const exchange = new ScramExchange(
    problem === undefined ? parseScramVerifier(role!.password!) : undefined,
    port.user,
    mockNonce,
  );
  port.writer.authenticationSasl(["SCRAM-SHA-256"]);
  const first = await _readAuthMessage(port);
  if (first === null) return "eof";
  const init = decodeSaslInitialResponse(first);
  if (init.mechanism !== "SCRAM-SHA-256") {
    throw new SqlError(
      SqlState.PROTOCOL_VIOLATION,
      "client selected an invalid SASL authentication mechanism",
      { severity: "FATAL" },
    );
  }
  if (init.data === null) {
    throw new SqlError(SqlState.PROTOCOL_VIOLATION, "malformed SCRAM message", { severity: "FATAL" });
  }
  port.writer.authenticationSaslContinue(_fatal(() => exchange.clientFirst(pqDecodeUtf8(init.data!))));
  const final = await _readAuthMessage(port);
  if (final === null) return "eof";
  const r = _fatal(() => exchange.clientFinal(pqDecodeUtf8(final)));
  if (!r.ok) throw _authFailed(port, line, problem);
  port.writer.authenticationSaslFinal(r.serverFinal!);
  return "ok";
}

/** Errors during authentication end the session (ERROR becomes FATAL there, as in PostgreSQL). */
function _fatal<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SqlError && e.severity === "ERROR") {
      throw new SqlError(e.sqlstate, e.message, { severity: "FATAL", detail: e.detail, hint: e.hint });
    }
    throw e;
  }
}
