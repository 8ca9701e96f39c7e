/**
 * frontend_messages.ts — decoding of the startup packet and of the extended
 * query messages (Parse, Bind, Describe, Execute, Close) and password/SASL
 * messages into plain objects.
 *
 * PostgreSQL counterpart: ProcessStartupPacket() in
 * src/backend/postmaster/postmaster.c; exec_parse_message(),
 * exec_bind_message() (the message-reading part), exec_describe_*,
 * exec_execute_message() and the 'C' case of PostgresMain() in
 * src/backend/tcop/postgres.c; recv_password_packet() and the SASL reads in
 * src/backend/libpq/auth.c.
 *
 * NOTES
 * Pure functions over a body view; everything kept is copied out (strings
 * decoded, parameter values sliced), so the reader's buffer can be reused
 * at once. Framing errors throw `PqProtocolError`; errors PostgreSQL reports
 * with another SQLSTATE (an unsupported protocol version: 0A000) throw
 * `SqlError` with severity FATAL.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { NAME_DATA_LEN } from "../common/limits.ts";
import {
  CANCEL_REQUEST_CODE,
  NEGOTIATE_GSS_CODE,
  NEGOTIATE_SSL_CODE,
  PG_PROTOCOL_LATEST,
  PqMessageCursor,
} from "./pq_message.ts";
import { PqProtocolError } from "./pq_reader.ts";

/** A decoded startup-phase packet. */
export type StartupPacket =
  | { readonly kind: "ssl" }
  | { readonly kind: "gss" }
  | { readonly kind: "cancel"; readonly pid: number; readonly secretKey: number }
  | {
    readonly kind: "startup";
    /** Protocol minor version requested. */
    readonly minor: number;
    readonly user: string;
    /** Defaults to the user name, as PostgreSQL. */
    readonly database: string;
    /** Command-line style options (`-c name=value`, `--name=value`), already split. */
    readonly options: readonly { name: string; value: string }[];
    /** Other name/value pairs: run-time parameters (application_name, client_encoding, …). */
    readonly params: readonly { name: string; value: string }[];
    /** `_pq_.*` options, which protocol 3.0 does not know (answered by NegotiateProtocolVersion). */
    readonly unrecognizedProtocolOptions: readonly string[];
    /** The `replication` value, if any. */
    readonly replication?: string;
  };

/** Parse message. */
export interface ParseMessage {
  readonly statementName: string;
  readonly query: string;
  readonly paramTypeOids: readonly number[];
}

/** Bind message; parameter values are copied out of the input buffer. */
export interface BindMessage {
  readonly portalName: string;
  readonly statementName: string;
  /** Per-parameter format codes (0 text, 1 binary), expanded to one per parameter by the caller. */
  readonly paramFormats: readonly number[];
  readonly paramValues: readonly (Uint8Array | null)[];
  readonly resultFormats: readonly number[];
}

/** Describe or Close target. */
export interface TargetMessage {
  /** 'S' statement or 'P' portal. */
  readonly kind: "S" | "P";
  readonly name: string;
}

/** Execute message. */
export interface ExecuteMessage {
  readonly portalName: string;
  /** 0: no limit. */
  readonly maxRows: number;
}

/**
 * Decodes a startup packet body (after the length word).
 *
 * @param body the packet body
 * @returns what the client asked for
 * @throws {PqProtocolError} on a malformed packet
 * @throws {SqlError} 0A000 FATAL for an unsupported protocol version
 */
export function decodeStartupPacket(body: Uint8Array): StartupPacket {
  const m = new PqMessageCursor(body);
  const proto = m.int32() >>> 0;
  if (proto === CANCEL_REQUEST_CODE) {
    if (body.length !== 12) throw new PqProtocolError("invalid length of startup packet");
    return { kind: "cancel", pid: m.int32(), secretKey: m.int32() };
  }
  if (proto === NEGOTIATE_SSL_CODE) return { kind: "ssl" };
  if (proto === NEGOTIATE_GSS_CODE) return { kind: "gss" };
  const major = proto >>> 16;
  const minor = proto & 0xffff;
  if (major !== PG_PROTOCOL_LATEST >>> 16) {
    throw new SqlError(
      SqlState.FEATURE_NOT_SUPPORTED,
      `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.0`,
      { severity: "FATAL" },
    );
  }
  return _decodeStartupParams(m, minor);
}

function _decodeStartupParams(m: PqMessageCursor, minor: number): StartupPacket {
  let user = "";
  let database = "";
  let replication: string | undefined;
  const options: { name: string; value: string }[] = [];
  const params: { name: string; value: string }[] = [];
  const unrecognized: string[] = [];
  // Pairs of NUL-terminated strings, ended by an empty name that must be the last byte.
  while (m.remaining > 0) {
    const name = _startupString(m);
    if (name === "") {
      if (m.remaining !== 0) break;
      return {
        kind: "startup",
        minor,
        user: _truncateName(user),
        database: _truncateName(database === "" ? user : database),
        options,
        params,
        unrecognizedProtocolOptions: unrecognized,
        replication,
      };
    }
    const value = _startupString(m);
    if (name === "database") database = value;
    else if (name === "user") user = value;
    else if (name === "options") options.push(...splitBackendOptions(value));
    else if (name === "replication") replication = value;
    else if (name.startsWith("_pq_.")) unrecognized.push(name);
    else params.push({ name, value });
  }
  throw _badLayout();
}

