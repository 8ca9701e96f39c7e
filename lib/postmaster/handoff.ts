/**
 * handoff.ts — handing an accepted client socket to a backend process: the
 * connection header, the backend's channel (SCM_RIGHTS over a socketpair),
 * the backend's "I am idle" message, and the backend's adoption of the
 * descriptor.
 *
 * PostgreSQL counterpart: BackendStartup()/ConnCreate() in
 * src/backend/postmaster/postmaster.c (there fork() hands the socket over
 * for free; here a waiting backend receives it with SCM_RIGHTS, or a new
 * process inherits it).
 *
 * NOTES
 * The postmaster never reads or writes client bytes: it accepts, sets
 * TCP_NODELAY and SO_KEEPALIVE, and passes the descriptor on. Every pooled
 * backend has one channel, a SOCK_SEQPACKET socketpair that lives exactly
 * as long as the backend (the postmaster closes its end only after the
 * backend has exited), so each message arrives whole and none is ever lost
 * to a close:
 * - backend -> postmaster: `R` + the number of clients it has received so
 *   far (u32, little-endian), sent when it is idle and waiting: once
 *   initialised, and again after each session it ended cleanly
 *   (lib/postmaster/README.md, "Backend recycling");
 * - postmaster -> backend: the JSON {@link ClientConnection} header with the
 *   client descriptor as SCM_RIGHTS.
 * The count makes a stale `R` harmless: the postmaster treats a backend as
 * idle only when the count equals the clients it has sent it.
 *
 * Why the channel is never closed early: Linux's unix_release_sock() sets
 * ECONNRESET on the peer when the closing end still has unread data, and
 * the peer's next recvmsg() returns that error *before* the message already
 * queued for it. Closing the postmaster's end right after the hand-off, with
 * a spare's `R` not yet read, therefore made the spare fail its receive and
 * exit with the client's descriptor still queued: the client saw its
 * connection reset and nothing was logged (the first wave's intermittent
 * reset). The receive also retries once without waiting, so a pending error
 * can never hide a queued client again.
 *
 * If a backend dies before reading, the kernel closes the queued descriptor
 * with it and the client sees the connection closed, the same thing a
 * client of PostgreSQL sees when its backend crashes during startup. The
 * postmaster's calls never block (MSG_DONTWAIT); the backend's receive runs
 * on a worker thread (`recvmsg_async`) so its event loop keeps running, and
 * {@link stopWaitingForClient} ends that wait (shutdown(SHUT_RD): a client
 * already queued is still returned first). Requires `--allow-ffi`.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { errno, libc, LinuxConst, strerror } from "../ffi/libc.ts";

/**
 * Whether the postmaster could accept the connection when it arrived, as
 * PostgreSQL's CAC_state. The backend reads the startup packet first (a
 * CancelRequest is served in every state) and then, unless `ok`, ends the
 * session with the matching FATAL:
 * - `startup`: 57P03 `the database system is starting up`;
 * - `recovery`: 57P03 `the database system is in recovery mode` (crash reset);
 * - `shutdown`: 57P03 `the database system is shutting down`;
 * - `toomany`: 53300 `sorry, too many clients already` (more live children
 *   than MaxLivePostmasterChildren; the exact max_connections check is the
 *   backend's, when it claims a process-array slot).
 */
export type CacState = "ok" | "startup" | "recovery" | "shutdown" | "toomany";

/** What a backend learns about its client from the postmaster (PostgreSQL's Port, abridged). */
export interface ClientConnection {
  /** Remote host: numeric IP text, or `[local]` for a Unix-domain socket. */
  remoteHost: string;
  /** Remote TCP port; absent for a Unix-domain socket. */
  remotePort?: number;
  /** Whether the connection came through a Unix-domain socket (pg_hba `local` lines). */
  local: boolean;
  /** When the postmaster accepted it, epoch milliseconds. */
  acceptTimeMs: number;
  /** The postmaster's admission verdict at accept time. */
  cac: CacState;
  /**
   * How many times the postmaster has loaded pg_hba.conf (at start and at
   * each reload); a backend whose copy is older reloads it before
   * authenticating (lib/tcop/hba_cache.ts). Absent: the backend reads it.
   */
  hbaGeneration?: number;
}

