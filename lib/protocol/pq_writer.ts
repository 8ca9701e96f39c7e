/**
 * pq_writer.ts — builds backend protocol messages into one growing output
 * buffer and hands it to the socket in batches.
 *
 * PostgreSQL counterpart: src/backend/libpq/pqformat.c (pq_beginmessage,
 * pq_send*, pq_endmessage) and pqcomm.c (PqSendBuffer, pq_flush).
 *
 * NOTES
 * One writer per connection, used only by the backend that owns the socket.
 * Messages are appended to `#buf` (reused: the sink consumes or copies each
 * batch before returning) and leave the process only on `flush()`
 * (at ReadyForQuery, Flush, before a wait, or when more than
 * {@link PQ_SEND_FLUSH_THRESHOLD_BYTES} are pending), so a `SELECT 1` round
 * trip costs one socket write. The writer never blocks: `flush()` returns a
 * promise that settles when the sink has taken the bytes (socket back
 * pressure). Errors: writing to a closed socket is the sink's business; the
 * writer itself only asserts its own invariants (a message is open before
 * fields are appended). See lib/protocol/README.md.
 *
 * @module
 */

import { assert } from "../common/assert.ts";

/** Pending output above which a message boundary triggers a flush (keeps big results streaming). */
export const PQ_SEND_FLUSH_THRESHOLD_BYTES = 64 * 1024;
/** Initial size of the output buffer (PostgreSQL's PQ_SEND_BUFFER_SIZE). */
export const PQ_SEND_BUFFER_INITIAL_BYTES = 8192;
/** An output buffer grown past this by one big message is given back after the flush. */
export const PQ_SEND_BUFFER_KEEP_BYTES = 1 << 20;

/**
 * Takes a batch of output bytes: a view of the writer's buffer, valid only
 * until the sink returns, so the sink sends or copies them at once (the
 * buffer is reused for the next messages: no allocation per flush). May
 * return a promise for back pressure.
 */
export type PqSink = (bytes: Uint8Array) => void | Promise<void>;

/** Fields of an ErrorResponse/NoticeResponse, by PostgreSQL's one-letter codes. */
export interface PqErrorFields {
  /** S: localized severity (ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO, LOG). */
  severity: string;
  /** C: SQLSTATE. */
  code: string;
  /** M: primary message. */
  message: string;
  /** D: detail. */
  detail?: string;
  /** H: hint. */
  hint?: string;
  /** P: 1-based position in the query string. */
  position?: number;
  /** W: context. */
  where?: string;
  /** R: routine (source function), as PostgreSQL sends. */
  routine?: string;
}

/** One column of a RowDescription. */
export interface PqFieldDescription {
  readonly name: string;
  /** Table oid, or 0. */
  readonly tableOid: number;
  /** Column number in the table, or 0. */
  readonly columnNo: number;
  readonly typeOid: number;
  /** pg_type.typlen: -1 varlena, -2 cstring. */
  readonly typeLen: number;
  readonly typeMod: number;
  /** 0 text, 1 binary. */
  readonly format: number;
}

const _encoder = new TextEncoder();
/** Longest string `text()` copies byte by byte when it is ASCII, before handing it to the encoder. */
const _INLINE_TEXT_MAX = 64;
/** Encoded RowDescription messages by their fields array (entries go with the arrays). */
const _rowDescriptions = new WeakMap<readonly PqFieldDescription[], Uint8Array>();

/**
 * The backend side of the wire: message builders over one output buffer.
 *
 * @example
 * ```ts
 * const w = new PqWriter((b) => pqSocket.write(b));
 * w.commandComplete("SELECT 1");
 * w.readyForQuery("I");
 * await w.flush();
 * ```
 */
export class PqWriter {
  #buf = new Uint8Array(PQ_SEND_BUFFER_INITIAL_BYTES);
  #dv = new DataView(this.#buf.buffer);
  #len = 0;
  #msgStart = -1;
  readonly #sink: PqSink;

  /** @param sink receives each batch at flush time */
  constructor(sink: PqSink) {
    this.#sink = sink;
  }

  /** @returns bytes waiting for the next flush */
  get pendingBytes(): number {
    return this.#len;
  }

