import { describe, expect, test } from "vitest";
import { EventEmitter } from "node:events";
import { SqlError } from "../common/errors.ts";
import {
  decodeBind,
  decodeExecute,
  decodeParse,
  decodeStartupPacket,
  splitBackendOptions,
} from "./frontend_messages.ts";
import { pqMaxMessageLength } from "./pq_message.ts";
import { PqProtocolError, PqReader } from "./pq_reader.ts";
import { PqWriter } from "./pq_writer.ts";

/** A socket-shaped event source the test feeds bytes into. */
class FakeSource extends EventEmitter {
  paused = false;
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
}

function bytes(...parts: (number[] | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "string") out.push(...new TextEncoder().encode(p), 0);
    else out.push(...p);
  }
  return new Uint8Array(out);
}

function int32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

function message(type: string, body: Uint8Array): Uint8Array {
  return new Uint8Array([type.charCodeAt(0), ...int32(body.length + 4), ...body]);
}

describe("PqWriter", () => {
  test("batches messages until flush and frames them as PostgreSQL does", () => {
    const out: Uint8Array[] = [];
    const w = new PqWriter((b) => {
      out.push(b.slice());
    });
    w.commandComplete("SELECT 1");
    w.readyForQuery("I");
    expect(out).toEqual([]);
    w.flush();
    expect([...out[0]]).toEqual([
      0x43,
      ...int32(13),
      ...new TextEncoder().encode("SELECT 1"),
      0,
      0x5a,
      ...int32(5),
      0x49,
    ]);
  });

  test("writes ErrorResponse fields S, V, C, M, D, H, P", () => {
    let got: Uint8Array = new Uint8Array();
    const w = new PqWriter((b) => {
      got = b.slice();
    });
    w.errorResponse({ severity: "ERROR", code: "22012", message: "division by zero", position: 8 });
    w.flush();
    const text = new TextDecoder().decode(got.subarray(5));
    expect(text).toBe("SERROR\0VERROR\0C22012\0Mdivision by zero\0P8\0\0");
  });
});

describe("PqWriter text", () => {
  test("writes short ASCII, non-ASCII and long strings as the same UTF-8 as TextEncoder", () => {
    let got = new Uint8Array(0);
    const w = new PqWriter((b) => {
      got = b.slice();
    });
    const values = ["", "SELECT 1", "é", "abcé", "x".repeat(64), "y".repeat(65), "日本語", "a😀b"];
    for (const v of values) w.lengthPrefixedText(v);
    w.flush();
    const want = values.flatMap((v) => {
      const b = new TextEncoder().encode(v);
      return [...int32(b.length), ...b];
    });
    expect([...got]).toEqual(want);
  });
});

describe("PqWriter RowDescription", () => {
  test("a repeated fields array is sent with the same bytes as the first time", () => {
    const out: Uint8Array[] = [];
    const w = new PqWriter((b) => {
      out.push(b.slice());
    });
    const fields = [{ name: "v", tableOid: 0, columnNo: 0, typeOid: 23, typeLen: 4, typeMod: -1, format: 0 }];
    w.rowDescription(fields);
    w.flush();
    w.rowDescription(fields);
    w.rowDescription([{ ...fields[0], name: "w" }]);
    w.flush();
    expect([...out[1].subarray(0, out[0].length)]).toEqual([...out[0]]);
    expect(new TextDecoder().decode(out[1].subarray(out[0].length + 7, out[0].length + 8))).toBe("w");
  });
});

