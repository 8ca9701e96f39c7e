/**
 * End-to-end: 10,000 malformed and random protocol messages from test
 * clients. Each session's garbage may end that session (FATAL 08P01) but
 * must not disturb another session, must not take the server down, and
 * must leave nothing behind (no backend process, no process-array slot).
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import fc from "fast-check";
import pg from "pg";
import * as net from "node:net";
import { attachShmemSegment, procArraySnapshot, type ShmemSegment } from "../lib/shmem/mod.ts";
import {
  childPids,
  type Cluster,
  processAlive,
  processTitle,
  readPidFileLines,
  startCluster,
  waitFor,
} from "./helpers/cluster.ts";

const PORT = 21012;
const MESSAGES_TOTAL = 10_000;
const MESSAGES_PER_SESSION = 250;
let h: Cluster;
let seg: ShmemSegment;

beforeAll(async () => {
  h = await startCluster({ port: PORT });
  seg = attachShmemSegment(readPidFileLines(h.dataDir)![6].trim(), { readOnly: true });
}, 120_000);

afterAll(async () => {
  seg?.detach();
  await h?.destroy();
});

/** Backends of this cluster that hold a session (not the waiting spares). */
function sessionBackends(): number[] {
  return childPids(h.pid).filter((p) => processTitle(p).startsWith("denogres: postgres"));
}

const enc = new TextEncoder();

function frame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type;
  new DataView(out.buffer).setInt32(1, body.length + 4);
  out.set(body, 5);
  return out;
}

function cstr(s: string): Uint8Array {
  return enc.encode(`${s}\0`);
}

function startupPacket(): Uint8Array {
  const body = [
    ...new Uint8Array([0, 3, 0, 0]),
    ...cstr("user"),
    ...cstr("postgres"),
    ...cstr("database"),
    ...cstr("postgres"),
    0,
  ];
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setInt32(0, out.length);
  out.set(body, 4);
  return out;
}

/** Well-framed messages with hostile contents: most give an ERROR and the session goes on. */
const wellFramed: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => frame(0x51, cstr(s.replaceAll("\0", "")))), // Query
  fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 40 })).map(([n, q]) =>
    frame(0x50, new Uint8Array([...cstr(n.replaceAll("\0", "")), ...cstr(q.replaceAll("\0", "")), 0, 0]))
  ), // Parse
  fc.string({ maxLength: 8 }).map((n) =>
    frame(0x42, new Uint8Array([...cstr(""), ...cstr(n.replaceAll("\0", "")), 0, 0, 0, 0, 0, 0]))
  ), // Bind
  fc.string({ maxLength: 8 }).map((n) => frame(0x45, new Uint8Array([...cstr(n.replaceAll("\0", "")), 0, 0, 0, 0]))), // Execute
  fc.constantFrom(0x53, 0x50).map((k) => frame(0x44, new Uint8Array([k, ...cstr("x")]))), // Describe
  fc.constant(frame(0x53, new Uint8Array())), // Sync
  fc.constant(frame(0x48, new Uint8Array())), // Flush
);

/** Framing violations and random bytes: these end the session. */
const fatal: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }),
  fc.integer({ min: 0, max: 255 }).map((t) => frame(t, new Uint8Array(3))),
  fc.constant(new Uint8Array([0x51, 0x7f, 0xff, 0xff, 0xff])),
  fc.constant(new Uint8Array([0x53, 0, 0, 0, 2])),
  fc.uint8Array({ maxLength: 16 }).map((b) => frame(0x42, b)),
);

async function garbageSession(messages: Uint8Array[]): Promise<void> {
  const sock = net.connect(PORT, "127.0.0.1");
  sock.on("error", () => {});
  sock.on("data", () => {});
  await new Promise((r) => sock.once("connect", r));
  sock.write(startupPacket());
  for (const m of messages) sock.write(m);
  sock.end();
  await new Promise((r) => sock.once("close", r));
}

test(`${MESSAGES_TOTAL} malformed and random messages disturb no other session and leave nothing behind`, async () => {
  const observer = new pg.Client({ host: "127.0.0.1", port: PORT, user: "postgres", database: "postgres" });
  await observer.connect();
  const observerPid = (observer as unknown as { processID: number }).processID;
  const sessions = MESSAGES_TOTAL / MESSAGES_PER_SESSION;
  let sent = 0;
  const rng = fc.sample(
    fc.tuple(fc.array(wellFramed, { minLength: MESSAGES_PER_SESSION - 1, maxLength: MESSAGES_PER_SESSION - 1 }), fatal),
    { numRuns: sessions, seed: 6 },
  );
  for (let i = 0; i < sessions; i += 4) {
    const batch = rng.slice(i, i + 4).map(([ok, bad]) => [...ok, bad]);
    sent += batch.reduce((n, b) => n + b.length, 0);
    await Promise.all(batch.map(garbageSession));
    expect((await observer.query("SELECT $1::int AS i", [i])).rows).toEqual([{ i }]);
  }
  expect(sent).toBe(MESSAGES_TOTAL);
  const clients = () => procArraySnapshot(seg).filter((s) => s.backendType === "client backend").map((s) => s.pid);
  await waitFor(() => clients().length === 1, 30_000, "the garbage sessions to end");
  expect(clients()).toEqual([observerPid]);
  await waitFor(() => sessionBackends().every((p) => p === observerPid), 30_000, "their processes to exit");
  expect(processAlive(h.pid)).toBe(true);
  expect((await observer.query("SELECT 'still here' AS s")).rows).toEqual([{ s: "still here" }]);
  await observer.end();
}, 600_000);
