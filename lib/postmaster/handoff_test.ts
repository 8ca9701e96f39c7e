import { describe, expect, test } from "vitest";
import { libc } from "../ffi/libc.ts";
import {
  type ClientConnection,
  createSpareChannel,
  notifySpareReady,
  readSpareStatus,
  receiveClient,
  sendClientToSpare,
} from "./handoff.ts";

describe("hand-off over a spare's channel", () => {
  test("a descriptor and its header arrive whole through SCM_RIGHTS", async () => {
    const [pmEnd, childEnd] = createSpareChannel();
    // Something to hand over: one end of another socketpair, so we can check it is the same socket.
    const [a, b] = createSpareChannel();
    try {
      expect(readSpareStatus(pmEnd)).toBe("none");
      notifySpareReady(childEnd);
      expect(readSpareStatus(pmEnd)).toBe("ready");
      const conn: ClientConnection = {
        remoteHost: "127.0.0.1",
        remotePort: 54321,
        local: false,
        acceptTimeMs: 1,
        cac: "ok",
      };
      expect(sendClientToSpare(pmEnd, a, conn)).toBe(true);
      const got = await receiveClient(childEnd);
      expect(got?.conn).toEqual(conn);
      expect(got!.fd).not.toBe(a);
      libc().write(got!.fd, new Uint8Array([7]), 1n);
      const buf = new Uint8Array(4);
      expect(libc().recv(b, buf, 4n, 0)).toBe(1n);
      expect(buf[0]).toBe(7);
      libc().close(got!.fd);
      libc().close(pmEnd);
      expect(await receiveClient(childEnd)).toBeUndefined();
    } finally {
      for (const fd of [childEnd, a, b]) libc().close(fd);
    }
  });
});
