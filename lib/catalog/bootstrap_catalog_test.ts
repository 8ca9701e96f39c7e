import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { alterRolePassword, bootstrapCatalog, CATALOG_DIR, readDatabases, readRoles } from "./mod.ts";
import { SqlError } from "../common/errors.ts";

let dir = "";
beforeEach(async () => {
  dir = await Deno.makeTempDir({ prefix: "denogres_catalog_" });
  await Deno.mkdir(`${dir}/${CATALOG_DIR}`);
});
afterEach(async () => {
  await Deno.remove(dir, { recursive: true });
});

describe("bootstrapCatalog()", () => {
  test("writes the superuser and template1, template0, postgres with PostgreSQL's oids", async () => {
    await bootstrapCatalog(dir, { superuser: "alice", superuserVerifier: "SCRAM-SHA-256$x" });
    const roles = await readRoles(dir);
    expect(roles).toEqual([{ oid: 10, name: "alice", superuser: true, canLogin: true, password: "SCRAM-SHA-256$x" }]);
    const dbs = await readDatabases(dir);
    expect(dbs.map((d) => [d.oid, d.name, d.allowConnections])).toEqual([
      [1, "template1", true],
      [4, "template0", false],
      [5, "postgres", true],
    ]);
    expect([...Deno.readDirSync(`${dir}/${CATALOG_DIR}`)].map((e) => e.name).sort()).toEqual([
      "pg_authid.json",
      "pg_database.json",
    ]);
  });

  test("refuses to overwrite existing catalogs", async () => {
    await bootstrapCatalog(dir, { superuser: "postgres" });
    await expect(bootstrapCatalog(dir, { superuser: "postgres" })).rejects.toThrow(Deno.errors.AlreadyExists);
  });
});

describe("alterRolePassword()", () => {
  test("replaces the verifier atomically and leaves no temporary file", async () => {
    await bootstrapCatalog(dir, { superuser: "postgres" });
    await alterRolePassword(dir, "postgres", "SCRAM-SHA-256$new");
    expect((await readRoles(dir))[0].password).toBe("SCRAM-SHA-256$new");
    await alterRolePassword(dir, "postgres", null);
    expect((await readRoles(dir))[0].password).toBeNull();
    expect([...Deno.readDirSync(`${dir}/${CATALOG_DIR}`)].some((e) => e.name.endsWith(".tmp"))).toBe(false);
  });

  test("serialises concurrent updates", async () => {
    await bootstrapCatalog(dir, { superuser: "postgres" });
    await Promise.all([1, 2, 3, 4].map((i) => alterRolePassword(dir, "postgres", `v${i}`)));
    expect((await readRoles(dir))[0].password).toMatch(/^v[1-4]$/);
  });

  test("fails with 42704 for an unknown role", async () => {
    await bootstrapCatalog(dir, { superuser: "postgres" });
    const e = await alterRolePassword(dir, "nobody", null).catch((x) => x);
    expect(e).toBeInstanceOf(SqlError);
    expect(e.sqlstate).toBe("42704");
    expect(e.message).toBe('role "nobody" does not exist');
  });
});

describe("readRoles()", () => {
  test("reports a corrupted file as XX001", async () => {
    await bootstrapCatalog(dir, { superuser: "postgres" });
    await Deno.writeTextFile(`${dir}/${CATALOG_DIR}/pg_authid.json`, "{not json");
    const e = await readRoles(dir).catch((x) => x);
    expect(e.sqlstate).toBe("XX001");
  });
});
