/**
 * pq_reader.ts — reads frontend protocol messages from a client socket, with
 * input buffering and PostgreSQL's message size limits.
 *
 * PostgreSQL counterpart: src/backend/libpq/pqcomm.c (pq_getbytes,
 * pq_getmessage, PqRecvBuffer) and the length checks of SocketBackend() in
 * src/backend/tcop/postgres.c and ProcessStartupPacket() in postmaster.c.
 *
 * NOTES
 * One reader per connection. Bytes arrive as socket `data` events and are
 * appended to one buffer; `readMessage()` resolves once a whole message is
 * there. The returned body is a view into that buffer, valid only until the
 * next read: callers decode what they keep at once. The buffer holds at most
 * one message beyond {@link PQ_RECV_BUFFER_HIGH_BYTES}: above that the socket
 * is paused until the session consumes input, so a client that floods us
 * costs bounded memory. A length word outside the allowed range is a
 * protocol violation (`PqProtocolError`), reported by the caller as FATAL
 * 08P01; the connection is never resynchronised after one. See
 * lib/protocol/README.md.
 *
 * @module
 */

import { STARTUP_PACKET_MAX_BYTES } from "../common/limits.ts";

/** Buffered input above which the socket is paused until the session reads. */
export const PQ_RECV_BUFFER_HIGH_BYTES = 1 << 20;
/** Initial size of the input buffer (PostgreSQL's PQ_RECV_BUFFER_SIZE). */
export const PQ_RECV_BUFFER_INITIAL_BYTES = 8192;
/** {@link PqReader.tryReadMessage}: no complete message is buffered yet. */
export const PQ_NEED_MORE = -2;

