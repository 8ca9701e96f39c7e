import { describe, expect, test } from "vitest";
import { parseRollupPssKiB, parseStatCpuTicks, parseStatParentPid, processTree, treePssKiB } from "./process_tree.ts";

describe("process_tree", () => {
  test("parseStatParentPid() counts fields after the last parenthesis of the command name", () => {
    expect(parseStatParentPid("1234 (postgres: idle (x)) S 77 1234 1234 0 -1")).toBe(77);
  });

  test("parseStatCpuTicks() sums utime, stime, cutime and cstime", () => {
    const line = "1234 (postgres: x) S 77 1234 1234 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 1 0 5 0 0";
    expect(parseStatCpuTicks(line)).toBe(11 + 22 + 33 + 44);
  });

  test("parseRollupPssKiB() reads the Pss line and ignores Pss_Anon and friends", () => {
    const rollup = "00400000-7ffd [rollup]\nRss:  9000 kB\nPss:  4321 kB\nPss_Anon:  100 kB\n";
    expect(parseRollupPssKiB(rollup)).toBe(4321);
    expect(parseRollupPssKiB("")).toBeUndefined();
  });

  test("processTree() finds a real child and treePssKiB() counts it", async () => {
    const child = new Deno.Command("sleep", { args: ["30"], stdin: "null" }).spawn();
    try {
      expect(await processTree(Deno.pid)).toContain(child.pid);
      const { pssKiB, processes } = await treePssKiB(child.pid);
      expect(processes).toBe(1);
      expect(pssKiB).toBeGreaterThan(0);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
    expect(await processTree(child.pid)).toEqual([]);
  });
});
