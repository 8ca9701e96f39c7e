import { describe, expect, test } from "vitest";
import { waitFor } from "../../test/helpers/cluster.ts";
import { libc } from "../ffi/libc.ts";
import { createBackendChannel, notifyBackendIdle } from "./handoff.ts";
import { ServerSockets } from "./server_sockets.ts";

describe("the accept loop's channels", () => {
  test("a channel retired in a round whose number a new channel takes at once is not reported for the new one", async () => {
    const [a, aChild] = createBackendChannel();
    const [c, cChild] = createBackendChannel();
    const held: number[] = [];
    let replacement: [number, number] | undefined;
    const reports: string[] = [];
    const sockets = new ServerSockets({
      onClient: () => {},
      onBackendStatus(fd, status) {
        reports.push(`${fd} ${status.kind}`);
        if (fd !== a || replacement !== undefined) return;
        sockets.retireChannel(a); // as the postmaster does once the backend has exited
        // While the round still has c's result to look at: c is retired (closed at once) and a new backend's
        // channel takes its number (descriptors are allocated lowest first: fill any lower gap until it does; the
        // two ends of a socketpair are alike, so either may be the postmaster's).
        sockets.retireChannel(c);
        for (let i = 0; i < 64 && replacement === undefined; i++) {
          const [x, y] = createBackendChannel();
          if (x === c) replacement = [x, y];
          else if (y === c) replacement = [y, x];
          else held.push(x, y);
        }
        expect(replacement).toBeDefined();
        sockets.addChannel(c);
      },
    });
    sockets.addChannel(a);
    sockets.addChannel(c);
    // Both backends "die" before the first poll: one round sees both channels hang up, a's first.
    libc().close(aChild);
    libc().close(cChild);
    sockets.start();
    try {
      await waitFor(() => replacement !== undefined, 10_000, "a's report and c's replacement");
      // The new channel is alive: its backend says it is idle, which is reported in a later round.
      expect(notifyBackendIdle(replacement![1], 0)).toBe(true);
      await waitFor(() => reports.length >= 2, 10_000, "the new channel's status");
      expect(reports).toEqual([`${a} closed`, `${c} ready`]);
    } finally {
      sockets.stop();
      sockets.retireChannel(c);
      for (const fd of [...held, replacement?.[1] ?? -1]) if (fd >= 0) libc().close(fd);
    }
  });
});
