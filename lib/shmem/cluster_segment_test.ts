import { afterEach, expect, test } from "vitest";
import { type Cluster, readPidFileLines, startCluster, waitFor } from "../../test/helpers/cluster.ts";
import { attachShmemSegment, procArraySnapshot, shmemSegmentUsers } from "./mod.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const TIMEOUT_MS = 120_000;
let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.destroy();
  cluster = undefined;
});

test(
  "a running cluster's segment exists under the name on postmaster.pid line 7, and `ctl stop` removes it",
  async () => {
    cluster = await startCluster({ port: 24101 });
    const name = readPidFileLines(cluster.dataDir)?.[6] ?? "";
    expect(name).toMatch(/^\/denogres\.24101\.[0-9a-f]{8}$/);
    expect(Deno.statSync(`/dev/shm${name}`).isFile).toBe(true);
    expect(shmemSegmentUsers(name)).toContain(cluster.pid);

    const seg = attachShmemSegment(name, { readOnly: true });
    try {
      expect(seg.postmasterPid).toBe(cluster.pid);
      expect(seg.state).toBe("ready");
      // The auxiliary processes of a running cluster hold their slots.
      await waitFor(
        () => procArraySnapshot(seg).some((r) => r.backendType === "checkpointer"),
        TIMEOUT_MS,
        "the checkpointer's process-array slot",
      );
    } finally {
      seg.detach();
    }

    const stop = await new Deno.Command(`${REPO_ROOT}/bin/ctl`, {
      args: ["stop", "-D", cluster.dataDir, "-m", "fast"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    expect(stop.code).toBe(0);
    expect(() => Deno.statSync(`/dev/shm${name}`)).toThrow(Deno.errors.NotFound);
  },
  TIMEOUT_MS,
);
