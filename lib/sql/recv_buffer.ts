/**
 * recv_buffer.ts — the bytes of one binary-format value, read by a type's
 * receive function, and UTF-8 verification with PostgreSQL's report.
 *
 * PostgreSQL counterpart: the StringInfo a *recv function reads through
 * pq_getmsgbyte/pq_getmsgint/pq_getmsgint64/pq_getmsgfloat4/8/pq_getmsgtext
 * (src/backend/libpq/pqformat.c), and pg_verify_mbstr/report_invalid_encoding
 * (src/backend/utils/mb/mbutils.c, wchar.c) for text.
 *
 * NOTES
 * Reading past the end is ERROR 08P01 (`insufficient data left in message`,
 * `no data left in message` for a single byte), as pq_getmsg* raises it; a
 * value that leaves bytes unread is the caller's to refuse (Bind: 22P03
 * `incorrect binary data format in bind parameter N`). Neither ends the
 * session: the value is inside a well-framed message.
 *
 * @module
 */

import { SqlError, SqlState } from "../common/errors.ts";

/**
 * A read cursor over one binary value.
 *
 * @example
 * ```ts
 * const b = new RecvBuffer(new Uint8Array([0, 0, 0, 7]));
 * b.int32(); // 7
 * b.remaining; // 0
 * ```
 */
export class RecvBuffer {
  readonly #b: Uint8Array;
  readonly #dv: DataView;
  #pos = 0;

  /** @param bytes the value's bytes (not copied) */
  constructor(bytes: Uint8Array) {
    this.#b = bytes;
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** @returns bytes not read yet */
  get remaining(): number {
    return this.#b.length - this.#pos;
  }

  #take(n: number): number {
    const p = this.#pos;
    if (p + n > this.#b.length) {
      throw new SqlError(SqlState.PROTOCOL_VIOLATION, "insufficient data left in message");
    }
    this.#pos = p + n;
    return p;
  }

  /** @returns one unsigned byte (pq_getmsgbyte) */
  byte(): number {
    if (this.#pos >= this.#b.length) throw new SqlError(SqlState.PROTOCOL_VIOLATION, "no data left in message");
    return this.#b[this.#pos++];
  }

  /** @returns a big-endian signed 16-bit integer */
  int16(): number {
    return this.#dv.getInt16(this.#take(2));
  }

  /** @returns a big-endian unsigned 16-bit integer (pq_getmsgint(buf, 2)) */
  uint16(): number {
    return this.#dv.getUint16(this.#take(2));
  }

  /** @returns a big-endian signed 32-bit integer */
  int32(): number {
    return this.#dv.getInt32(this.#take(4));
  }

  /** @returns a big-endian unsigned 32-bit integer (pq_getmsgint(buf, 4)) */
  uint32(): number {
    return this.#dv.getUint32(this.#take(4));
  }

  /** @returns a big-endian signed 64-bit integer (pq_getmsgint64) */
  int64(): bigint {
    return this.#dv.getBigInt64(this.#take(8));
  }

  /** @returns a big-endian IEEE single (pq_getmsgfloat4) */
  float32(): number {
    return this.#dv.getFloat32(this.#take(4));
  }

  /** @returns a big-endian IEEE double (pq_getmsgfloat8) */
  float64(): number {
    return this.#dv.getFloat64(this.#take(8));
  }

  /**
   * @returns the rest of the value as text (pq_getmsgtext)
   * @throws {SqlError} 22021 on invalid UTF-8 or a NUL byte
   */
  text(): string {
    const p = this.#pos;
    this.#pos = this.#b.length;
    return utf8Verified(this.#b.subarray(p));
  }
}

const _decoder = new TextDecoder("utf-8", { fatal: true });

/** pg_utf_mblen: the length a lead byte announces (1 for an invalid one). */
function _mblen(c: number): number {
  if ((c & 0x80) === 0) return 1;
  if ((c & 0xe0) === 0xc0) return 2;
  if ((c & 0xf0) === 0xe0) return 3;
  if ((c & 0xf8) === 0xf0) return 4;
  return 1;
}

/** pg_utf8_islegal: is the sequence of length `l` at `i` a valid character? */
function _isLegal(b: Uint8Array, i: number, l: number): boolean {
  if (l > 1) {
    for (let k = 2; k < l; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return false;
    const a = b[i + 1];
    const lo = b[i] === 0xe0 ? 0xa0 : b[i] === 0xf0 ? 0x90 : 0x80;
    const hi = b[i] === 0xed ? 0x9f : b[i] === 0xf4 ? 0x8f : 0xbf;
    if (a < lo || a > hi) return false;
  }
  const c = b[i];
  return !((c >= 0x80 && c < 0xc2) || c > 0xf4);
}

/** report_invalid_encoding: 22021 naming the bytes of the offending character (at most what is left). */
function _invalid(b: Uint8Array, i: number): SqlError {
  const n = Math.min(_mblen(b[i]), b.length - i, 8);
  const shown = Array.from(b.subarray(i, i + n), (x) => `0x${x.toString(16).padStart(2, "0")}`).join(" ");
  return new SqlError(SqlState.CHARACTER_NOT_IN_REPERTOIRE, `invalid byte sequence for encoding "UTF8": ${shown}`);
}

/**
 * Decodes UTF-8 that PostgreSQL's pg_verify_mbstr accepts: a NUL byte,
 * an overlong form, a surrogate or a truncated character is refused with
 * its bytes named, as PostgreSQL's message.
 *
 * @param b the bytes
 * @returns the text
 * @throws {SqlError} 22021 `invalid byte sequence for encoding "UTF8": 0xe2 0x28 0xa1`
 */
export function utf8Verified(b: Uint8Array): string {
  let i = 0;
  let ascii = true;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      if (c === 0) throw _invalid(b, i);
      i++;
      continue;
    }
    ascii = false;
    const l = _mblen(c);
    if (l === 1 || i + l > b.length || !_isLegal(b, i, l)) throw _invalid(b, i);
    i += l;
  }
  if (ascii && b.length < 64) return String.fromCharCode.apply(null, b as unknown as number[]);
  return _decoder.decode(b);
}
