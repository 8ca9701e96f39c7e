/**
 * raw_protocol.ts — frontend messages built byte by byte and a session that
 * sends them in one write and returns what the server answered, one line
 * per backend message, so end-to-end tests can compare denogres's message
 * sequences with PostgreSQL 15's exactly (no client library in between).
 *
 * PostgreSQL counterpart: none (test harness; libpq's pipeline mode and
 * src/test/modules/libpq_pipeline play this role there).
 *
 * NOTES
 * A transcript line names the message and its essentials:
 * `RowDescription a:23:f1` (name:type oid:format), `DataRow 1|NULL|\x0001`
 * (a value of printable ASCII as is, anything else in hex),
 * `ErrorResponse 22012 division by zero` followed by ` @8` for a position and
 * ` [context]` for the context field. The session ends after as many
 * ReadyForQuery as Query and Sync messages were sent (or when the server
 * closes, or after `timeoutMs`).
 *
 * @module
 */

import { backendMessageReader, startupPacket } from "./cluster.ts";

const _enc = new TextEncoder();

function _frame(type: string, ...parts: (number[] | Uint8Array)[]): Uint8Array {
  const body = parts.flatMap((p) => [...p]);
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, body.length + 4);
  out.set(body, 5);
  return out;
}

const _cstr = (s: string) => [..._enc.encode(s), 0];
const _i16 = (n: number) => [(n >> 8) & 255, n & 255];
const _i32 = (n: number) => [(n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];

/** Frontend messages. */
export const fe = {
  /** Query: one simple-protocol query string. */
  query: (sql: string): Uint8Array => _frame("Q", _cstr(sql)),
  /** Parse: a statement with declared parameter type oids (0: infer). */
  parse: (name: string, sql: string, paramTypes: number[] = []): Uint8Array =>
    _frame("P", _cstr(name), _cstr(sql), _i16(paramTypes.length), paramTypes.flatMap(_i32)),
  /** Bind: parameter format codes, values (null: NULL) and result format codes. */
  bind: (
    portal: string,
    stmt: string,
    paramFormats: number[],
    params: (Uint8Array | string | null)[],
    resultFormats: number[] = [],
  ): Uint8Array =>
    _frame(
      "B",
      _cstr(portal),
      _cstr(stmt),
      _i16(paramFormats.length),
      paramFormats.flatMap(_i16),
      _i16(params.length),
      params.flatMap((p) => {
        if (p === null) return _i32(-1);
        const b = typeof p === "string" ? _enc.encode(p) : p;
        return [..._i32(b.length), ...b];
      }),
      _i16(resultFormats.length),
      resultFormats.flatMap(_i16),
    ),
  /** Execute: a portal with a row limit (0: all). */
  execute: (portal: string, maxRows = 0): Uint8Array => _frame("E", _cstr(portal), _i32(maxRows)),
  /** Describe a statement (`S`) or portal (`P`). */
  describe: (kind: "S" | "P", name: string): Uint8Array => _frame("D", [kind.charCodeAt(0)], _cstr(name)),
  /** Sync. */
  sync: (): Uint8Array => _frame("S"),
};

/** A value's bytes from hex (`"0001"`). */
export function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const _dec = new TextDecoder();

function _value(b: Uint8Array): string {
  if (b.every((x) => x >= 0x20 && x < 0x7f)) return _dec.decode(b);
  return `\\x${Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")}`;
}

function _fields(body: Uint8Array): Record<string, string> {
  const f: Record<string, string> = {};
  for (let i = 0; i < body.length && body[i] !== 0;) {
    const end = body.indexOf(0, i + 1);
    f[String.fromCharCode(body[i])] = _dec.decode(body.subarray(i + 1, end));
    i = end + 1;
  }
  return f;
}

const _NAMES: Record<string, string> = {
  "1": "ParseComplete",
  "2": "BindComplete",
  "3": "CloseComplete",
  n: "NoData",
  s: "PortalSuspended",
  I: "EmptyQueryResponse",
};

/** One backend message as a transcript line. */
function _line(type: string, body: Uint8Array): string {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (type) {
    case "E":
    case "N": {
      const f = _fields(body);
      const name = type === "E" ? "ErrorResponse" : "NoticeResponse";
      return `${name} ${f.C} ${f.M}${f.P ? ` @${f.P}` : ""}${f.W ? ` [${f.W}]` : ""}`;
    }
    case "C":
      return `CommandComplete ${_dec.decode(body.subarray(0, body.length - 1))}`;
    case "Z":
      return `ReadyForQuery ${String.fromCharCode(body[0])}`;
    case "S": {
      const [name, value] = _dec.decode(body).split("\0");
      return `ParameterStatus ${name}=${value}`;
    }
    case "t": {
      const n = dv.getInt16(0);
      return ["ParameterDescription", ...Array.from({ length: n }, (_, i) => dv.getInt32(2 + 4 * i))].join(" ");
    }
    case "T": {
      const cols: string[] = [];
      let o = 2;
      for (let i = 0; i < dv.getInt16(0); i++) {
        const end = body.indexOf(0, o);
        const name = _dec.decode(body.subarray(o, end));
        o = end + 1;
        cols.push(`${name}:${dv.getInt32(o + 6)}:f${dv.getInt16(o + 16)}`);
        o += 18;
      }
      return `RowDescription ${cols.join(" ")}`;
    }
    case "D": {
      const cols: string[] = [];
      let o = 2;
      for (let i = 0; i < dv.getInt16(0); i++) {
        const len = dv.getInt32(o);
        o += 4;
        if (len < 0) cols.push("NULL");
        else {
          cols.push(_value(body.subarray(o, o + len)));
          o += len;
        }
      }
      return `DataRow ${cols.join("|")}`;
    }
    default:
      return _NAMES[type] ?? `message ${type}`;
  }
}

/**
 * Opens a session (protocol 3.0, trust authentication), sends the messages
 * in one write, and returns the server's answers up to the last expected
 * ReadyForQuery; then sends Terminate.
 *
 * @param port the server's TCP port on 127.0.0.1
 * @param messages frontend messages ({@link fe})
 * @param timeoutMs longest wait for the answers
 * @returns the transcript, one line per backend message (startup messages left out)
 */
export async function rawExchange(port: number, messages: Uint8Array[], timeoutMs = 10_000): Promise<string[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const next = backendMessageReader(conn, Date.now() + timeoutMs);
  try {
    await conn.write(startupPacket("postgres", "postgres"));
    for (let m = await next(); m?.type !== "Z"; m = await next()) {
      if (m === undefined || m.type === "E") throw new Error("the session did not start");
    }
    const out = new Uint8Array(messages.reduce((n, m) => n + m.length, 0));
    messages.reduce((o, m) => (out.set(m, o), o + m.length), 0);
    await conn.write(out);
    let ready = messages.filter((m) => m[0] === 0x51 || m[0] === 0x53).length;
    const lines: string[] = [];
    while (ready > 0) {
      const m = await next();
      if (m === undefined) {
        lines.push("(end of input)");
        break;
      }
      lines.push(_line(m.type, m.body));
      if (m.type === "Z") ready--;
    }
    await conn.write(new Uint8Array([0x58, 0, 0, 0, 4])).catch(() => {});
    return lines;
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}
