/**
 * The expression evaluator against PostgreSQL 15: testdata/pg15_exprs.json
 * holds, for each expression, what the real PostgreSQL 15 returned for
 * `SELECT <expr>` (column name, text value, pg_typeof) or its error
 * (SQLSTATE and message), captured with ../../shared/tools/pgref.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { SqlError } from "../common/errors.ts";
import { type PlannedStatement, sqlParserInit, type StatementEnv } from "./statement.ts";
import { runStatement, testSession } from "./testdata/test_session.ts";

interface Case {
  expr: string;
  name?: string;
  value?: string | null;
  type?: string;
  error?: { code: string; message: string };
}

const CASES: Case[] = JSON.parse(Deno.readTextFileSync(new URL("./testdata/pg15_exprs.json", import.meta.url)));

/** Expressions PostgreSQL accepts that denogres refuses, by design, with 0A000. */
const NOT_SUPPORTED = new Set(["'a'::date", "array[1]", "(select 1)"]);

async function run(env: StatementEnv, sql: string): Promise<{ plan: PlannedStatement; rows: string[][] }> {
  return (await runStatement(env, sql)) as { plan: PlannedStatement; rows: string[][] };
}

beforeAll(async () => {
  await sqlParserInit();
});

describe("SELECT <expression> matches PostgreSQL 15", () => {
  for (const c of CASES) {
    test(c.expr, async () => {
      const { env } = testSession();
      if (NOT_SUPPORTED.has(c.expr)) {
        const e = await run(env, `select ${c.expr}`).catch((x) => x);
        expect(e).toBeInstanceOf(SqlError);
        expect(e.sqlstate).toBe("0A000");
        return;
      }
      if (c.error !== undefined) {
        const e = await run(env, `select ${c.expr}`).catch((x) => x);
        expect(e).toBeInstanceOf(SqlError);
        expect({ code: e.sqlstate, message: e.message }).toEqual(c.error);
        return;
      }
      const { plan, rows } = await run(env, `select ${c.expr}`);
      expect(plan.columns![0].name).toBe(c.name);
      if (!c.expr.includes("now()")) expect(rows[0][0]).toBe(c.value);
      const t = await run(env, `select pg_typeof(${c.expr})`);
      expect(t.rows[0][0]).toBe(c.type);
    });
  }
});

describe("transaction blocks and settings", () => {
  test("SET is undone by ROLLBACK and SET LOCAL ends with the transaction", async () => {
    const { env, notices } = testSession();
    for (const q of ["begin", "set statement_timeout = '5s'", "rollback"]) await run(env, q);
    expect(env.gucs.show("statement_timeout")).toBe("0");
    for (const q of ["begin", "set statement_timeout = '5s'", "set local statement_timeout = '7s'", "commit"]) {
      await run(env, q);
    }
    expect(env.gucs.show("statement_timeout")).toBe("5s");
    await run(env, "set local work_mem = '1MB'");
    expect(notices.at(-1)?.message).toBe("SET LOCAL can only be used in transaction blocks");
    expect(env.gucs.show("work_mem")).toBe("4MB");
  });

  test("COMMIT and ROLLBACK outside a block warn as PostgreSQL does", async () => {
    const { env, notices } = testSession();
    const r = await run(env, "commit");
    expect(r.plan.commandTag).toBe("COMMIT");
    expect(notices.map((n) => [n.code, n.message])).toEqual([["25P01", "there is no transaction in progress"]]);
    await run(env, "begin");
    await run(env, "begin");
    expect(notices.at(-1)?.message).toBe("there is already a transaction in progress");
  });

  test("SET and SHOW use PostgreSQL's errors", async () => {
    const { env } = testSession();
    const err = async (q: string) => {
      const e = await run(env, q).catch((x) => x);
      return [e.sqlstate, e.message];
    };
    expect(await err("set nope = 1")).toEqual(["42704", 'unrecognized configuration parameter "nope"']);
    expect(await err("set max_connections = 5")).toEqual([
      "55P02",
      'parameter "max_connections" cannot be changed without restarting the server',
    ]);
    expect(await err("set checkpoint_timeout = 60")).toEqual([
      "55P02",
      'parameter "checkpoint_timeout" cannot be changed now',
    ]);
    expect(await err("show nope")).toEqual(["42704", 'unrecognized configuration parameter "nope"']);
    expect(await err("savepoint a")).toEqual(["25P01", "SAVEPOINT can only be used in transaction blocks"]);
    await run(env, "set my.var = 'x'");
    expect((await run(env, "show my.var")).rows).toEqual([["x"]]);
    expect((await run(env, "show timezone")).plan.columns![0].name).toBe("TimeZone");
    expect((await run(env, "select set_config('application_name', 'app', false)")).rows).toEqual([["app"]]);
  });

  test("statements denogres lacks are 0A000 naming them", async () => {
    const { env } = testSession();
    for (
      const [q, m] of [
        ["create table t (a int)", "CREATE TABLE is not supported"],
        ["select 1 union select 2", "UNION is not supported"],
        ["select count(*)", "aggregate function is not supported"],
        ["select timezone('UTC', now())", "function timezone() is not supported"],
      ]
    ) {
      const e = await run(env, q).catch((x) => x);
      expect([e.sqlstate, e.message]).toEqual(["0A000", m]);
    }
  });

  test("syntax errors carry PostgreSQL's position", async () => {
    const { env } = testSession();
    const e = await run(env, "select 1 +").catch((x) => x);
    expect([e.sqlstate, e.message, e.position]).toEqual(["42601", "syntax error at end of input", 11]);
  });
});
