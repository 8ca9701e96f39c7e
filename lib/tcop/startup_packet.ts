/**
 * startup_packet.ts — the start of a connection that needs nothing but the
 * socket: reading the startup packet (SSLRequest and GSSENCRequest answered
 * `N`, a CancelRequest recognised, the protocol checks), serving a
 * CancelRequest, and the postmaster's admission verdict as PostgreSQL's
 * FATAL. Shared by a full backend (backend.ts) and a dead-end one
 * (dead_end.ts).
 *
 * PostgreSQL counterpart: ProcessStartupPacket() and processCancelRequest()
 * in src/backend/postmaster/postmaster.c.
 *
 * NOTES
 * Nothing here writes shared memory: a CancelRequest only reads the process
 * array (a read-only attachment, even of a discarded segment, serves), so a
 * dead-end backend can refuse a connection while the segment is being
 * discarded. Protocol errors are `SqlError`s with severity FATAL (sent to the
 * client, then the process exits) or `PqProtocolError`s (logged only).
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { elog } from "../log/mod.ts";
import type { CacState, ClientConnection } from "../postmaster/handoff.ts";
import { decodeStartupPacket, type StartupPacket } from "../protocol/frontend_messages.ts";
import type { PqReader } from "../protocol/pq_reader.ts";
import type { PqWriter } from "../protocol/pq_writer.ts";
import { procArrayCheckCancelKey, type ShmemSegment } from "../shmem/mod.ts";

/** A StartupMessage: the client wants a session. */
export type StartupMessage = Extract<StartupPacket, { kind: "startup" }>;

/** What the first packets of a connection asked for. */
export type StartupPacketOutcome =
  | { readonly kind: "startup"; readonly packet: StartupMessage }
  | { readonly kind: "cancel"; readonly pid: number; readonly secretKey: number }
  /** The client left before a complete StartupMessage (logged if it had sent anything). */
  | { readonly kind: "eof" };

/**
 * Reads packets until a StartupMessage or a CancelRequest: SSLRequest and
 * GSSENCRequest are answered `N` once each; a StartupMessage asking for
 * protocol 3.x with x > 0 or for `_pq_.` options gets
 * NegotiateProtocolVersion.
 *
 * @param reader the client's reader
 * @param writer the client's writer
 * @returns the outcome
 * @throws {SqlError} FATAL 08P01 (a second SSL/GSS request), 28000 (no user name), 0A000 (replication)
 * @throws {PqProtocolError} on a malformed packet
 */
export async function processStartupPacket(reader: PqReader, writer: PqWriter): Promise<StartupPacketOutcome> {
  let sslDone = false, gssDone = false;
  for (;;) {
    const r = await reader.readStartupPacket();
    if (r.kind === "eof") {
      if (r.bytesSeen > 0 || sslDone || gssDone) {
        elog("LOG", "incomplete startup packet", { sqlstate: SqlState.PROTOCOL_VIOLATION });
      }
      return { kind: "eof" };
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
        { severity: "FATAL" },
      );
    }
    if (p.kind === "cancel") return { kind: "cancel", pid: p.pid, secretKey: p.secretKey };
    if (p.user === "") {
      throw new SqlError(
        SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
        "no PostgreSQL user name specified in startup packet",
        { severity: "FATAL" },
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
    return { kind: "startup", packet: p };
  }
}

/**
 * Logs `connection received: host=… port=…` (log_connections), as BackendInitialize before the startup packet.
 *
 * @param conn the hand-off header
 */
export function logConnectionReceived(conn: ClientConnection): void {
  elog("LOG", `connection received: host=${conn.local ? "[local]" : `${conn.remoteHost} port=${conn.remotePort}`}`);
}

/**
 * processCancelRequest: SIGINT to the backend whose pid and cancel key
 * match a process-array slot; nothing is sent back to the client.
 *
 * @param seg the segment, read-write or read-only; undefined when it could not be attached (nothing matches)
 * @param pid the pid from the request
 * @param secretKey the key from the request
 */
export function processCancelRequest(seg: ShmemSegment | undefined, pid: number, secretKey: number): void {
  const found = seg === undefined ? "no process" : procArrayCheckCancelKey(seg, pid, secretKey);
  if (found === "wrong key") elog("LOG", `wrong key in cancel request for process ${pid}`);
  if (found !== "match") {
    if (found === "no process") elog("LOG", `PID ${pid} in cancel request did not match any process`);
    return;
  }
  try {
    Deno.kill(pid, "SIGINT");
  } catch (e) {
    elog("LOG", `could not send signal to process ${pid}: ${(e as Error).message}`);
  }
}

/**
 * The postmaster's verdict at accept time (canAcceptConnections) as the
 * FATAL that ProcessStartupPacket sends right after the startup packet.
 *
 * @param cac the verdict from the hand-off header
 * @returns undefined for `ok`; else 57P03 (starting up, in recovery, shutting down) or 53300
 */
export function admissionError(cac: CacState): SqlError | undefined {
  const f = (code: string, msg: string) => new SqlError(code, msg, { severity: "FATAL" });
  switch (cac) {
    case "ok":
      return undefined;
    case "startup":
      return f(SqlState.CANNOT_CONNECT_NOW, "the database system is starting up");
    case "recovery":
      return f(SqlState.CANNOT_CONNECT_NOW, "the database system is in recovery mode");
    case "shutdown":
      return f(SqlState.CANNOT_CONNECT_NOW, "the database system is shutting down");
    case "toomany":
      return f(SqlState.TOO_MANY_CONNECTIONS, "sorry, too many clients already");
  }
}