/** The socket events the reader needs (a `node:net` Socket satisfies it). */
export interface PqSource {
  on(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", fn: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** A broken framing rule: the message cannot be read, the session must end. */
export class PqProtocolError extends Error {
  /** @param message PostgreSQL's wording ("invalid message length") */
  constructor(message: string) {
    super(message);
    this.name = "PqProtocolError";
  }
}

/** What `readStartupPacket` found before any byte, or the packet body. */
export type PqStartupRead = { kind: "eof"; bytesSeen: number } | { kind: "packet"; body: Uint8Array };

/**
 * Message reader over one client socket.
 *
 * @example
 * ```ts
 * const r = new PqReader(socket);
 * const type = await r.readMessage((t) => t === 0x51 ? LARGE : SMALL);
 * if (type < 0) return; // EOF
 * handle(type, r.body);
 * ```
 */
export class PqReader {
  #buf = new Uint8Array(PQ_RECV_BUFFER_INITIAL_BYTES);
  #start = 0;
  #end = 0;
  #eof = false;
  #paused = false;
  #waiter: (() => void) | null = null;
  #body: Uint8Array = new Uint8Array(0);
  readonly #source: PqSource;

  /** @param source the client socket */
  constructor(source: PqSource) {
    this.#source = source;
    source.on("data", (chunk) => this.#onData(chunk));
    const onEnd = () => {
      this.#eof = true;
      this.#wake();
    };
    source.on("end", onEnd);
    source.on("close", onEnd);
    source.on("error", onEnd);
  }

  /** Body of the last message read (a view valid until the next read). */
  get body(): Uint8Array {
    return this.#body;
  }

  /** @returns true when a complete message is already buffered (the next read will not wait) */
  get hasBufferedMessage(): boolean {
    const avail = this.#end - this.#start;
    if (avail < 5) return false;
    const len = this.#int32At(this.#start + 1);
    return len >= 4 && avail >= 1 + len;
  }

  /** @returns true once the client has closed its side (or the socket failed) */
  get atEof(): boolean {
    return this.#eof && this.#end === this.#start;
  }

  /**
   * Reads a startup packet: an int32 length (counting itself) and the body.
   *
   * @returns the body, or `eof` with the count of bytes seen (0: the client just connected and left)
   * @throws {PqProtocolError} `invalid length of startup packet`
   */
  async readStartupPacket(): Promise<PqStartupRead> {
    if (!(await this.#need(4))) return { kind: "eof", bytesSeen: this.#end - this.#start };
    const len = this.#int32At(this.#start);
    if (len < 8 || len > STARTUP_PACKET_MAX_BYTES) throw new PqProtocolError("invalid length of startup packet");
    if (!(await this.#need(len))) return { kind: "eof", bytesSeen: this.#end - this.#start };
    this.#body = this.#buf.subarray(this.#start + 4, this.#start + len);
    this.#start += len;
    return { kind: "packet", body: this.#body };
  }

  /**
   * Reads one typed message.
   *
   * @param maxLenFor the largest allowed length word for a message type
   * @returns the type byte, or -1 at end of input (the body is in {@link body})
   * @throws {PqProtocolError} `invalid message length` when the length word is out of range
   */
  async readMessage(maxLenFor: (type: number) => number): Promise<number> {
    for (;;) {
      const type = this.tryReadMessage(maxLenFor);
      if (type !== PQ_NEED_MORE) return type;
      await this.waitForData();
    }
  }

  /**
   * Reads one typed message if it is already buffered, without waiting: the
   * message loop's fast path (no promise when the client's next message is
   * already here, as in a pipelined Bind/Execute/Sync).
   *
   * @param maxLenFor the largest allowed length word for a message type
   * @returns the type byte; -1 at end of input; or {@link PQ_NEED_MORE}
   * @throws {PqProtocolError} `invalid message length` when the length word is out of range
   */
  tryReadMessage(maxLenFor: (type: number) => number): number {
    const avail = this.#end - this.#start;
    if (avail >= 5) {
      const type = this.#buf[this.#start];
      const len = this.#int32At(this.#start + 1);
      if (len < 4 || len > maxLenFor(type)) throw new PqProtocolError("invalid message length");
      if (avail >= 1 + len) {
        this.#body = this.#buf.subarray(this.#start + 5, this.#start + 1 + len);
        this.#start += 1 + len;
        return type;
      }
    }
    if (this.#eof) return -1;
    if (this.#paused) {
      this.#paused = false;
      this.#source.resume();
    }
    return PQ_NEED_MORE;
  }

  /**
   * Waits until more input (or end of input) arrives; then call
   * {@link tryReadMessage} again. One promise, no async frames: the
   * message loop's way to sleep.
   *
   * @returns a promise settled by the next input event
   */
  waitForData(): Promise<void> {
    return new Promise<void>((resolve) => (this.#waiter = resolve));
  }

  async #need(n: number): Promise<boolean> {
    while (this.#end - this.#start < n) {
      if (this.#eof) return false;
      if (this.#paused) {
        this.#paused = false;
        this.#source.resume();
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
    return true;
  }

  #onData(chunk: Uint8Array): void {
    const n = chunk.length;
    if (this.#end + n > this.#buf.length) this.#makeRoom(n);
    this.#buf.set(chunk, this.#end);
    this.#end += n;
    if (this.#waiter === null && this.#end - this.#start > PQ_RECV_BUFFER_HIGH_BYTES && !this.#paused) {
      this.#paused = true;
      this.#source.pause();
    }
    this.#wake();
  }

  #makeRoom(n: number): void {
    const live = this.#end - this.#start;
    if (live + n <= this.#buf.length && this.#buf.length <= PQ_RECV_BUFFER_HIGH_BYTES) {
      this.#buf.copyWithin(0, this.#start, this.#end);
    } else {
      let size = PQ_RECV_BUFFER_INITIAL_BYTES;
      while (size < live + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = next;
    }
    this.#start = 0;
    this.#end = live;
  }

  #wake(): void {
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      w();
    }
  }

  #int32At(i: number): number {
    const b = this.#buf;
    return (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
  }
}
