import { describe, expect, test } from "vitest";
import { processTree, treeCpuMs, treePssKiB } from "./process_tree.ts";

describe("process_tree", () => {
  test("processTree() finds a real child and treePssKiB() counts it", async () => {
    const child = new Deno.Command("sleep", { args: ["30"], stdin: "null" }).spawn();
    try {
      expect(processTree(Deno.pid)).toContain(child.pid);
      const { pssKiB, processes } = treePssKiB(child.pid);
      expect(processes).toBe(1);
      expect(pssKiB).toBeGreaterThan(0);
      expect(treeCpuMs(Deno.pid)).toBeGreaterThan(0);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
    expect(processTree(child.pid)).toEqual([]);
  });
});
