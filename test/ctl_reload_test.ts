/**
 * End-to-end: `ctl reload` (issue 3, acceptance point 6): an edited
 * reloadable parameter is logged and takes effect; a restart-only one is
 * reported as needing a restart; a file with errors changes nothing.
 */
import { describe, expect, test } from "vitest";
import { childPids, type Cluster, clusterScope, processTitle, runCtl, waitFor } from "./helpers/cluster.ts";

const clusters = clusterScope();

function spares(c: Cluster): number {
  return childPids(c.pid).filter((p) => processTitle(p) === "denogres: spare backend").length;
}

describe("ctl reload", () => {
  test("logs and applies a changed reloadable parameter, and flags restart-only ones", async () => {
    const c = await clusters.start({ port: 20031, conf: { spare_backends: "1" } });
    await waitFor(() => spares(c) === 1, 30_000, "one spare backend");
    Deno.writeTextFileSync(`${c.dataDir}/postgresql.conf`, "spare_backends = 3\nmax_connections = 50\n", {
      append: true,
    });
    const r = await runCtl(["reload", "-D", c.dataDir]);
    expect(r).toMatchObject({ code: 0, stdout: "server signaled\n" });
    await waitFor(() => c.log().includes('parameter "spare_backends" changed to "3"'), 10_000, "the change logged");
    const log = c.log();
    expect(log).toContain("received SIGHUP, reloading configuration files");
    expect(log).toContain('parameter "max_connections" cannot be changed without restarting the server');
    await waitFor(() => spares(c) === 3, 30_000, "three spare backends");
  }, 120_000);

  test("a configuration file with errors changes nothing", async () => {
    const c = await clusters.start({ port: 20032, conf: { spare_backends: "1" } });
    Deno.writeTextFileSync(`${c.dataDir}/postgresql.conf`, "spare_backends = 2\nno_such_parameter = 1\n", {
      append: true,
    });
    expect((await runCtl(["reload", "-D", c.dataDir])).code).toBe(0);
    const file = `${c.dataDir}/postgresql.conf`;
    await waitFor(
      () => c.log().includes(`configuration file "${file}" contains errors; no changes were applied`),
      10_000,
      "the refusal logged",
    );
    expect(c.log()).toContain('unrecognized configuration parameter "no_such_parameter"');
    expect(c.log()).not.toContain('parameter "spare_backends" changed');
  }, 120_000);
});
