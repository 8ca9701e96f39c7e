import { afterEach, beforeEach, expect, test } from "vitest";
import { syncDirectoryTree } from "./sync.ts";

let tmp: string;
beforeEach(async () => {
  tmp = await Deno.makeTempDir({ prefix: "denogres-sync-test-" });
});
afterEach(async () => {
  await Deno.remove(tmp, { recursive: true });
});

test("syncDirectoryTree() fsyncs every file and directory, not following symbolic links", () => {
  Deno.mkdirSync(`${tmp}/a/b`, { recursive: true });
  Deno.writeTextFileSync(`${tmp}/a/b/f`, "x");
  Deno.writeTextFileSync(`${tmp}/g`, "y");
  Deno.symlinkSync("/", `${tmp}/link`);
  // tmp itself, a, a/b, a/b/f, g, link (counted, not followed)
  expect(syncDirectoryTree(tmp)).toBe(6);
});

test("syncDirectoryTree() reports a directory that cannot be read", () => {
  expect(() => syncDirectoryTree(`${tmp}/missing`)).toThrow();
});
