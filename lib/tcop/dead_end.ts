/**
 * dead_end.ts — a dead-end backend: a process started only to refuse one
 * connection, because the postmaster's verdict at accept time was not `ok`
 * (starting up, in recovery, shutting down, too many clients).
 *
 * PostgreSQL counterpart: the dead-end child of BackendStartup()
 * (`bn->dead_end`, postmaster.c), which runs BackendInitialize() and
 * ProcessStartupPacket() only: the refusal is a FATAL raised right after the
 * startup packet, before the process touches shared memory.
 *
 * NOTES
 * The process never attaches the shared-memory segment read-write and
 * loads none of the session machinery (parser, catalogs, pg_hba.conf): a
 * refusal costs a process start and a few protocol messages, and it reaches
 * the client while the segment is discarded (the wait for children after a
 * crash or an immediate shutdown, when a full backend's attach would fail).
 * A CancelRequest is still served, as PostgreSQL's dead-end children serve
 * it: the process array is attached read-only for that (a discarded segment
 * can be read; one that cannot be attached matches no process). The whole
 * exchange is bounded by authentication_timeout; when it runs out, or
 * SIGTERM comes, the process exits 1 and tells the client nothing
 * (process_startup_packet_die). Exit codes: 1 after a FATAL, else 0. Requires
 * the backend's permission set.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { elog, setLogProcessInfo } from "../log/mod.ts";
import type { DeadEndContext } from "../postmaster/aux_process.ts";
import type { ClientConnection } from "../postmaster/handoff.ts";
import { PqProtocolError, PqReader } from "../protocol/pq_reader.ts";
import type { PqSocket } from "../protocol/pq_socket.ts";
import { PqWriter } from "../protocol/pq_writer.ts";
import { attachShmemSegment, type ShmemSegment } from "../shmem/mod.ts";
import { admissionError, logConnectionReceived, processCancelRequest, processStartupPacket } from "./startup_packet.ts";

/** Longest wait for the refusal to reach the client before exiting anyway (as a full backend's exit). */
const DEAD_END_DRAIN_MAX_MS = 1000;

/**
 * Serves one connection the postmaster refused: reads its startup packet,
 * sends the verdict's FATAL (57P03 or 53300), and exits; a CancelRequest is
 * served instead, with no reply.
 *
 * @param ctx the dead-end context (settings; the segment's name)
 * @param socket the client socket, adopted from the postmaster
 * @param conn the hand-off header; `conn.cac` is not `ok`
 * @returns never: the process exits
 */
export async function deadEndBackendMain(
  ctx: DeadEndContext,
  socket: PqSocket,
  conn: ClientConnection,
): Promise<never> {
  const refusal = admissionError(conn.cac);
  assert(refusal !== undefined, "a dead-end backend has a refusal to send");
  const hostText = conn.local ? "[local]" : conn.remoteHost;
  setLogProcessInfo({ backendType: "client backend", remoteHost: hostText, remotePort: conn.remotePort });
  const timeout = setTimeout(() => Deno.exit(1), ctx.settings.int("authentication_timeout") * 1000);
  const reader = new PqReader(socket);
  const writer = new PqWriter((bytes) => socket.write(bytes));
  let code = 0;
  if (ctx.settings.bool("log_connections")) logConnectionReceived(conn);
  try {
    const r = await processStartupPacket(reader, writer);
    if (r.kind === "cancel") processCancelRequest(_attachForCancel(ctx), r.pid, r.secretKey);
    else if (r.kind === "startup") throw refusal;
  } catch (e) {
    if (e instanceof PqProtocolError) elog("LOG", e.message, { sqlstate: SqlState.PROTOCOL_VIOLATION });
    else if (e instanceof SqlError) {
      _sendFatal(socket, writer, e);
      code = 1;
    } else throw e;
  }
  clearTimeout(timeout);
  setTimeout(() => Deno.exit(code), DEAD_END_DRAIN_MAX_MS);
  await socket.close();
  Deno.exit(code);
}

/** Logs a FATAL and queues it for the client. */
function _sendFatal(socket: PqSocket, writer: PqWriter, e: SqlError): void {
  elog("FATAL", e.message, { detail: e.detail, hint: e.hint, sqlstate: e.sqlstate });
  if (socket.broken) return;
  writer.errorResponse({ severity: "FATAL", code: e.sqlstate, message: e.message, detail: e.detail, hint: e.hint });
  void writer.flush();
}

/** The segment read-only, for a CancelRequest; undefined when it cannot be attached (gone, or being created). */
function _attachForCancel(ctx: DeadEndContext): ShmemSegment | undefined {
  try {
    return attachShmemSegment(ctx.shmemName, { readOnly: true });
  } catch (e) {
    if (e instanceof SqlError) return undefined;
    throw e;
  }
}
