import { afterEach, describe, expect, test } from "vitest";
import { alterRolePassword, bootstrapCatalog, CATALOG_DIR } from "../catalog/mod.ts";
import { CatalogCache, HbaCache } from "./auth_cache.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await Deno.remove(d, { recursive: true });
});

async function dataDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "denogres-auth-cache-" });
  dirs.push(dir);
  await Deno.mkdir(`${dir}/${CATALOG_DIR}`);
  await bootstrapCatalog(dir, { superuser: "postgres" });
  await Deno.writeTextFile(`${dir}/pg_hba.conf`, "local all all trust\n");
  return dir;
}

describe("CatalogCache", () => {
  test("returns the cached rows until the file is replaced, then the new ones (ALTER ROLE is seen at once)", async () => {
    const dir = await dataDir();
    const cache = new CatalogCache(dir);
    await cache.preload();
    const before = await cache.roles();
    expect(await cache.roles()).toBe(before); // no re-read while the file is unchanged
    await alterRolePassword(dir, "postgres", "SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5");
    const after = await cache.roles();
    expect(after).not.toBe(before);
    expect(after.find((r) => r.name === "postgres")?.password).toBe("SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5");
    expect((await cache.databases()).map((d) => d.name)).toContain("postgres");
  });
});

describe("HbaCache", () => {
  test("keeps its parsed lines for the same postmaster generation and re-reads after a reload", async () => {
    const dir = await dataDir();
    const cache = new HbaCache(dir, 1);
    await cache.preload();
    await Deno.writeTextFile(`${dir}/pg_hba.conf`, "local all all reject\n");
    expect((await cache.lines(1)).map((l) => l.method)).toEqual(["trust"]); // edited, not reloaded
    expect((await cache.lines(2)).map((l) => l.method)).toEqual(["reject"]); // the postmaster reloaded
  });

  test("a file with errors refuses the connection with FATAL could not load pg_hba.conf", async () => {
    const dir = await dataDir();
    await Deno.writeTextFile(`${dir}/pg_hba.conf`, "local all all nonsense\n");
    const cache = new HbaCache(dir, 1);
    await cache.preload();
    await expect(cache.lines(1)).rejects.toMatchObject({ message: "could not load pg_hba.conf", severity: "FATAL" });
  });
});
