/**
 * pq_socket.ts — a backend's client connection: the adopted descriptor,
 * read through the runtime's event loop into one reused buffer, written
 * with send(2) straight from the protocol writer's buffer.
 *
 * PostgreSQL counterpart: secure_read()/secure_write() and
 * pq_recvbuf()/internal_flush() in src/backend/libpq/be-secure.c and
 * pqcomm.c (a non-blocking socket; write first, wait for writability only
 * when the kernel's buffer is full).
 *
 * NOTES
 * Reading: `node:net` adopts the descriptor only to have the runtime's
 * epoll tell us when bytes arrive; it reads them into one buffer given at
 * construction (`onread`), so no chunk is allocated and no stream machinery
 * runs per message. Writing: `node:net`'s write path (streams, a copy per
 * write, a request object, a microtask) is bypassed: {@link PqSocket.write}
 * calls send(2) with MSG_DONTWAIT | MSG_NOSIGNAL on the descriptor, which is
 * non-blocking (accept4 SOCK_NONBLOCK). Only when the kernel's send buffer
 * is full does it copy the rest and wait on a worker thread (poll POLLOUT),
 * as PostgreSQL's internal_flush() waits on WL_SOCKET_WRITEABLE. A peer that
 * is gone (EPIPE, ECONNRESET) marks the socket broken: output is dropped,
 * and the reader sees end of input. No SIGPIPE can occur (MSG_NOSIGNAL).
 * One PqSocket per session, one at a time per process (the read buffer is
 * the process's); {@link PqSocket.close} closes the descriptor once pending
 * output is written, so a recycled backend keeps no descriptor of an old
 * client. Requires `--allow-ffi`.
 *
 * @module
 */

import * as net from "node:net";
import { assert } from "../common/assert.ts";
import { errno, libc, LinuxConst } from "../ffi/libc.ts";
import type { PqSource } from "./pq_reader.ts";

/** Size of the buffer the runtime reads into (PostgreSQL's PQ_RECV_BUFFER_SIZE is 8 KiB; bigger means fewer reads). */
export const PQ_SOCKET_READ_BUFFER_BYTES = 64 * 1024;
const _POLLFD_BYTES = 8;
/** The runtime reads into this; one per process, since a backend serves one client at a time. */
let _readBuf: Uint8Array | undefined;
/** Open PqSockets in this process (at most one). */
let _open = 0;

type _DataFn = (chunk: Uint8Array) => void;
type _VoidFn = () => void;

/**
 * The client socket of one session.
 *
 * @example
 * ```ts
 * const sock = new PqSocket(fd);
 * const reader = new PqReader(sock);
 * const writer = new PqWriter((b) => sock.write(b));
 * ...
 * await sock.close();
 * ```
 */
export class PqSocket implements PqSource {
  readonly #fd: number;
  readonly #socket: net.Socket;
  #onData: _DataFn | undefined;
  readonly #onEnd: _VoidFn[] = [];
  #ended = false;
  #broken = false;
  #closed = false;
  #handleClosed = false;
  #pendingWrite: Promise<void> | undefined;

