import { describe, expect, test } from "vitest";
import { libc } from "../ffi/libc.ts";
import {
  type ClientConnection,
  createBackendChannel,
  notifyBackendIdle,
  readBackendStatus,
  receiveClient,
  sendClientToBackend,
  stopWaitingForClient,
} from "./handoff.ts";

const CONN: ClientConnection = { remoteHost: "127.0.0.1", remotePort: 54321, local: false, acceptTimeMs: 1, cac: "ok" };

/** Something to hand over: one end of another socketpair, so the test can check it is the same socket. */
function clientPair(): [number, number] {
  return createBackendChannel();
}

function closeAll(...fds: number[]): void {
  for (const fd of fds) libc().close(fd);
}

/** Writes a byte into the received descriptor and reads it at the other end of the pair. */
function sameSocket(received: number, otherEnd: number): boolean {
  libc().write(received, new Uint8Array([7]), 1n);
  const buf = new Uint8Array(4);
  return libc().recv(otherEnd, buf, 4n, 0) === 1n && buf[0] === 7;
}

describe("hand-off over a backend's channel", () => {
  test("a descriptor and its header arrive whole through SCM_RIGHTS", async () => {
    const [pmEnd, childEnd] = createBackendChannel();
    const [a, b] = clientPair();
    try {
      expect(readBackendStatus(pmEnd)).toEqual({ kind: "none" });
      expect(notifyBackendIdle(childEnd, 0)).toBe(true);
      expect(readBackendStatus(pmEnd)).toEqual({ kind: "ready", clientsReceived: 0 });
      expect(sendClientToBackend(pmEnd, a, CONN)).toBe(true);
      const got = await receiveClient(childEnd);
      expect(got?.conn).toEqual(CONN);
      expect(got!.fd).not.toBe(a);
      expect(sameSocket(got!.fd, b)).toBe(true);
      libc().close(got!.fd);
      libc().close(pmEnd);
      expect(await receiveClient(childEnd)).toBeUndefined();
    } finally {
      closeAll(childEnd, a, b);
    }
  });

  // Regression: the first wave's "connection reset by peer" after a pgbench -C burst. The postmaster
  // closed its end right after the hand-off while the spare's ready byte was still unread in it; Linux
  // then reports ECONNRESET to the spare's recvmsg ahead of the queued client, and the client was lost.
  test("a client queued before the postmaster's end closes with an unread message still arrives", async () => {
    const [pmEnd, childEnd] = createBackendChannel();
    const [a, b] = clientPair();
    try {
      notifyBackendIdle(childEnd, 0); // left unread in the postmaster's end
      expect(sendClientToBackend(pmEnd, a, CONN)).toBe(true);
      libc().close(pmEnd);
      const got = await receiveClient(childEnd);
      expect(got?.conn).toEqual(CONN);
      expect(sameSocket(got!.fd, b)).toBe(true);
      libc().close(got!.fd);
    } finally {
      closeAll(childEnd, a, b);
    }
  });

  test("the latest idle message wins, and it counts the clients received", () => {
    const [pmEnd, childEnd] = createBackendChannel();
    try {
      notifyBackendIdle(childEnd, 0);
      notifyBackendIdle(childEnd, 3);
      expect(readBackendStatus(pmEnd)).toEqual({ kind: "ready", clientsReceived: 3 });
      expect(readBackendStatus(pmEnd)).toEqual({ kind: "none" });
      libc().close(childEnd);
      expect(readBackendStatus(pmEnd)).toEqual({ kind: "closed" });
    } finally {
      closeAll(pmEnd);
    }
  });

  test("stopping a wait returns a client already queued, then end of file, and refuses further sends", async () => {
    const [pmEnd, childEnd] = createBackendChannel();
    const [a, b] = clientPair();
    try {
      const idle = receiveClient(childEnd);
      stopWaitingForClient(childEnd);
      expect(await idle).toBeUndefined();
      expect(sendClientToBackend(pmEnd, a, CONN)).toBe(false);

      const [pm2, child2] = createBackendChannel();
      expect(sendClientToBackend(pm2, a, CONN)).toBe(true);
      stopWaitingForClient(child2);
      const got = await receiveClient(child2);
      expect(got?.conn).toEqual(CONN);
      expect(await receiveClient(child2)).toBeUndefined();
      closeAll(got!.fd, pm2, child2);
    } finally {
      closeAll(pmEnd, childEnd, a, b);
    }
  });
});
