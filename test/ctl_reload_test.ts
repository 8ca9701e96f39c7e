/**
 * End-to-end: `ctl reload` (issue 3, acceptance point 6): an edited
 * reloadable parameter is logged and takes effect; a restart-only one is
 * reported as needing a restart; a file with errors changes nothing; open
 * sessions take a reloaded value at their next statement, as PostgreSQL's.
 */
import { describe, expect, test } from "vitest";
import pg from "pg";
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
    // As PostgreSQL: the restart-only line counts as an error, the other change is applied all the same.
    expect(log).toContain(
      `configuration file "${c.dataDir}/postgresql.conf" contains errors; unaffected changes were applied`,
    );
    await waitFor(() => spares(c) === 3, 30_000, "three spare backends");
  }, 120_000);

  test("a bad value is logged and skipped; the file's other changes are applied", async () => {
    const c = await clusters.start({ port: 20034, conf: { spare_backends: "1" } });
    await waitFor(() => spares(c) === 1, 30_000, "one spare backend");
    Deno.writeTextFileSync(`${c.dataDir}/postgresql.conf`, "work_mem = 'abc'\nspare_backends = 2\n", { append: true });
    expect((await runCtl(["reload", "-D", c.dataDir])).code).toBe(0);
    const file = `${c.dataDir}/postgresql.conf`;
    await waitFor(
      () => c.log().includes(`configuration file "${file}" contains errors; unaffected changes were applied`),
      10_000,
      "the partial reload logged",
    );
    const lines = c.log().split("\n").map((l) => l.replace(/^\S+ \S+ \S+ \[\d+\] /, ""));
    const from = lines.indexOf("LOG:  received SIGHUP, reloading configuration files");
    expect(lines.slice(from, from + 4)).toEqual([
      "LOG:  received SIGHUP, reloading configuration files",
      'LOG:  invalid value for parameter "work_mem": "abc"',
      'LOG:  parameter "spare_backends" changed to "2"',
      `LOG:  configuration file "${file}" contains errors; unaffected changes were applied`,
    ]);
    await waitFor(() => spares(c) === 2, 30_000, "two spare backends");
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

  test("an open session takes a reloaded value at its next statement, unless it or its client set it", async () => {
    const c = await clusters.start({ port: 20033, conf: { work_mem: "16MB", statement_timeout: "0" } });
    const connect = async (options?: string) => {
      const s = new pg.Client({ host: c.socketDir, port: c.port, user: "postgres", database: "postgres", options });
      await s.connect();
      return s;
    };
    const show = async (s: pg.Client, name: string) => (await s.query(`show ${name}`)).rows[0][name];
    const plain = await connect();
    const fromClient = await connect("-c work_mem=8MB");
    const setter = await connect();
    const inBlock = await connect();
    try {
      await setter.query("set work_mem = '4MB'");
      await inBlock.query("begin");
      await inBlock.query("set local work_mem = '2MB'");
      expect(await show(plain, "work_mem")).toBe("16MB");
      Deno.writeTextFileSync(
        `${c.dataDir}/postgresql.conf`,
        "work_mem = '32MB'\nstatement_timeout = '7s'\nlog_connections = on\n",
        { append: true },
      );
      expect((await runCtl(["reload", "-D", c.dataDir])).code).toBe(0);
      await waitFor(async () => (await show(plain, "work_mem")) === "32MB", 10_000, "the open session to see 32MB");
      expect(await show(plain, "statement_timeout")).toBe("7s");
      // A parameter only a new connection may change stays as the session started with it.
      expect(await show(plain, "log_connections")).toBe("off");
      // The client's startup option and the session's SET stay; RESET now goes to the file's new value.
      expect(await show(fromClient, "work_mem")).toBe("8MB");
      expect(await show(setter, "work_mem")).toBe("4MB");
      await setter.query("reset work_mem");
      expect(await show(setter, "work_mem")).toBe("32MB");
      // SET LOCAL holds until the transaction ends, then the reloaded value is back.
      expect(await show(inBlock, "work_mem")).toBe("2MB");
      await inBlock.query("commit");
      expect(await show(inBlock, "work_mem")).toBe("32MB");
      // A new connection gets the new values, log_connections among them.
      const fresh = await connect();
      expect(await show(fresh, "log_connections")).toBe("on");
      await fresh.end();
    } finally {
      await Promise.all([plain, fromClient, setter, inBlock].map((s) => s.end().catch(() => {})));
    }
  }, 120_000);
});
