import { beforeAll, describe, expect, test } from "vitest";
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
    const untyped = planQuery("SELECT $1::int4 + 1");
    const typed = planQuery("SELECT $1::int4 + 1", [23]);
    expect(typed).not.toBe(untyped);
    expect(planQuery("SELECT $1::int4 + 1", [23])).toBe(typed);
  });
});
