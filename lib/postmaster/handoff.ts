/**
 * handoff.ts — handing an accepted client socket to a backend process: the
 * connection header, SCM_RIGHTS over a spare backend's socketpair, and the
 * backend's adoption of the descriptor.
 *
 * PostgreSQL counterpart: BackendStartup()/ConnCreate() in
 * src/backend/postmaster/postmaster.c (there fork() hands the socket over
 * for free; here a spare process receives it with SCM_RIGHTS, or a new
 * process inherits it).
 *
 * NOTES
 * The postmaster never reads or writes client bytes: it accepts, sets
 * TCP_NODELAY and SO_KEEPALIVE, and passes the descriptor on. A spare's
 * channel is a SOCK_SEQPACKET socketpair, so each message arrives whole:
 * the spare sends one byte (`R`) when it is initialised; the postmaster sends
 * one message holding the JSON {@link ClientConnection} header and the client
 * descriptor. If the spare dies before reading, the kernel closes the queued
 * descriptor with it and the client sees the connection closed, the same
 * thing a client of PostgreSQL sees when its backend crashes during startup.
 * The postmaster's calls never block (MSG_DONTWAIT); the spare's receive runs
 * on a worker thread (`recvmsg_async`) so its event loop keeps running.
 * Requires `--allow-ffi`.
 *
 * @module
 */

import * as net from "node:net";
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
}

/** Largest JSON header, in bytes (a header is well under 200 bytes). */
export const HANDOFF_HEADER_MAX_BYTES = 1024;
/** The byte a spare sends when it is ready for a connection. */
const _READY_BYTE = 0x52; // "R"
// struct msghdr (56 bytes), struct iovec (16), cmsghdr header (16) + one int, padded: CMSG_SPACE(4) = 24.
const _MSGHDR_BYTES = 56;
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
    dv.setBigUint64(40, BigInt(control.length), true);
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
 * Creates a spare backend's channel: a SOCK_SEQPACKET socketpair, both ends
 * close-on-exec (the child's end is made inheritable only for its spawn).
 *
 * @returns `[postmasterEnd, childEnd]`
 * @throws {Error} when socketpair() fails (e.g. out of descriptors)
 */
export function createSpareChannel(): [number, number] {
  const fds = new Int32Array(2);
  const type = LinuxConst.SOCK_SEQPACKET | LinuxConst.SOCK_CLOEXEC;
  if (libc().socketpair(LinuxConst.AF_UNIX, type, 0, new Uint8Array(fds.buffer)) !== 0) {
    throw new Error(`could not create socket pair: ${strerror(errno())}`);
  }
  return [fds[0], fds[1]];
}

/**
 * Sends a client descriptor and its header to a spare backend. Never blocks.
 *
 * @param channelFd the postmaster's end of the spare's channel
 * @param clientFd the accepted client socket (still owned by the caller, who closes it)
 * @param header what the backend needs to know about the client
 * @returns true when the message was queued; false when the spare is gone or its queue is full
 */
export function sendClientToSpare(channelFd: number, clientFd: number, header: ClientConnection): boolean {
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

/**
 * Reads a spare's ready byte if one is waiting. Never blocks.
 *
 * @param channelFd the postmaster's end of the spare's channel
 * @returns `ready`, `closed` (the spare is gone) or `none` (nothing to read)
 */
export function readSpareStatus(channelFd: number): "ready" | "closed" | "none" {
  const buf = new Uint8Array(16);
  const n = libc().recv(channelFd, buf, BigInt(buf.length), LinuxConst.MSG_DONTWAIT);
  if (n > 0n) return buf[0] === _READY_BYTE ? "ready" : "none";
  if (n === 0n) return "closed";
  const e = errno();
  return e === LinuxConst.EAGAIN || e === LinuxConst.EINTR ? "none" : "closed";
}

/**
 * Tells the postmaster that this spare backend is initialised (child side).
 *
 * @param channelFd the spare's inherited end of its channel
 */
export function notifySpareReady(channelFd: number): void {
  const byte = new Uint8Array([_READY_BYTE]);
  const hdr = _msghdr(_iovec(byte), undefined);
  libc().sendmsg(channelFd, hdr, LinuxConst.MSG_NOSIGNAL);
}

/**
 * Waits for the postmaster to hand this spare backend a client (child side).
 * Runs on a worker thread, so the event loop (signals, postmaster-death
 * watch) keeps running.
 *
 * @param channelFd the spare's inherited end of its channel
 * @returns the client descriptor and header, or undefined when the
 *   postmaster closed the channel (it is shutting down or died)
 */
export async function receiveClient(channelFd: number): Promise<{ fd: number; conn: ClientConnection } | undefined> {
  const data = new Uint8Array(HANDOFF_HEADER_MAX_BYTES);
  const control = new Uint8Array(_CMSG_SPACE_ONE_FD);
  const iov = _iovec(data);
  const hdr = _msghdr(iov, control);
  // errno is not readable here (the call ran on another thread): any failure ends the wait.
  const n = await libc().recvmsg_async(channelFd, hdr, LinuxConst.MSG_CMSG_CLOEXEC);
  if (n <= 0n) return undefined;
  const controlLen = Number(new DataView(hdr.buffer).getBigUint64(40, true));
  const cdv = new DataView(control.buffer);
  if (controlLen < _CMSG_LEN_ONE_FD || cdv.getInt32(12, true) !== LinuxConst.SCM_RIGHTS) return undefined;
  const fd = cdv.getInt32(16, true);
  const conn = JSON.parse(new TextDecoder().decode(data.subarray(0, Number(n)))) as ClientConnection;
  return { fd, conn };
}

/**
 * Adopts an inherited or received client descriptor as a Node-style socket
 * (backend side). The descriptor is non-blocking (set by the postmaster's
 * accept4), as the runtime's I/O driver needs.
 *
 * @param fd the client socket descriptor
 * @returns a readable and writable socket over it
 */
export function adoptClientSocket(fd: number): net.Socket {
  return new net.Socket({ fd, readable: true, writable: true });
}
