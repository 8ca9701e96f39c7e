/**
 * server_sockets.ts — the postmaster's accept loop: waits on the listening
 * sockets and the backends' channels without blocking the event loop,
 * accepts, and reports each new client and each backend's status.
 *
 * PostgreSQL counterpart: the WaitEventSet part of ServerLoop() in
 * src/backend/postmaster/postmaster.c (PostgreSQL 15: select()).
 *
 * NOTES
 * poll(2) runs on a worker thread (`poll_async`); the main thread stays free
 * for signals and child exits. A self-socketpair wakes the poll when the set
 * must change (backend channels added or retired, accepting switched off,
 * stop). Every pooled backend's channel is watched for its whole life: a
 * backend says on it when it is idle (handoff.ts).
 * Descriptors in the poll set are closed only between polls, never while a
 * poll may be watching them (a reused descriptor number would otherwise be
 * watched by mistake). Within a round, a channel retired and closed by one
 * callback can have its number reused at once by a new backend's channel:
 * each channel therefore carries a token, and a poll result is acted on only
 * if the number still holds the channel that was polled. Each round accepts at most
 * {@link ACCEPTS_PER_ROUND_MAX} connections per listener, so one busy
 * listener cannot starve the others. Requires `--allow-ffi`.
 *
 * @module
 */

import { errno, libc, LinuxConst, strerror } from "../ffi/libc.ts";
import { elog } from "../log/mod.ts";
import { type BackendStatus, readBackendStatus } from "./handoff.ts";
import { acceptClient, type AcceptedClient, closeListeners, type Listener } from "./listeners.ts";

/** Most connections accepted from one listener before looking at the others again. */
export const ACCEPTS_PER_ROUND_MAX = 64;
const _POLLFD_BYTES = 8;

/** What the accept loop reports. */
export interface ServerSocketsCallbacks {
  /** A new client socket, not yet handed over (the callee owns the descriptor). */
  onClient(client: AcceptedClient): void;
  /** A backend reported that it is idle, or its channel closed (the backend died). */
  onBackendStatus(channelFd: number, status: Exclude<BackendStatus, { kind: "none" }>): void;
}

/** The listening sockets, the backends' channels and the loop that polls them. */
export class ServerSockets {
  readonly #callbacks: ServerSocketsCallbacks;
  readonly #listeners: Listener[] = [];
  /** Watched channels: descriptor -> a token identifying this channel, not its (reusable) number. */
  readonly #channels = new Map<number, symbol>();
  readonly #toClose: number[] = [];
  readonly #wakeRead: number;
  readonly #wakeWrite: number;
  #accepting = true;
  #stopped = false;
  #polling = false;

