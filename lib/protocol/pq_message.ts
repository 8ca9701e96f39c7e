/**
 * pq_message.ts — a cursor over one frontend message body, and the message
 * type codes and limits of protocol 3.0.
 *
 * PostgreSQL counterpart: src/backend/libpq/pqformat.c (pq_getmsgint,
 * pq_getmsgstring, pq_getmsgbytes, pq_getmsgend) and the message-type
 * switch of SocketBackend() in src/backend/tcop/postgres.c.
 *
 * NOTES
 * Every read is bounds-checked; a short or malformed body throws
 * `PqProtocolError` with PostgreSQL's wording, which the session turns into
 * FATAL 08P01 (the rule: a malformed message ends that session). The
 * cursor does not copy: strings are decoded from the body view at once.
 *
 * @module
 */

import { PROTOCOL_MESSAGE_MAX_BYTES, PROTOCOL_SMALL_MESSAGE_MAX_BYTES } from "../common/limits.ts";
import { PqProtocolError } from "./pq_reader.ts";

/** Protocol 3.0, as the int32 of a startup packet (PG_PROTOCOL(3,0)). */
export const PG_PROTOCOL_LATEST = (3 << 16) | 0;
/** CancelRequest code (1234, 5678). */
export const CANCEL_REQUEST_CODE = (1234 << 16) | 5678;
/** SSLRequest code (1234, 5679). */
export const NEGOTIATE_SSL_CODE = (1234 << 16) | 5679;
/** GSSENCRequest code (1234, 5680). */
export const NEGOTIATE_GSS_CODE = (1234 << 16) | 5680;
/** Longest password or SASL message accepted (PG_MAX_AUTH_TOKEN_LENGTH). */
export const AUTH_TOKEN_MAX_BYTES = 65535;

/** Frontend message type bytes. */
export const FrontendMessage = {
  BIND: 0x42, // 'B'
  CLOSE: 0x43, // 'C'
  DESCRIBE: 0x44, // 'D'
  EXECUTE: 0x45, // 'E'
  FUNCTION_CALL: 0x46, // 'F'
  FLUSH: 0x48, // 'H'
  PARSE: 0x50, // 'P'
  QUERY: 0x51, // 'Q'
  SYNC: 0x53, // 'S'
  TERMINATE: 0x58, // 'X'
  COPY_FAIL: 0x66, // 'f'
  COPY_DONE: 0x63, // 'c'
  COPY_DATA: 0x64, // 'd'
  PASSWORD: 0x70, // 'p' (also SASLInitialResponse, SASLResponse)
} as const;

/**
 * Largest length word allowed for a message type after authentication, as
 * SocketBackend: large for Query, Parse, Bind, FunctionCall and CopyData;
 * small for the rest.
 *
 * @param type the type byte
 * @returns the limit in bytes (counting the length word)
 */
export function pqMaxMessageLength(type: number): number {
  switch (type) {
    case FrontendMessage.QUERY:
    case FrontendMessage.PARSE:
    case FrontendMessage.BIND:
    case FrontendMessage.FUNCTION_CALL:
    case FrontendMessage.COPY_DATA:
      return PROTOCOL_MESSAGE_MAX_BYTES;
    default:
      return PROTOCOL_SMALL_MESSAGE_MAX_BYTES;
  }
}

const _decoder = new TextDecoder("utf-8", { fatal: true });
/** Longest ASCII string `PqMessageCursor.cstring` builds by characters (V8 keeps strings this short flat). */
const _SHORT_NAME_MAX = 12;

/**
 * Decodes UTF-8, refusing invalid sequences as PostgreSQL's pg_verify_mbstr.
 *
 * @param bytes the bytes
 * @returns the string
 * @throws {PqProtocolError} on invalid UTF-8 (reported as PostgreSQL's 22021 by callers that need it)
 */
export function pqDecodeUtf8(bytes: Uint8Array): string {
  // Fast path for ASCII, the common case on this path.
  if (bytes.length < 64) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return _decoder.decode(bytes);
  } catch {
    throw new PqProtocolError('invalid byte sequence for encoding "UTF8"');
  }
}

/**
 * A read cursor over a message body.
 *
 * @example
 * ```ts
 * const m = new PqMessageCursor(body);
 * const name = m.cstring();
 * const n = m.int16();
 * m.end();
 * ```
 */
export class PqMessageCursor {
  #pos = 0;
  readonly #b: Uint8Array;

  /** @param body the message body (after type and length) */
  constructor(body: Uint8Array) {
    this.#b = body;
  }

  /** @returns bytes not yet read */
  get remaining(): number {
    return this.#b.length - this.#pos;
  }

  /** @returns a byte */
  int8(): number {
    if (this.#pos + 1 > this.#b.length) throw new PqProtocolError("no data left in message");
    return this.#b[this.#pos++];
  }

  /** @returns a big-endian signed 16-bit integer */
  int16(): number {
    if (this.#pos + 2 > this.#b.length) throw new PqProtocolError("no data left in message");
    const v = (this.#b[this.#pos] << 8) | this.#b[this.#pos + 1];
    this.#pos += 2;
    return (v << 16) >> 16;
  }

  /** @returns a big-endian signed 32-bit integer */
  int32(): number {
    if (this.#pos + 4 > this.#b.length) throw new PqProtocolError("no data left in message");
    const b = this.#b;
    const p = this.#pos;
    this.#pos += 4;
    return (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
  }

  /** @returns a NUL-terminated UTF-8 string */
  cstring(): string {
    const b = this.#b;
    const start = this.#pos;
    const nul = b.indexOf(0, start);
    if (nul < 0) throw new PqProtocolError("invalid string in message");
    // Names in Bind/Execute/Describe are mostly empty or short ASCII: built here, without a view of the body.
    if (nul - start <= _SHORT_NAME_MAX) {
      let s = "";
      let i = start;
      for (; i < nul && b[i] < 0x80; i++) s += String.fromCharCode(b[i]);
      if (i === nul) {
        this.#pos = nul + 1;
        return s;
      }
    }
    const s = pqDecodeUtf8(b.subarray(start, nul));
    this.#pos = nul + 1;
    return s;
  }

  /**
   * @param n byte count
   * @returns a view of the next n bytes (valid as long as the body is)
   */
  bytes(n: number): Uint8Array {
    if (n < 0 || this.#pos + n > this.#b.length) throw new PqProtocolError("insufficient data left in message");
    const v = this.#b.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }

  /** @returns the rest of the body */
  rest(): Uint8Array {
    const v = this.#b.subarray(this.#pos);
    this.#pos = this.#b.length;
    return v;
  }

  /** Asserts the whole body was read (pq_getmsgend). */
  end(): void {
    if (this.#pos !== this.#b.length) throw new PqProtocolError("invalid message format");
  }
}