describe("PqReader", () => {
  test("reassembles messages split across chunks and keeps pipelined ones", async () => {
    const src = new FakeSource();
    const r = new PqReader(src);
    const all = new Uint8Array([...message("Q", bytes("select 1")), ...message("S", new Uint8Array())]);
    const first = r.readMessage(pqMaxMessageLength);
    src.emit("data", all.subarray(0, 3));
    src.emit("data", all.subarray(3));
    expect(await first).toBe(0x51);
    expect(new TextDecoder().decode(r.body)).toBe("select 1\0");
    expect(r.hasBufferedMessage).toBe(true);
    expect(await r.readMessage(pqMaxMessageLength)).toBe(0x53);
    src.emit("end");
    expect(await r.readMessage(pqMaxMessageLength)).toBe(-1);
  });

  test("refuses a length word outside the type's limit", async () => {
    const src = new FakeSource();
    const r = new PqReader(src);
    src.emit("data", new Uint8Array([0x53, ...int32(20000)]));
    await expect(r.readMessage(pqMaxMessageLength)).rejects.toThrow(PqProtocolError);
    const r2 = new PqReader(src);
    src.emit("data", new Uint8Array([0x51, ...int32(3)]));
    await expect(r2.readMessage(pqMaxMessageLength)).rejects.toThrow("invalid message length");
  });

  test("refuses startup packets shorter than 8 or longer than 10000 bytes", async () => {
    for (const len of [4, 10001]) {
      const src = new FakeSource();
      const r = new PqReader(src);
      src.emit("data", new Uint8Array(int32(len)));
      await expect(r.readStartupPacket()).rejects.toThrow("invalid length of startup packet");
    }
  });
});

describe("decodeStartupPacket()", () => {
  test("reads protocol 3.0 parameters, defaulting the database to the user", () => {
    const p = decodeStartupPacket(
      bytes(int32(3 << 16), "user", "alice", "application_name", "psql", "options", "-c work_mem=8MB --search-path=x", [
        0,
      ]),
    );
    expect(p).toMatchObject({
      kind: "startup",
      user: "alice",
      database: "alice",
      params: [{ name: "application_name", value: "psql" }],
      options: [{ name: "work_mem", value: "8MB" }, { name: "search_path", value: "x" }],
    });
  });

  test("recognises SSLRequest, GSSENCRequest and CancelRequest", () => {
    expect(decodeStartupPacket(bytes(int32(80877103))).kind).toBe("ssl");
    expect(decodeStartupPacket(bytes(int32(80877104))).kind).toBe("gss");
    expect(decodeStartupPacket(bytes(int32(80877102), int32(1234), int32(-5)))).toEqual({
      kind: "cancel",
      pid: 1234,
      secretKey: -5,
    });
  });

  test("refuses other protocol versions and bad layouts as PostgreSQL does", () => {
    const e = (() => {
      try {
        decodeStartupPacket(bytes(int32(2 << 16), "user", "x", [0]));
      } catch (x) {
        return x as SqlError;
      }
    })()!;
    expect([e.sqlstate, e.message, e.severity]).toEqual([
      "0A000",
      "unsupported frontend protocol 2.0: server supports 3.0 to 3.0",
      "FATAL",
    ]);
    expect(() => decodeStartupPacket(bytes(int32(3 << 16), "user", "x"))).toThrow(
      "invalid startup packet layout: expected terminator as last byte",
    );
  });

  test("splits options with backslash-escaped spaces", () => {
    expect(splitBackendOptions("-c application_name=a\\ b")).toEqual([{ name: "application_name", value: "a b" }]);
    expect(() => splitBackendOptions("-x")).toThrow("invalid command-line argument for server process: -x");
  });
});

describe("extended-query messages", () => {
  test("decode Parse and Bind, refusing truncated bodies", () => {
    expect(decodeParse(bytes("s1", "select $1", [0, 1], int32(23)))).toEqual({
      statementName: "s1",
      query: "select $1",
      paramTypeOids: [23],
    });
    const bind = bytes("", "s1", [0, 1, 0, 1], [0, 1], int32(4), int32(42), [0, 0]);
    expect(decodeBind(bind)).toEqual({
      portalName: "",
      statementName: "s1",
      paramFormats: [1],
      paramValues: [new Uint8Array(int32(42))],
      resultFormats: [],
    });
    expect(() => decodeBind(bind.subarray(0, bind.length - 3))).toThrow(PqProtocolError);
  });

  test("decode names empty, short ASCII, non-ASCII and long alike, refusing invalid UTF-8", () => {
    for (const name of ["", "P0_1", "portalé", "ü", "n".repeat(12), "m".repeat(13), "ö".repeat(40)]) {
      expect(decodeExecute(bytes(name, int32(0))).portalName).toBe(name);
    }
    expect(() => decodeExecute(new Uint8Array([0x61, 0xff, 0, ...int32(0)]))).toThrow(PqProtocolError);
  });
});
