/**
 * wire.ts — the smallest PostgreSQL protocol 3.0 client that can time a
 * connection's phases and hold idle sessions: TCP connect, StartupMessage,
 * trust authentication, ReadyForQuery, simple Query, Terminate.
 *
 * PostgreSQL counterpart: the connection half of libpq (fe-connect.c
 * PQconnectPoll, fe-protocol3.c), reduced to what the benchmark measures.
 *
 * NOTES
 * Only trust authentication (AuthenticationOk) is accepted: the benchmark's
 * clusters are initialised with `-A trust`, and any other request is an
 * error here rather than a silently different measurement. No SSL request
 * is sent (as `sslmode=disable`). Phase times are taken with
 * `performance.now()` in the client, so they include the client's own
 * event-loop latency, equally for both servers. Every read is bounded by
 * {@link WIRE_MESSAGE_MAX_BYTES}. Requires `--allow-net`.
 *
 * @module
 */

/** Largest server message accepted by this client (a DataRow of SELECT 1 is tiny). */
export const WIRE_MESSAGE_MAX_BYTES = 1 << 20;

/** Phase times of one connection, in milliseconds from the start of `connect()`. */
export interface ConnectPhases {
  /** TCP handshake done (kernel accept queue; the server has not acted yet). */
  readonly tcpMs: number;
  /** AuthenticationOk received: hand-off to a backend, startup packet read, auth done. */
  readonly authOkMs: number;
  /** ReadyForQuery received: the backend finished initialising the session. */
  readonly readyMs: number;
}

/** A connected, idle session. */
export class WireSession {
  readonly #conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /**
   * Connects and completes startup, timing each phase.
   *
   * @param host server address
   * @param port server port
   * @param user role name
   * @param database database name
   * @returns the idle session and its phase times
   * @throws {Error} on an ErrorResponse or an authentication request other than trust
   */
  static async open(
    host: string,
    port: number,
    user: string,
    database: string,
  ): Promise<{ session: WireSession; phases: ConnectPhases }> {
    const t0 = performance.now();
    const conn = await Deno.connect({ hostname: host, port });
    conn.setNoDelay(true);
    const tcpMs = performance.now() - t0;
    const session = new WireSession(conn);
    try {
      await conn.write(startupMessage({ user, database, application_name: "denogres-bench" }));
      let authOkMs = -1;
      for (;;) {
        const msg = await session.#readMessage();
        if (msg.type === "R") {
          const code = new DataView(msg.body.buffer, msg.body.byteOffset).getInt32(0);
          if (code !== 0) throw new Error(`server asked for authentication method ${code}; the bench needs trust`);
          authOkMs = performance.now() - t0;
        } else if (msg.type === "E") {
          throw new Error(`server refused the connection: ${errorText(msg.body)}`);
        } else if (msg.type === "Z") {
          if (authOkMs < 0) throw new Error("ReadyForQuery before AuthenticationOk");
          return { session, phases: { tcpMs, authOkMs, readyMs: performance.now() - t0 } };
        }
        // 'S' ParameterStatus, 'K' BackendKeyData, 'N' NoticeResponse: read on.
      }
    } catch (e) {
      session.#closeQuietly();
      throw e;
    }
  }

  /**
   * Sends one simple Query and reads up to ReadyForQuery.
   *
   * @param sql the query text
   * @throws {Error} when the server answers with an ErrorResponse
   */
  async simpleQuery(sql: string): Promise<void> {
    await this.#conn.write(queryMessage(sql));
    let error: string | undefined;
    for (;;) {
      const msg = await this.#readMessage();
      if (msg.type === "E") error = errorText(msg.body);
      if (msg.type === "Z") break;
    }
    if (error !== undefined) throw new Error(error);
  }

  /** Sends Terminate and closes the socket. */
  async close(): Promise<void> {
    try {
      await this.#conn.write(new Uint8Array([0x58, 0, 0, 0, 4])); // 'X', length 4
    } catch { /* server already gone */ }
    this.#closeQuietly();
  }

  #closeQuietly(): void {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  async #readMessage(): Promise<{ type: string; body: Uint8Array }> {
    while (this.#buffer.length < 5) await this.#fill();
    const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getInt32(1);
    if (length < 4 || length > WIRE_MESSAGE_MAX_BYTES) throw new Error(`invalid message length ${length}`);
    while (this.#buffer.length < 1 + length) await this.#fill();
    const type = String.fromCharCode(this.#buffer[0]);
    const body = this.#buffer.slice(5, 1 + length);
    this.#buffer = this.#buffer.slice(1 + length);
    return { type, body };
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(16384);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("server closed the connection");
    const merged = new Uint8Array(this.#buffer.length + n);
    merged.set(this.#buffer);
    merged.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = merged;
  }
}

/**
 * Encodes a protocol 3.0 StartupMessage.
 *
 * @param params startup parameters (user, database, ...)
 * @returns the message bytes
 */
export function startupMessage(params: Record<string, string>): Uint8Array {
  const enc = new TextEncoder();
  const parts = Object.entries(params).flatMap(([k, v]) => [enc.encode(k), enc.encode(v)]);
  const length = 4 + 4 + parts.reduce((n, p) => n + p.length + 1, 0) + 1;
  const out = new Uint8Array(length);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, length);
  dv.setInt32(4, 3 << 16); // protocol 3.0
  let at = 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length + 1; // terminating zero byte is already 0
  }
  return out;
}

/**
 * Encodes a simple Query message.
 *
 * @param sql query text
 * @returns the message bytes
 */
export function queryMessage(sql: string): Uint8Array {
  const text = new TextEncoder().encode(sql);
  const out = new Uint8Array(1 + 4 + text.length + 1);
  out[0] = 0x51; // 'Q'
  new DataView(out.buffer).setInt32(1, 4 + text.length + 1);
  out.set(text, 5);
  return out;
}

/**
 * Renders an ErrorResponse body as `SEVERITY: message (SQLSTATE)`.
 *
 * @param body the message body (fields of type byte + C string)
 * @returns one line
 */
export function errorText(body: Uint8Array): string {
  const fields = new Map<string, string>();
  const dec = new TextDecoder();
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const end = body.indexOf(0, at + 1);
    if (end < 0) break;
    fields.set(String.fromCharCode(body[at]), dec.decode(body.subarray(at + 1, end)));
    at = end + 1;
  }
  return `${fields.get("S") ?? "ERROR"}: ${fields.get("M") ?? "?"} (${fields.get("C") ?? "?"})`;
}
