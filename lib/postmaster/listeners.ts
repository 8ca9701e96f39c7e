/**
 * listeners.ts — the postmaster's listening sockets: TCP on each
 * `listen_addresses` entry, the Unix socket `.s.PGSQL.<port>` (with its
 * `.lock` file) in each `unix_socket_directories` entry, and accept().
 *
 * PostgreSQL counterpart: StreamServerPort(), Lock_AF_UNIX(),
 * StreamConnection() in src/backend/libpq/pqcomm.c and the listener set-up
 * in PostmasterMain().
 *
 * NOTES
 * Sockets are made through FFI (Deno's own listeners expose no descriptor to
 * pass on), non-blocking and close-on-exec: no child inherits a listener.
 * Accepted sockets are also non-blocking and close-on-exec; the postmaster
 * clears close-on-exec only on the one it hands to a newly spawned backend.
 * An address that cannot be bound is logged and skipped, as PostgreSQL does;
 * no usable TCP or Unix listener at all is FATAL. Requires `--allow-ffi`,
 * `--allow-read` and `--allow-write` (socket and lock files).
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";
import { errno, libc, LinuxConst, strerror } from "../ffi/libc.ts";
import { elog } from "../log/mod.ts";
import {
  decodeSockaddr,
  encodeInetSockaddr,
  encodeUnixSockaddr,
  type PeerAddress,
  SOCKADDR_MAX_BYTES,
  translateListenAddress,
  UNIXSOCK_PATH_BUFLEN,
} from "./_sockaddr.ts";
import { createLockFile } from "./pid_file.ts";

/** Largest number of listening sockets (PostgreSQL's MAXLISTEN). */
export const LISTEN_SOCKETS_MAX = 64;
/** listen() backlog: PostgreSQL uses MaxConnections * 2, capped by the kernel's somaxconn. */
const _BACKLOG_MIN = 64;

/** One listening socket. */
export interface Listener {
  fd: number;
  kind: "tcp" | "unix";
  /** For Unix sockets: the socket file and its lock file, removed at exit. */
  socketPath?: string;
  lockPath?: string;
}

/** Result of opening the TCP listeners. */
export interface TcpListenResult {
  listeners: Listener[];
  /** The first `listen_addresses` entry that produced a socket (postmaster.pid line 6), or "". */
  firstEntry: string;
}

function _setIntOpt(fd: number, level: number, opt: number, value: number): boolean {
  const v = new Int32Array([value]);
  return libc().setsockopt(fd, level, opt, new Uint8Array(v.buffer), 4) === 0;
}

function _bindAndListen(fd: number, addr: Uint8Array<ArrayBuffer>, backlog: number): string | undefined {
  if (libc().bind(fd, addr, addr.length) !== 0) return `bind:${errno()}`;
  if (libc().listen(fd, backlog) !== 0) return `listen:${errno()}`;
  return undefined;
}

/**
 * Opens a TCP listener on every address of `listen_addresses`.
 *
 * @param listenAddresses the parameter's value (comma-separated; may be empty)
 * @param port the TCP port
 * @param backlog listen() backlog
 * @returns the listeners and the first entry that worked
 * @throws {SqlError} FATAL `could not create any TCP/IP sockets` when entries exist but none worked
 */