/** Largest JSON header, in bytes (a header is well under 200 bytes). */
export const HANDOFF_HEADER_MAX_BYTES = 1024;
/** The first byte of a backend's "idle, waiting for a client" message. */
const _READY_BYTE = 0x52; // "R"
/** `R` + u32 count of clients received. */
const _READY_MESSAGE_BYTES = 5;
/** Most status messages read from one channel in one go (a backend sends one per wait). */
const _STATUS_READS_MAX = 16;
// struct msghdr (56 bytes), struct iovec (16), cmsghdr header (16) + one int, padded: CMSG_SPACE(4) = 24.
const _MSGHDR_BYTES = 56;
const _MSGHDR_CONTROLLEN_AT = 40;
const _MSGHDR_FLAGS_AT = 48;
const _IOVEC_BYTES = 16;
const _CMSG_SPACE_ONE_FD = 24;
const _CMSG_LEN_ONE_FD = 20;

function _ptr(buf: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

function _msghdr(iov: Uint8Array, control: Uint8Array | undefined): Uint8Array<ArrayBuffer> {
  const hdr = new Uint8Array(_MSGHDR_BYTES);
  const dv = new DataView(hdr.buffer);
  dv.setBigUint64(16, _ptr(iov), true);
  dv.setBigUint64(24, 1n, true);
  if (control !== undefined) {
    dv.setBigUint64(32, _ptr(control), true);
    dv.setBigUint64(_MSGHDR_CONTROLLEN_AT, BigInt(control.length), true);
  }
  return hdr;
}

function _iovec(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const iov = new Uint8Array(_IOVEC_BYTES);
  const dv = new DataView(iov.buffer);
  dv.setBigUint64(0, _ptr(data), true);
  dv.setBigUint64(8, BigInt(data.length), true);
  return iov;
}

/**
 * Creates a backend's channel: a SOCK_SEQPACKET socketpair, both ends
 * close-on-exec (the child's end is made inheritable only for its spawn).
 *
 * @returns `[postmasterEnd, childEnd]`
 * @throws {Error} when socketpair() fails (e.g. out of descriptors)
 */
export function createBackendChannel(): [number, number] {
  const fds = new Int32Array(2);
  const type = LinuxConst.SOCK_SEQPACKET | LinuxConst.SOCK_CLOEXEC;
  if (libc().socketpair(LinuxConst.AF_UNIX, type, 0, new Uint8Array(fds.buffer)) !== 0) {
    throw new Error(`could not create socket pair: ${strerror(errno())}`);
  }
  return [fds[0], fds[1]];
}

/**
 * Sends a client descriptor and its header to a backend. Never blocks.
 *
 * @param channelFd the postmaster's end of the backend's channel
 * @param clientFd the accepted client socket (still owned by the caller, who closes it)
 * @param header what the backend needs to know about the client
 * @returns true when the message was queued; false when the backend is gone,
 *   has stopped waiting (SIGTERM), or its queue is full
 */
export function sendClientToBackend(channelFd: number, clientFd: number, header: ClientConnection): boolean {
  const data = new TextEncoder().encode(JSON.stringify(header));
  assert(data.length <= HANDOFF_HEADER_MAX_BYTES, "handoff header fits its limit");
  const control = new Uint8Array(_CMSG_SPACE_ONE_FD);
  const cdv = new DataView(control.buffer);
  cdv.setBigUint64(0, BigInt(_CMSG_LEN_ONE_FD), true);
  cdv.setInt32(8, LinuxConst.SOL_SOCKET, true);
  cdv.setInt32(12, LinuxConst.SCM_RIGHTS, true);
  cdv.setInt32(16, clientFd, true);
  const iov = _iovec(data);
  const hdr = _msghdr(iov, control);
  const n = libc().sendmsg(channelFd, hdr, LinuxConst.MSG_DONTWAIT | LinuxConst.MSG_NOSIGNAL);
  return n === BigInt(data.length);
}

/** What the postmaster read from a backend's channel. */
export type BackendStatus =
  /** The backend is idle: it has received `clientsReceived` clients and waits for the next. */
  | { kind: "ready"; clientsReceived: number }
  /** The backend is gone (its end closed). */
  | { kind: "closed" }
  /** Nothing to read. */
  | { kind: "none" };

/**
 * Reads every status message waiting on a backend's channel (the latest
 * wins: each is sent when the backend starts to wait). Never blocks.
 *
 * @param channelFd the postmaster's end of the backend's channel
 * @returns the latest status
 */
export function readBackendStatus(channelFd: number): BackendStatus {
  const buf = new Uint8Array(16);
  let status: BackendStatus = { kind: "none" };
  for (let i = 0; i < _STATUS_READS_MAX; i++) {
    const n = libc().recv(channelFd, buf, BigInt(buf.length), LinuxConst.MSG_DONTWAIT);
    if (n === 0n) return { kind: "closed" };
    if (n < 0n) {
      const e = errno();
      if (e === LinuxConst.EAGAIN || e === LinuxConst.EINTR) return status;
      return { kind: "closed" };
    }
    if (n === BigInt(_READY_MESSAGE_BYTES) && buf[0] === _READY_BYTE) {
      status = { kind: "ready", clientsReceived: new DataView(buf.buffer).getUint32(1, true) };
    }
  }
  return status;
}

/**
 * Tells the postmaster that this backend is idle and waiting for a client
 * (child side): once initialised, and after each session it ended cleanly.
 *
 * @param channelFd the backend's inherited end of its channel
 * @param clientsReceived how many clients this process has received so far
 * @returns false when the postmaster's end is gone
 */
export function notifyBackendIdle(channelFd: number, clientsReceived: number): boolean {
  const msg = new Uint8Array(_READY_MESSAGE_BYTES);
  msg[0] = _READY_BYTE;
  new DataView(msg.buffer).setUint32(1, clientsReceived, true);
  const hdr = _msghdr(_iovec(msg), undefined);
  return libc().sendmsg(channelFd, hdr, LinuxConst.MSG_NOSIGNAL | LinuxConst.MSG_DONTWAIT) === BigInt(msg.length);
}

/**
 * Waits for the postmaster to hand this backend a client (child side).
 * Runs on a worker thread, so the event loop (signals, postmaster-death
 * watch) keeps running. A failed wait is retried once without blocking, so
 * a socket error reported ahead of a queued message (see the module notes)
 * cannot lose the client.
 *
 * @param channelFd the backend's inherited end of its channel
 * @returns the client descriptor (close-on-exec) and header, or undefined
 *   when the channel is closed (the postmaster is gone) or
 *   {@link stopWaitingForClient} ended the wait with nothing queued
 */
export async function receiveClient(channelFd: number): Promise<{ fd: number; conn: ClientConnection } | undefined> {
  const data = new Uint8Array(HANDOFF_HEADER_MAX_BYTES);
  const control = new Uint8Array(_CMSG_SPACE_ONE_FD);
  const iov = _iovec(data);
  const hdr = _msghdr(iov, control);
  // errno is not readable here (the call ran on another thread): a failure is retried once, not waiting.
  let n = await libc().recvmsg_async(channelFd, hdr, LinuxConst.MSG_CMSG_CLOEXEC);
  if (n < 0n) n = libc().recvmsg(channelFd, hdr, LinuxConst.MSG_CMSG_CLOEXEC | LinuxConst.MSG_DONTWAIT);
  if (n <= 0n) return undefined;
  const hdv = new DataView(hdr.buffer);
  const controlLen = Number(hdv.getBigUint64(_MSGHDR_CONTROLLEN_AT, true));
  const cdv = new DataView(control.buffer);
  const hasFd = controlLen >= _CMSG_LEN_ONE_FD && cdv.getInt32(12, true) === LinuxConst.SCM_RIGHTS;
  assert(hasFd, "a client message carries its descriptor");
  assert((hdv.getInt32(_MSGHDR_FLAGS_AT, true) & LinuxConst.MSG_CTRUNC) === 0, "the descriptor was not truncated");
  const fd = cdv.getInt32(16, true);
  const conn = JSON.parse(new TextDecoder().decode(data.subarray(0, Number(n)))) as ClientConnection;
  return { fd, conn };
}

/**
 * Ends a {@link receiveClient} wait in progress (child side, on SIGTERM): the
 * blocked recvmsg returns a client already queued, else end of file, and the
 * postmaster's further sends fail (EPIPE), so it never hands this process
 * another client.
 *
 * @param channelFd the backend's end of its channel
 */
export function stopWaitingForClient(channelFd: number): void {
  libc().shutdown(channelFd, LinuxConst.SHUT_RD);
}
