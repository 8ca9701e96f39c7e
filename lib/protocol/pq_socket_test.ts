import { describe, expect, test } from "vitest";
import { errno, libc, LinuxConst } from "../ffi/libc.ts";
import { PqSocket } from "./pq_socket.ts";

const PORT = 21990;

/** A connected loopback TCP pair: [the server side, non-blocking, as accept4 gives it; a Deno client]. */
async function tcpPair(): Promise<{ fd: number; peer: Deno.TcpConn; listener: Deno.TcpListener }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: PORT });
  const peer = await Deno.connect({ hostname: "127.0.0.1", port: PORT });
  // A server-side descriptor the way the postmaster hands it over: a second connection accepted through FFI.
  const lfd = libc().socket(LinuxConst.AF_INET, LinuxConst.SOCK_STREAM | LinuxConst.SOCK_CLOEXEC, 0);
  const sa = new Uint8Array(16);
  const dv = new DataView(sa.buffer);
  dv.setUint16(0, LinuxConst.AF_INET, true);
  dv.setUint16(2, PORT + 1);
  sa.set([127, 0, 0, 1], 4);
  const one = new Uint8Array(new Int32Array([1]).buffer);
  libc().setsockopt(lfd, LinuxConst.SOL_SOCKET, LinuxConst.SO_REUSEADDR, one, 4);
  expect(libc().bind(lfd, sa, 16)).toBe(0);
  libc().listen(lfd, 1);
  const client = await Deno.connect({ hostname: "127.0.0.1", port: PORT + 1 });
  const fd = libc().accept4(lfd, null, null, LinuxConst.SOCK_NONBLOCK | LinuxConst.SOCK_CLOEXEC);
  libc().close(lfd);
  peer.close();
  return { fd, peer: client, listener };
}

async function readN(conn: Deno.TcpConn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) break;
    got += r;
  }
  return out.subarray(0, got);
}

describe("PqSocket", () => {
  test("reads what the peer sends, writes straight to the descriptor, and closes it", async () => {
    const { fd, peer, listener } = await tcpPair();
    try {
      const s = new PqSocket(fd);
      const chunks: number[] = [];
      let ended = false;
      s.on("data", (c) => chunks.push(...c));
      s.on("end", () => (ended = true));
      await peer.write(new Uint8Array([1, 2, 3]));
      while (chunks.length < 3) await new Promise((r) => setTimeout(r, 5));
      expect(chunks).toEqual([1, 2, 3]);
      const buf = new Uint8Array([9, 8, 7]);
      expect(s.write(buf)).toBeUndefined();
      buf.fill(0); // the bytes were consumed by the call
      expect([...(await readN(peer, 3))]).toEqual([9, 8, 7]);
      await s.close();
      expect(ended).toBe(true);
      expect(libc().fcntl(fd, LinuxConst.F_GETFD, 0)).toBe(-1);
      expect(errno()).toBe(LinuxConst.EBADF);
      expect(await peer.read(new Uint8Array(1))).toBeNull();
    } finally {
      peer.close();
      listener.close();
    }
  });

  test("a write larger than the kernel's buffer waits for the peer and arrives whole", async () => {
    const { fd, peer, listener } = await tcpPair();
    try {
      const s = new PqSocket(fd);
      s.on("data", () => {});
      const big = new Uint8Array(16 << 20).map((_, i) => i & 255);
      const pending = s.write(big);
      expect(pending).toBeInstanceOf(Promise);
      const got = await readN(peer, big.length);
      await pending;
      expect(got.length).toBe(big.length);
      expect(got.every((b, i) => b === (i & 255))).toBe(true);
      await s.close();
    } finally {
      peer.close();
      listener.close();
    }
  });

  test("a peer that has gone makes writes no-ops and ends the input", async () => {
    const { fd, peer, listener } = await tcpPair();
    try {
      const s = new PqSocket(fd);
      let ended = false;
      s.on("data", () => {});
      s.on("end", () => (ended = true));
      peer.close();
      while (!ended) await new Promise((r) => setTimeout(r, 5));
      for (let i = 0; i < 3; i++) s.write(new Uint8Array(100)); // EPIPE/ECONNRESET: dropped, no SIGPIPE
      await s.close();
      expect(s.broken).toBe(true);
    } finally {
      listener.close();
    }
  });
});