export function openTcpListeners(listenAddresses: string, port: number, backlog: number): TcpListenResult {
  const entries = listenAddresses.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const listeners: Listener[] = [];
  let firstEntry = "";
  for (const entry of entries) {
    const addrs = translateListenAddress(entry);
    if (addrs === undefined) {
      elog("LOG", `could not translate host name "${entry}", service "${port}" to address: Name or service not known`);
      elog("WARNING", `could not create listen socket for "${entry}"`);
      continue;
    }
    let any = false;
    for (const a of addrs) {
      if (listeners.length >= LISTEN_SOCKETS_MAX) {
        elog("LOG", "could not bind to all requested addresses: MAXLISTEN (64) exceeded");
        break;
      }
      const family = a.family === "IPv4" ? LinuxConst.AF_INET : LinuxConst.AF_INET6;
      const type = LinuxConst.SOCK_STREAM | LinuxConst.SOCK_NONBLOCK | LinuxConst.SOCK_CLOEXEC;
      const fd = libc().socket(family, type, 0);
      if (fd < 0) {
        elog("LOG", `could not create ${a.family} socket for address "${a.host}": ${strerror(errno())}`);
        continue;
      }
      _setIntOpt(fd, LinuxConst.SOL_SOCKET, LinuxConst.SO_REUSEADDR, 1);
      if (a.family === "IPv6") _setIntOpt(fd, LinuxConst.IPPROTO_IPV6, LinuxConst.IPV6_V6ONLY, 1);
      const failed = _bindAndListen(fd, encodeInetSockaddr(a, port), backlog);
      if (failed !== undefined) {
        const code = Number(failed.split(":")[1]);
        const what = failed.startsWith("bind") ? "bind" : "listen on";
        elog("LOG", `could not ${what} ${a.family} address "${a.host}": ${strerror(code)}`, {
          hint: code === LinuxConst.EADDRINUSE
            ? `Is another postmaster already running on port ${port}? If not, wait a few seconds and retry.`
            : undefined,
        });
        libc().close(fd);
        continue;
      }
      elog("LOG", `listening on ${a.family} address "${a.host}", port ${port}`);
      listeners.push({ fd, kind: "tcp" });
      any = true;
    }
    if (any && firstEntry === "") firstEntry = entry;
    if (!any) elog("WARNING", `could not create listen socket for "${entry}"`);
  }
  if (entries.length > 0 && listeners.length === 0) {
    throw new SqlError(SqlState.CONNECTION_FAILURE, "could not create any TCP/IP sockets", { severity: "FATAL" });
  }
  return { listeners, firstEntry };
}

/**
 * Opens the Unix-domain socket `<dir>/.s.PGSQL.<port>` in each directory,
 * each guarded by its `.lock` file (PostgreSQL's Lock_AF_UNIX).
 *
 * @param directories `unix_socket_directories` (comma-separated; may be empty)
 * @param port the port, which names the socket
 * @param lockLines lines 1-4 of the lock file (pid, data directory, start time, port)
 * @param permissions `unix_socket_permissions`
 * @param backlog listen() backlog
 * @returns the listeners and the first directory that worked ("" if none)
 * @throws {SqlError} FATAL when a socket's lock file belongs to a live postmaster,
 *   or `could not create any Unix-domain sockets`
 */
export function openUnixListeners(
  directories: string,
  port: number,
  lockLines: readonly string[],
  permissions: number,
  backlog: number,
): { listeners: Listener[]; firstDir: string } {
  const dirs = directories.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const listeners: Listener[] = [];
  let firstDir = "";
  for (const dir of dirs) {
    const socketPath = `${dir}/.s.PGSQL.${port}`;
    if (new TextEncoder().encode(socketPath).length >= UNIXSOCK_PATH_BUFLEN) {
      elog("LOG", `Unix-domain socket path "${socketPath}" is too long (maximum ${UNIXSOCK_PATH_BUFLEN - 1} bytes)`);
      elog("WARNING", `could not create Unix-domain socket in directory "${dir}"`);
      continue;
    }
    const lockPath = `${socketPath}.lock`;
    createLockFile(lockPath, { kind: "socket", socketPath }, [...lockLines, dir]);
    // We hold the interlock: a leftover socket file can go (PostgreSQL does the same).
    try {
      Deno.removeSync(socketPath);
    } catch { /* not there */ }
    const fd = libc().socket(
      LinuxConst.AF_UNIX,
      LinuxConst.SOCK_STREAM | LinuxConst.SOCK_NONBLOCK | LinuxConst.SOCK_CLOEXEC,
      0,
    );
    const failed = fd < 0 ? `socket:${errno()}` : _bindAndListen(fd, encodeUnixSockaddr(socketPath), backlog);
    if (failed !== undefined) {
      const code = Number(failed.split(":")[1]);
      elog("LOG", `could not bind Unix address "${socketPath}": ${strerror(code)}`);
      if (fd >= 0) libc().close(fd);
      Deno.removeSync(lockPath);
      elog("WARNING", `could not create Unix-domain socket in directory "${dir}"`);
      continue;
    }
    Deno.chmodSync(socketPath, permissions);
    elog("LOG", `listening on Unix socket "${socketPath}"`);
    listeners.push({ fd, kind: "unix", socketPath, lockPath });
    if (firstDir === "") firstDir = dir;
  }
  if (dirs.length > 0 && listeners.length === 0) {
    throw new SqlError(SqlState.CONNECTION_FAILURE, "could not create any Unix-domain sockets", { severity: "FATAL" });
  }
  return { listeners, firstDir };
}