function _badLayout(): SqlError {
  return new SqlError(SqlState.PROTOCOL_VIOLATION, "invalid startup packet layout: expected terminator as last byte", {
    severity: "FATAL",
  });
}

function _startupString(m: PqMessageCursor): string {
  try {
    return m.cstring();
  } catch (e) {
    if (e instanceof PqProtocolError) throw _badLayout();
    throw e;
  }
}

/** Truncates an identifier to NAMEDATALEN-1 bytes on a character boundary, as PostgreSQL's startup does. */
function _truncateName(s: string): string {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length < NAME_DATA_LEN) return s;
  let n = NAME_DATA_LEN - 1;
  while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
  return new TextDecoder().decode(bytes.subarray(0, n));
}

/**
 * Splits the startup packet's `options` value as PostgreSQL's
 * pg_split_opts + process_postgres_switches do for `-c name=value` and
 * `--name=value` (backslash escapes a space).
 *
 * @param text the options string
 * @returns the name/value pairs
 * @throws {SqlError} 42601 FATAL for a switch denogres does not take, as PostgreSQL's `invalid command-line argument`
 */
export function splitBackendOptions(text: string): { name: string; value: string }[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  const out: { name: string; value: string }[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    let assignment: string | undefined;
    if (w === "-c") assignment = words[++i];
    else if (w.startsWith("-c")) assignment = w.slice(2);
    else if (w.startsWith("--")) assignment = w.slice(2);
    const eq = assignment?.indexOf("=") ?? -1;
    if (assignment === undefined || eq <= 0) {
      throw new SqlError(SqlState.SYNTAX_ERROR, `invalid command-line argument for server process: ${w}`, {
        severity: "FATAL",
        hint: 'Try "postgres --help" for more information.',
      });
    }
    out.push({ name: assignment.slice(0, eq).replaceAll("-", "_"), value: assignment.slice(eq + 1) });
  }
  return out;
}

/** Decodes Parse ('P'). */
export function decodeParse(body: Uint8Array): ParseMessage {
  const m = new PqMessageCursor(body);
  const statementName = m.cstring();
  const query = m.cstring();
  const n = m.int16();
  if (n < 0) throw new PqProtocolError("invalid message format");
  const paramTypeOids: number[] = new Array(n);
  for (let i = 0; i < n; i++) paramTypeOids[i] = m.int32() >>> 0;
  m.end();
  return { statementName, query, paramTypeOids };
}

/** Decodes Bind ('B'). */
export function decodeBind(body: Uint8Array): BindMessage {
  const m = new PqMessageCursor(body);
  const portalName = m.cstring();
  const statementName = m.cstring();
  const nf = m.int16();
  if (nf < 0) throw new PqProtocolError("invalid message format");
  const paramFormats: number[] = new Array(nf);
  for (let i = 0; i < nf; i++) paramFormats[i] = m.int16();
  const np = m.int16();
  if (np < 0) throw new PqProtocolError("invalid message format");
  const paramValues: (Uint8Array | null)[] = new Array(np);
  for (let i = 0; i < np; i++) {
    const len = m.int32();
    if (len === -1) paramValues[i] = null;
    else if (len < 0) throw new PqProtocolError("insufficient data left in message");
    else paramValues[i] = m.bytes(len).slice();
  }
  const nr = m.int16();
  if (nr < 0) throw new PqProtocolError("invalid message format");
  const resultFormats: number[] = new Array(nr);
  for (let i = 0; i < nr; i++) resultFormats[i] = m.int16();
  m.end();
  return { portalName, statementName, paramFormats, paramValues, resultFormats };
}

/** Decodes Describe ('D') or Close ('C'). */
export function decodeTarget(body: Uint8Array, what: "describe" | "close"): TargetMessage {
  const m = new PqMessageCursor(body);
  const kind = m.int8();
  const name = m.cstring();
  m.end();
  if (kind === 0x53) return { kind: "S", name };
  if (kind === 0x50) return { kind: "P", name };
  throw new PqProtocolError(
    what === "describe" ? `invalid DESCRIBE message subtype ${kind}` : `invalid CLOSE message subtype ${kind}`,
  );
}

/** Decodes Execute ('E'). */
export function decodeExecute(body: Uint8Array): ExecuteMessage {
  const m = new PqMessageCursor(body);
  const portalName = m.cstring();
  const maxRows = m.int32();
  m.end();
  return { portalName, maxRows: maxRows <= 0 ? 0 : maxRows };
}

/** Decodes a PasswordMessage ('p' for the password method): one NUL-terminated string filling the body. */
export function decodePassword(body: Uint8Array): string {
  const m = new PqMessageCursor(body);
  const pw = m.cstring();
  if (m.remaining !== 0) throw new PqProtocolError("invalid password packet size");
  return pw;
}

/** Decodes a SASLInitialResponse ('p'): mechanism name and the initial client response (or null). */
export function decodeSaslInitialResponse(body: Uint8Array): { mechanism: string; data: Uint8Array | null } {
  const m = new PqMessageCursor(body);
  const mechanism = m.cstring();
  const len = m.int32();
  const data = len === -1 ? null : m.bytes(len).slice();
  m.end();
  return { mechanism, data };
}
