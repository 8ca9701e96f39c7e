import { beforeAll, describe, expect, test } from "vitest";
import type { SqlError } from "../common/errors.ts";
import { PLAN_CACHE_MAX, planQuery, sqlParserInit } from "./statement.ts";

beforeAll(async () => {
  await sqlParserInit();
});

describe("planQuery() cache", () => {
  test("returns the same plans for repeated text and keeps a used entry while others are evicted", () => {
    const hot = planQuery("SELECT 1");
    expect(planQuery("SELECT 1")).toBe(hot);
    const cold = planQuery("SELECT 'cold'");
    for (let i = 0; i < PLAN_CACHE_MAX * 2; i++) {
      planQuery(`SELECT ${i + 2}`);
      if (i % 64 === 0) expect(planQuery("SELECT 1")).toBe(hot);
    }
    expect(planQuery("SELECT 1")).toBe(hot);
    expect(planQuery("SELECT 'cold'")).not.toBe(cold); // evicted and planned again
  });

  test("keys on the declared parameter types as well as the text", () => {
    const untyped = planQuery("SELECT $1::int4 + 1", []);
    const typed = planQuery("SELECT $1::int4 + 1", [23]);
    expect(typed).not.toBe(untyped);
    expect(planQuery("SELECT $1::int4 + 1", [23])).toBe(typed);
    expect(planQuery("SELECT $1::int4 + 1", [])).toBe(untyped);
  });
});

describe("planQuery() parameters", () => {
  const fail = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      const x = e as SqlError;
      return [x.sqlstate, x.message, x.detail, x.position];
    }
    return undefined;
  };

  test("a simple query has no parameters: $1 is 42P02 at its position", () => {
    expect(fail(() => planQuery("select 1, $2"))).toEqual(["42P02", "there is no parameter $2", undefined, 11]);
    expect(fail(() => planQuery("select $1::int"))).toEqual(["42P02", "there is no parameter $1", undefined, 8]);
  });

  test("a Parse infers types as PostgreSQL 15: output columns and sort keys of unknown type become text", () => {
    const types = (q: string) => {
      const [p] = planQuery(q, []);
      return [p.paramTypes, p.columns!.map((c) => c.type)];
    };
    expect(types("select $1")).toEqual([[25], [25]]);
    expect(types("select $1 as a order by a")).toEqual([[25], [25]]);
    expect(types("select $1 limit $2")).toEqual([[25, 20], [25]]);
    expect(types("select $1::int, $1")).toEqual([[23], [23, 23]]);
    expect(fail(() => planQuery("select $1 where $1 = 1", []))).toEqual([
      "42P08",
      "inconsistent types deduced for parameter $1",
      "integer versus text",
      8,
    ]);
    expect(fail(() => planQuery("select pg_typeof($1)", []))?.slice(0, 2)).toEqual([
      "42P18",
      "could not determine data type of parameter $1",
    ]);
  });
});

describe("planQuery() constant folding", () => {
  test("a constant that fails to fold is the plan's error, not a parse error (PostgreSQL: at Bind)", () => {
    const err = (q: string, paramTypes?: number[]) => {
      const e = planQuery(q, paramTypes)[0].planError;
      return e === undefined ? undefined : [e.sqlstate, e.message, e.position];
    };
    expect(err("select 1/0")).toEqual(["22012", "division by zero", undefined]);
    expect(err("select 3000000000::int4")).toEqual(["22003", "integer out of range", undefined]);
    expect(err("select 1 where 1/0 = 1")).toEqual(["22012", "division by zero", undefined]);
    expect(err("select pg_sleep(1/0)")).toEqual(["22012", "division by zero", undefined]);
    // Short cuts of eval_const_expressions: what is never folded never fails.
    expect(err("select coalesce(1, 1/0)")).toBeUndefined();
    expect(err("select coalesce(null, 1/0)")).toEqual(["22012", "division by zero", undefined]);
    expect(err("select false and 1/0 = 1")).toBeUndefined();
    expect(err("select 1/0 = 1 and false")).toEqual(["22012", "division by zero", undefined]);
    expect(err("select case when true then 1 else 1/0 end")).toBeUndefined();
    expect(err("select case when 1 = 2 then 1/0 else 1 end")).toBeUndefined();
    expect(err("select case when now() > now() then 1/0 end")).toEqual(["22012", "division by zero", undefined]);
    expect(err("select 1 in (1, 1/0)")).toEqual(["22012", "division by zero", undefined]);
    // A parameter is a constant only in PostgreSQL's custom plan: what it may decide is left to run time.
    expect(err("select 1/$1", [23])).toBeUndefined();
    expect(err("select coalesce($1::int, 1/0)", [])).toBeUndefined();
    expect(err("select case when $1 then 1/0 end", [16])).toBeUndefined();
    expect(err("select $1::int + 1/0", [])).toEqual(["22012", "division by zero", undefined]);
  });
});