/**
 * Closes the listeners and removes the socket and lock files (at exit).
 *
 * @param listeners what {@link openTcpListeners}/{@link openUnixListeners} returned
 */
export function closeListeners(listeners: readonly Listener[]): void {
  for (const l of listeners) {
    libc().close(l.fd);
    for (const p of [l.socketPath, l.lockPath]) {
      if (p === undefined) continue;
      try {
        Deno.removeSync(p);
      } catch { /* already gone */ }
    }
  }
}

/** An accepted client socket, not yet handed over. */
export interface AcceptedClient {
  fd: number;
  peer: PeerAddress;
  local: boolean;
}

/**
 * Accepts one pending connection without blocking; sets TCP_NODELAY and
 * SO_KEEPALIVE on TCP sockets, as PostgreSQL's StreamConnection does.
 *
 * @param listener a listening socket
 * @returns the client, `"again"` when nothing is pending, or `"error"` (logged)
 */
export function acceptClient(listener: Listener): AcceptedClient | "again" | "error" {
  const addr = new Uint8Array(SOCKADDR_MAX_BYTES);
  const len = new Uint32Array([SOCKADDR_MAX_BYTES]);
  const fd = libc().accept4(
    listener.fd,
    addr,
    new Uint8Array(len.buffer),
    LinuxConst.SOCK_NONBLOCK | LinuxConst.SOCK_CLOEXEC,
  );
  if (fd < 0) {
    const e = errno();
    if (e === LinuxConst.EAGAIN || e === LinuxConst.EINTR || e === LinuxConst.ECONNABORTED) return "again";
    elog("LOG", `could not accept new connection: ${strerror(e)}`);
    return "error";
  }
  if (listener.kind === "tcp") {
    _setIntOpt(fd, LinuxConst.IPPROTO_TCP, LinuxConst.TCP_NODELAY, 1);
    _setIntOpt(fd, LinuxConst.SOL_SOCKET, LinuxConst.SO_KEEPALIVE, 1);
  }
  return { fd, peer: decodeSockaddr(addr, len[0]), local: listener.kind === "unix" };
}

/**
 * The listen() backlog PostgreSQL would use: twice max_connections, at least 64.
 *
 * @param maxConnections `max_connections`
 * @returns the backlog
 */
export function listenBacklog(maxConnections: number): number {
  return Math.max(_BACKLOG_MIN, 2 * maxConnections);
}

/**
 * Clears or sets close-on-exec on a descriptor (for handing one to a child).
 *
 * @param fd the descriptor
 * @param closeOnExec the new state
 */
export function setCloseOnExec(fd: number, closeOnExec: boolean): void {
  const rc = libc().fcntl(fd, LinuxConst.F_SETFD, closeOnExec ? LinuxConst.FD_CLOEXEC : 0);
  if (rc !== 0) throw new Error(`fcntl(F_SETFD) failed: ${strerror(errno())}`);
}