  /**
   * Hands everything pending to the sink.
   *
   * @returns a promise that settles when the sink accepted the bytes
   */
  flush(): void | Promise<void> {
    assert(this.#msgStart < 0, "no message is open at flush");
    if (this.#len === 0) return;
    const out = this.#buf.subarray(0, this.#len);
    this.#len = 0;
    if (this.#buf.length > PQ_SEND_BUFFER_KEEP_BYTES) {
      this.#buf = new Uint8Array(PQ_SEND_BUFFER_INITIAL_BYTES);
      this.#dv = new DataView(this.#buf.buffer);
    }
    return this.#sink(out);
  }

  /** Drops pending output (after the connection is known dead). */
  discard(): void {
    this.#len = 0;
    this.#msgStart = -1;
  }

  // ---- primitives -------------------------------------------------------

  /** Starts a message with a type byte; its length is filled in by {@link endMessage}. */
  beginMessage(type: number): void {
    assert(this.#msgStart < 0, "previous message was ended");
    this.#ensure(5);
    this.#buf[this.#len] = type;
    this.#msgStart = this.#len + 1;
    this.#len += 5;
  }

  /** Ends the open message, writing its length word. */
  endMessage(): void {
    assert(this.#msgStart >= 0, "a message is open");
    this.#dv.setInt32(this.#msgStart, this.#len - this.#msgStart);
    this.#msgStart = -1;
  }

  /** Appends one byte. */
  int8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = v;
  }

  /** Appends a big-endian 16-bit integer. */
  int16(v: number): void {
    this.#ensure(2);
    this.#dv.setInt16(this.#len, v);
    this.#len += 2;
  }

  /** Appends a big-endian 32-bit integer. */
  int32(v: number): void {
    this.#ensure(4);
    this.#dv.setInt32(this.#len, v);
    this.#len += 4;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** Appends a string as UTF-8 without terminator; returns the byte count. */
  text(s: string): number {
    // Worst case 3 bytes per UTF-16 unit.
    this.#ensure(s.length * 3);
    const buf = this.#buf;
    const at = this.#len;
    const n = s.length;
    // Short ASCII (command tags, numbers, names) is copied here: encodeInto is a call into the runtime.
    if (n <= _INLINE_TEXT_MAX) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
      }
      if (i === n) {
        this.#len = at + n;
        return n;
      }
    }
    const r = _encoder.encodeInto(s, buf.subarray(at));
    this.#len = at + r.written;
    return r.written;
  }

  /** Appends a NUL-terminated UTF-8 string. */
  cstring(s: string): void {
    this.text(s);
    this.int8(0);
  }

  /**
   * Appends a length-prefixed text value (a DataRow column): int32 length then the UTF-8 bytes.
   *
   * @param s the value's text form
   */
  lengthPrefixedText(s: string): void {
    this.#ensure(4 + s.length * 3);
    const at = this.#len;
    this.#len += 4;
    const n = this.text(s);
    this.#dv.setInt32(at, n);
  }

  // ---- messages ---------------------------------------------------------

  /** AuthenticationOk ('R', 0). */
  authenticationOk(): void {
    this.#authRequest(0);
    this.endMessage();
  }

  /** AuthenticationCleartextPassword ('R', 3). */
  authenticationCleartextPassword(): void {
    this.#authRequest(3);
    this.endMessage();
  }

  /** AuthenticationSASL ('R', 10) listing mechanisms. */
  authenticationSasl(mechanisms: readonly string[]): void {
    this.#authRequest(10);
    for (const m of mechanisms) this.cstring(m);
    this.int8(0);
    this.endMessage();
  }

  /** AuthenticationSASLContinue ('R', 11). */
  authenticationSaslContinue(data: string): void {
    this.#authRequest(11);
    this.text(data);
    this.endMessage();
  }

  /** AuthenticationSASLFinal ('R', 12). */
  authenticationSaslFinal(data: string): void {
    this.#authRequest(12);
    this.text(data);
    this.endMessage();
  }

  /** ParameterStatus ('S'). */
  parameterStatus(name: string, value: string): void {
    this.beginMessage(0x53);
    this.cstring(name);
    this.cstring(value);
    this.endMessage();
  }

  /** BackendKeyData ('K'). */
  backendKeyData(pid: number, secretKey: number): void {
    this.beginMessage(0x4b);
    this.int32(pid);
    this.int32(secretKey);
    this.endMessage();
  }

  /** ReadyForQuery ('Z') with transaction status I, T or E. */
  readyForQuery(status: "I" | "T" | "E"): void {
    this.beginMessage(0x5a);
    this.int8(status.charCodeAt(0));
    this.endMessage();
  }

  /**
   * RowDescription ('T'). The encoded message is remembered per `fields`
   * array (the session passes one immutable array per cached plan), so a
   * repeated statement copies bytes instead of encoding names again.
   */
  rowDescription(fields: readonly PqFieldDescription[]): void {
    const cached = _rowDescriptions.get(fields);
    if (cached !== undefined) return this.bytes(cached);
    const start = this.#len;
    this.#rowDescription(fields);
    _rowDescriptions.set(fields, this.#buf.slice(start, this.#len));
  }

  #rowDescription(fields: readonly PqFieldDescription[]): void {
    this.beginMessage(0x54);
    this.int16(fields.length);
    for (const f of fields) {
      this.cstring(f.name);
      this.int32(f.tableOid);
      this.int16(f.columnNo);
      this.int32(f.typeOid);
      this.int16(f.typeLen);
      this.int32(f.typeMod);
      this.int16(f.format);
    }
    this.endMessage();
  }

  /** ParameterDescription ('t'). */
  parameterDescription(typeOids: readonly number[]): void {
    this.beginMessage(0x74);
    this.int16(typeOids.length);
    for (const t of typeOids) this.int32(t);
    this.endMessage();
  }

  /** CommandComplete ('C'). */
  commandComplete(tag: string): void {
    this.beginMessage(0x43);
    this.cstring(tag);
    this.endMessage();
  }

  /** EmptyQueryResponse ('I'). */
  emptyQueryResponse(): void {
    this.#empty(0x49);
  }

  /** ParseComplete ('1'). */
  parseComplete(): void {
    this.#empty(0x31);
  }

  /** BindComplete ('2'). */
  bindComplete(): void {
    this.#empty(0x32);
  }

  /** CloseComplete ('3'). */
  closeComplete(): void {
    this.#empty(0x33);
  }

  /** NoData ('n'). */
  noData(): void {
    this.#empty(0x6e);
  }

  /** PortalSuspended ('s'). */
  portalSuspended(): void {
    this.#empty(0x73);
  }

  /** ErrorResponse ('E'). */
  errorResponse(f: PqErrorFields): void {
    this.#errorOrNotice(0x45, f);
  }

  /** NoticeResponse ('N'). */
  noticeResponse(f: PqErrorFields): void {
    this.#errorOrNotice(0x4e, f);
  }

  /** NegotiateProtocolVersion ('v'). */
  negotiateProtocolVersion(newestMinor: number, unrecognized: readonly string[]): void {
    this.beginMessage(0x76);
    this.int32(newestMinor);
    this.int32(unrecognized.length);
    for (const o of unrecognized) this.cstring(o);
    this.endMessage();
  }

  /** A single raw byte outside any message (the 'N' answer to SSLRequest/GSSENCRequest). */
  rawByte(b: number): void {
    assert(this.#msgStart < 0, "no message is open");
    this.int8(b);
  }

  #errorOrNotice(type: number, f: PqErrorFields): void {
    this.beginMessage(type);
    this.#field(0x53, f.severity); // S
    this.#field(0x56, f.severity); // V: non-localized severity
    this.#field(0x43, f.code); // C
    this.#field(0x4d, f.message); // M
    if (f.detail !== undefined) this.#field(0x44, f.detail);
    if (f.hint !== undefined) this.#field(0x48, f.hint);
    if (f.position !== undefined) this.#field(0x50, String(f.position));
    if (f.where !== undefined) this.#field(0x57, f.where);
    if (f.routine !== undefined) this.#field(0x52, f.routine);
    this.int8(0);
    this.endMessage();
  }

  #field(code: number, value: string): void {
    this.int8(code);
    this.cstring(value);
  }

  #authRequest(code: number): void {
    this.beginMessage(0x52);
    this.int32(code);
  }

  #empty(type: number): void {
    this.#ensure(5);
    this.#buf[this.#len] = type;
    this.#dv.setInt32(this.#len + 1, 4);
    this.#len += 5;
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#dv = new DataView(next.buffer);
  }
}
