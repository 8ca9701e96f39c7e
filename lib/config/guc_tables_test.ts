import { describe, expect, test } from "vitest";
import { findGuc, GUC_DEFINITIONS, type GucDefinition } from "./guc_tables.ts";

const defs = GUC_DEFINITIONS as readonly GucDefinition[];

describe("GUC_DEFINITIONS", () => {
  test("has each name once, compared case-insensitively as PostgreSQL does", () => {
    const names = defs.map((d) => d.name.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
  });

  test("has a default inside each numeric parameter's range, and min <= max", () => {
    for (const d of defs) {
      if (d.type !== "int" && d.type !== "real") continue;
      expect(d.min, d.name).toBeLessThanOrEqual(d.max);
      expect(d.default, d.name).toBeGreaterThanOrEqual(d.min);
      expect(d.default, d.name).toBeLessThanOrEqual(d.max);
      if (d.type === "int") expect(Number.isInteger(d.default), d.name).toBe(true);
    }
  });

  test("has each enum's default among its values", () => {
    for (const d of defs) if (d.type === "enum") expect(d.values, d.name).toContain(d.default);
  });

  test("gives every parameter a section and a one-line description", () => {
    for (const d of defs) {
      expect(d.group, d.name).not.toBe("");
      expect(d.description, d.name).toMatch(/^[A-Z].*\.\)?$/);
      expect(d.description, d.name).not.toContain("\n");
    }
  });

  test("keeps PostgreSQL 15's defaults for the parameters initdb and the server rely on", () => {
    expect(findGuc("port")?.default).toBe(5432);
    expect(findGuc("max_connections")?.default).toBe(100);
    expect(findGuc("shared_buffers")?.default).toBe(16384);
    expect(findGuc("listen_addresses")?.default).toBe("localhost");
    expect(findGuc("log_line_prefix")?.default).toBe("%m [%p] ");
    expect(findGuc("wal_segment_size")?.default).toBe(16 * 1024 * 1024);
    expect(findGuc("max_wal_size")?.default).toBe(1024);
    expect(findGuc("min_wal_size")?.default).toBe(80);
  });

  test("marks restart-only parameters postmaster and reloadable ones sighup", () => {
    for (const n of ["port", "max_connections", "shared_buffers", "listen_addresses"]) {
      expect(findGuc(n)?.context, n).toBe("postmaster");
    }
    for (const n of ["checkpoint_timeout", "log_line_prefix", "fsync"]) expect(findGuc(n)?.context, n).toBe("sighup");
  });
});

describe("findGuc()", () => {
  test("finds parameters case-insensitively and returns undefined for unknown names", () => {
    expect(findGuc("Shared_Buffers")?.name).toBe("shared_buffers");
    expect(findGuc("datestyle")?.name).toBe("DateStyle");
    expect(findGuc("no_such_parameter")).toBeUndefined();
  });
});