  /**
   * Adopts a connected, non-blocking socket descriptor. Reading starts when
   * the first `data` listener is attached.
   *
   * @param fd the client socket; owned by this object from now on
   */
  constructor(fd: number) {
    assert(_open === 0, "a backend has one client socket at a time");
    _open++;
    this.#fd = fd;
    _readBuf ??= new Uint8Array(PQ_SOCKET_READ_BUFFER_BYTES);
    this.#socket = new net.Socket({
      fd,
      readable: true,
      writable: true,
      onread: {
        buffer: _readBuf,
        callback: (nread: number, buf: Uint8Array): boolean => {
          this.#onData?.(buf.subarray(0, nread));
          return true;
        },
      },
    } as net.SocketConstructorOpts);
    const end = () => this.#end();
    this.#socket.on("end", end);
    this.#socket.on("close", () => {
      this.#handleClosed = true;
      end();
    });
    this.#socket.on("error", () => {
      this.#broken = true;
      end();
    });
  }

  /** @returns the descriptor (for logging and tests) */
  get fd(): number {
    return this.#fd;
  }

  /** @returns true once the peer is known gone or the socket was closed: output is dropped */
  get broken(): boolean {
    return this.#broken || this.#closed;
  }

  // ---- PqSource -------------------------------------------------------------

  /** Registers the reader's callbacks (one `data` listener; any number of end listeners). */
  on(event: "data", fn: (chunk: Uint8Array) => void): this;
  on(event: "end" | "close", fn: () => void): this;
  on(event: "error", fn: (err: Error) => void): this;
  on(event: string, fn: ((chunk: Uint8Array) => void) | (() => void) | ((err: Error) => void)): this {
    if (event === "data") {
      assert(this.#onData === undefined, "one reader per socket");
      this.#onData = fn as _DataFn;
      this.#socket.resume();
    } else if (this.#ended) queueMicrotask(fn as _VoidFn);
    else this.#onEnd.push(fn as _VoidFn);
    return this;
  }

  /** Stops reading (the reader holds enough unread input). */
  pause(): this {
    this.#socket.pause();
    return this;
  }

  /** Resumes reading. */
  resume(): this {
    if (!this.#closed) this.#socket.resume();
    return this;
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const fn of this.#onEnd.splice(0)) fn();
  }

  // ---- output -----------------------------------------------------------------

  /**
   * Writes bytes to the client. The bytes are consumed before this returns
   * or, when the kernel's buffer is full, copied; so the caller may reuse
   * them at once.
   *
   * @param bytes what to send
   * @returns nothing when all was written (or the peer is gone), else a
   *   promise settling once the rest is written
   */
  write(bytes: Uint8Array): void | Promise<void> {
    if (this.broken || bytes.length === 0) return;
    if (this.#pendingWrite !== undefined) {
      const copy = bytes.slice();
      const queued: Promise<void> = this.#pendingWrite.then(() => this.#writeAll(copy)).finally(() => {
        if (this.#pendingWrite === queued) this.#pendingWrite = undefined;
      });
      return (this.#pendingWrite = queued);
    }
    const n = this.#send(bytes);
    if (n === bytes.length || n < 0) return;
    const rest = bytes.slice(n);
    const p = this.#writeAll(rest).finally(() => {
      if (this.#pendingWrite === p) this.#pendingWrite = undefined;
    });
    return (this.#pendingWrite = p);
  }

  /** @returns bytes sent (0 when the buffer is full), or -1 when the peer is gone */
  #send(bytes: Uint8Array): number {
    const n = libc().send(this.#fd, bytes, BigInt(bytes.length), LinuxConst.MSG_DONTWAIT | LinuxConst.MSG_NOSIGNAL);
    if (n >= 0n) return Number(n);
    const e = errno();
    if (e === LinuxConst.EAGAIN || e === LinuxConst.EINTR) return 0;
    this.#broken = true; // EPIPE, ECONNRESET, ...: the reader sees the end through the event loop
    return -1;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    const pfd = new Uint8Array(_POLLFD_BYTES);
    const dv = new DataView(pfd.buffer);
    dv.setInt32(0, this.#fd, true);
    dv.setInt16(4, LinuxConst.POLLOUT, true);
    while (off < bytes.length && !this.broken) {
      const n = this.#send(bytes.subarray(off));
      if (n < 0) return;
      off += n;
      if (off < bytes.length) await libc().poll_async(pfd, 1n, -1);
    }
  }

  /**
   * Closes the connection after pending output has been written (or the
   * peer has gone). Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#pendingWrite !== undefined) await this.#pendingWrite.catch(() => {});
    if (this.#closed) return;
    this.#closed = true;
    this.#onData = undefined;
    if (!this.#handleClosed) {
      await new Promise<void>((resolve) => {
        this.#socket.once("close", () => resolve());
        this.#socket.destroy();
      });
    }
    _open--;
    this.#end();
  }
}

/**
 * Prepares the runtime's TCP socket code before a client arrives (a spare
 * backend calls it once): the first adoption of a descriptor costs about
 * 14 ms of module initialisation, later ones about 0.2 ms. Adopts an
 * unconnected TCP socket and closes it.
 */
export async function pqSocketPrewarm(): Promise<void> {
  const fd = libc().socket(
    LinuxConst.AF_INET,
    LinuxConst.SOCK_STREAM | LinuxConst.SOCK_NONBLOCK | LinuxConst.SOCK_CLOEXEC,
    0,
  );
  if (fd < 0) return;
  const s = new PqSocket(fd);
  s.on("data", () => {});
  await s.close();
}
