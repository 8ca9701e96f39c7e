import fc from "fast-check";
import { expect, test } from "vitest";
import { type GucName, type GucSettings } from "../config/mod.ts";
import { arbitrarySettings, isConfigurationLimit } from "./testdata/arbitrary_settings.ts";
import { computeShmemLayout, SHMEM_REGIONS } from "./mod.ts";

const README = Deno.readTextFileSync(new URL("./README.md", import.meta.url));

/** Rows of the markdown table between `<!-- tag:begin -->` and `<!-- tag:end -->`. */
function tableRows(tag: string): string[][] {
  const m = new RegExp(`<!-- ${tag}:begin -->([\\s\\S]*?)<!-- ${tag}:end -->`).exec(README);
  if (m === null) throw new Error(`README.md has no ${tag} table`);
  return m[1].split("\n")
    .filter((l) => l.trim().startsWith("|"))
    .map((l) => l.trim().slice(1, -1).split("|").map((c) => c.trim()))
    .slice(2); // header and separator
}

/** Evaluates a README size formula: numbers, names, + - * / ( ), ceil floor min max auto. */
function evaluate(formula: string, lookup: (name: string) => number): number {
  const tokens = formula.match(/\d+|[A-Za-z_][A-Za-z0-9_]*|[-+*/(),]/g) ?? [];
  if (tokens.join("") !== formula.replace(/\s+/g, "")) throw new Error(`Cannot parse formula "${formula}"`);
  let i = 0;
  const peek = () => tokens[i];
  const take = (t?: string) => {
    const tok = tokens[i++];
    if (t !== undefined && tok !== t) throw new Error(`Expected "${t}" in "${formula}"`);
    return tok;
  };
  const FUNCTIONS: Record<string, (...a: number[]) => number> = {
    ceil: Math.ceil,
    floor: Math.floor,
    min: Math.min,
    max: Math.max,
    auto: (v, d) => (v === -1 ? d : v),
  };
  const primary = (): number => {
    const tok = take();
    if (tok === "(") {
      const v = sum();
      take(")");
      return v;
    }
    if (/^\d+$/.test(tok)) return Number(tok);
    if (peek() === "(" && tok in FUNCTIONS) {
      take("(");
      const args = [sum()];
      while (peek() === ",") {
        take(",");
        args.push(sum());
      }
      take(")");
      return FUNCTIONS[tok](...args);
    }
    return lookup(tok);
  };
  const product = (): number => {
    let v = primary();
    while (peek() === "*" || peek() === "/") v = take() === "*" ? v * primary() : v / primary();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === "+" || peek() === "-") v = take() === "+" ? v + product() : v - product();
    return v;
  };
  const v = sum();
  if (i !== tokens.length) throw new Error(`Trailing tokens in "${formula}"`);
  return v;
}

function lookupIn(settings: GucSettings): (name: string) => number {
  const derived = new Map(tableRows("derived").map(([name, value]) => [name, value]));
  const lookup = (name: string): number => {
    const formula = derived.get(name);
    if (formula !== undefined) return evaluate(formula, lookup);
    return settings.int(name as GucName);
  };
  return lookup;
}

test("README.md lists every region of the registry, in order, with its alignment", () => {
  const rows = tableRows("regions");
  expect(rows.map((r) => r[0])).toEqual(SHMEM_REGIONS.map((s) => s.name));
  expect(rows.map((r) => Number(r[2]))).toEqual(SHMEM_REGIONS.map((s) => s.alignBytes));
});

test("README.md's size formulas give the sizes the code computes, for any valid configuration", () => {
  const rows = tableRows("regions");
  fc.assert(
    fc.property(arbitrarySettings, (settings) => {
      let layout;
      try {
        layout = computeShmemLayout(settings);
      } catch (e) {
        if (isConfigurationLimit(e)) return;
        throw e;
      }
      const lookup = lookupIn(settings);
      rows.forEach(([name, formula], i) => {
        expect({ name, size: evaluate(formula, lookup) }).toEqual({ name, size: layout.regions[i].sizeBytes });
      });
    }),
    { numRuns: 300 },
  );
});