  /**
   * @param callbacks where clients and backend status go
   * @throws {Error} when the wake-up socketpair cannot be created
   */
  constructor(callbacks: ServerSocketsCallbacks) {
    this.#callbacks = callbacks;
    const fds = new Int32Array(2);
    const type = LinuxConst.SOCK_STREAM | LinuxConst.SOCK_NONBLOCK | LinuxConst.SOCK_CLOEXEC;
    if (libc().socketpair(LinuxConst.AF_UNIX, type, 0, new Uint8Array(fds.buffer)) !== 0) {
      throw new Error(`could not create socket pair: ${strerror(errno())}`);
    }
    [this.#wakeRead, this.#wakeWrite] = [fds[0], fds[1]];
  }

  /** @param listeners listening sockets to watch */
  addListeners(listeners: readonly Listener[]): void {
    this.#listeners.push(...listeners);
    this.#wake();
  }

  /** @param channelFd a new backend's channel (postmaster end) to watch for its status messages */
  addChannel(channelFd: number): void {
    this.#channels.set(channelFd, Symbol("channel"));
    this.#wake();
  }

  /**
   * Stops watching a backend's channel and closes it (between polls). Call
   * only once the backend has exited or its end is closed: closing with a
   * message unread would reset the backend's end (handoff.ts).
   *
   * @param channelFd the postmaster's end of the channel
   */
  retireChannel(channelFd: number): void {
    if (!this.#channels.delete(channelFd)) return;
    if (this.#polling) {
      this.#toClose.push(channelFd);
      this.#wake();
    } else libc().close(channelFd);
  }

  /**
   * Closes a descriptor that is never in the poll set (a client socket after
   * hand-off, a child's end of a channel after spawn).
   *
   * @param fd the descriptor
   */
  closeFd(fd: number): void {
    libc().close(fd);
  }

  /**
   * Switches accepting on or off (PostgreSQL's ConfigurePostmasterWaitSet):
   * off in PM_WAIT_DEAD_END, so late connections wait in the backlog and are
   * refused when the postmaster exits.
   *
   * @param accepting whether to watch the listeners
   */
  setAccepting(accepting: boolean): void {
    if (this.#accepting === accepting) return;
    this.#accepting = accepting;
    this.#wake();
  }

  /** Starts the loop (returns at once; the loop runs until {@link stop}). */
  start(): void {
    void this.#run();
  }

  /** Stops the loop, closes the listeners and removes the socket files. */
  stop(): void {
    this.#stopped = true;
    this.#wake();
    closeListeners(this.#listeners);
    this.#listeners.length = 0;
  }

  #wake(): void {
    libc().write(this.#wakeWrite, new Uint8Array([1]), 1n);
  }

  #drainWake(): void {
    const buf = new Uint8Array(64);
    while (libc().recv(this.#wakeRead, buf, BigInt(buf.length), LinuxConst.MSG_DONTWAIT) > 0n) { /* drain */ }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const watched: { fd: number; what: "wake" | symbol | Listener }[] = [{ fd: this.#wakeRead, what: "wake" }];
      // Channels first: a backend that has just become idle can take a client accepted in the same round.
      for (const [fd, token] of this.#channels) watched.push({ fd, what: token });
      if (this.#accepting) { for (const l of this.#listeners) watched.push({ fd: l.fd, what: l }); }
      const buf = new Uint8Array(watched.length * _POLLFD_BYTES);
      const dv = new DataView(buf.buffer);
      watched.forEach((w, i) => {
        dv.setInt32(i * _POLLFD_BYTES, w.fd, true);
        dv.setInt16(i * _POLLFD_BYTES + 4, LinuxConst.POLLIN, true);
      });
      this.#polling = true;
      const n = await libc().poll_async(buf, BigInt(watched.length), -1);
      this.#polling = false;
      for (const fd of this.#toClose.splice(0)) libc().close(fd);
      if (this.#stopped) return;
      if (n <= 0) continue;
      watched.forEach((w, i) => {
        const revents = dv.getInt16(i * _POLLFD_BYTES + 6, true);
        if (revents !== 0) this.#ready(w.fd, w.what, revents);
      });
    }
  }

  #ready(fd: number, what: "wake" | symbol | Listener, revents: number): void {
    if (what === "wake") return this.#drainWake();
    if (typeof what === "symbol") {
      // Retired earlier in this round, its number perhaps already another backend's channel: not the one polled.
      if (this.#channels.get(fd) !== what) return;
      const status = readBackendStatus(fd);
      if (status.kind !== "none") this.#callbacks.onBackendStatus(fd, status);
      else if ((revents & (LinuxConst.POLLHUP | LinuxConst.POLLERR)) !== 0) {
        this.#callbacks.onBackendStatus(fd, { kind: "closed" });
      }
      return;
    }
    if (!this.#accepting || this.#stopped) return;
    for (let i = 0; i < ACCEPTS_PER_ROUND_MAX; i++) {
      const client = acceptClient(what);
      if (client === "again") return;
      if (client === "error") {
        elog("LOG", "could not accept new connection");
        return;
      }
      this.#callbacks.onClient(client);
    }
  }
}
