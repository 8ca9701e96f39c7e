import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { SqlError } from "../common/errors.ts";
import { findGuc, GUC_DEFINITIONS, type GucDefinition, type IntGuc } from "./guc_tables.ts";
import { formatGucValue, parseBool, parseGucValue } from "./guc_values.ts";

function guc(name: string): GucDefinition {
  const def = findGuc(name);
  if (def === undefined) throw new Error(`no parameter ${name}`);
  return def;
}

function errorOf(fn: () => unknown): SqlError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SqlError) return e;
    throw e;
  }
  throw new Error("expected an SqlError");
}

describe("parseBool()", () => {
  test("accepts PostgreSQL's spellings and unique prefixes, in any case", () => {
    for (const t of ["on", "ON", "true", "t", "tr", "yes", "y", "1", " On "]) expect(parseBool(t)).toBe(true);
    for (const f of ["off", "OFF", "of", "false", "f", "no", "n", "0"]) expect(parseBool(f)).toBe(false);
  });

  test("refuses ambiguous and unknown text", () => {
    for (const bad of ["o", "", "2", "maybe", "onn", "yess"]) expect(parseBool(bad)).toBeUndefined();
  });
});

describe("parseGucValue()", () => {
  test("converts memory units to the parameter's base unit", () => {
    expect(parseGucValue(guc("shared_buffers"), "128MB")).toBe(16384);
    expect(parseGucValue(guc("shared_buffers"), "1GB")).toBe(131072);
    expect(parseGucValue(guc("shared_buffers"), "16384")).toBe(16384);
    expect(parseGucValue(guc("work_mem"), "64kB")).toBe(64);
    expect(parseGucValue(guc("work_mem"), "1TB")).toBe(1024 ** 3);
    expect(parseGucValue(guc("max_wal_size"), "2GB")).toBe(2048);
    expect(parseGucValue(guc("track_activity_query_size"), "2kB")).toBe(2048);
  });

  test("converts time units to the parameter's base unit", () => {
    expect(parseGucValue(guc("checkpoint_timeout"), "5min")).toBe(300);
    expect(parseGucValue(guc("checkpoint_timeout"), "1h")).toBe(3600);
    expect(parseGucValue(guc("checkpoint_timeout"), "1d")).toBe(86400);
    expect(parseGucValue(guc("statement_timeout"), "1s")).toBe(1000);
    expect(parseGucValue(guc("statement_timeout"), "1500us")).toBe(2);
    expect(parseGucValue(guc("bgwriter_delay"), "200ms")).toBe(200);
  });

  test("accepts a space between number and unit, and rounds fractions", () => {
    expect(parseGucValue(guc("shared_buffers"), "128 MB")).toBe(16384);
    expect(parseGucValue(guc("checkpoint_timeout"), "1.5min")).toBe(90);
  });

  test("reads octal and hexadecimal integers", () => {
    expect(parseGucValue(guc("unix_socket_permissions"), "0777")).toBe(0o777);
    expect(parseGucValue(guc("unix_socket_permissions"), "0x1ff")).toBe(0o777);
  });

  test("refuses a unit of the wrong kind with PostgreSQL's hint", () => {
    const e = errorOf(() => parseGucValue(guc("shared_buffers"), "5min"));
    expect(e.sqlstate).toBe("22023");
    expect(e.message).toBe('invalid value for parameter "shared_buffers": "5min"');
    expect(e.hint).toBe('Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".');
    expect(errorOf(() => parseGucValue(guc("checkpoint_timeout"), "10MB")).hint).toBe(
      'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".',
    );
  });

  test("refuses units on a parameter that has none, and text that is no number", () => {
    expect(errorOf(() => parseGucValue(guc("max_connections"), "10MB")).message).toBe(
      'invalid value for parameter "max_connections": "10MB"',
    );
    expect(errorOf(() => parseGucValue(guc("max_connections"), "many")).message).toBe(
      'invalid value for parameter "max_connections": "many"',
    );
  });

  test("refuses out-of-range values with PostgreSQL's message", () => {
    expect(errorOf(() => parseGucValue(guc("port"), "70000")).message).toBe(
      '70000 is outside the valid range for parameter "port" (1 .. 65535)',
    );
    expect(errorOf(() => parseGucValue(guc("shared_buffers"), "64kB")).message).toBe(
      '8 8kB is outside the valid range for parameter "shared_buffers" (16 .. 1073741823)',
    );
    expect(errorOf(() => parseGucValue(guc("checkpoint_completion_target"), "1.5")).message).toBe(
      '1.5 is outside the valid range for parameter "checkpoint_completion_target" (0 .. 1)',
    );
  });

  test("reads booleans, and refuses non-booleans with PostgreSQL's message", () => {
    expect(parseGucValue(guc("fsync"), "off")).toBe(false);
    expect(errorOf(() => parseGucValue(guc("fsync"), "sometimes")).message).toBe(
      'parameter "fsync" requires a Boolean value',
    );
  });

  test("matches enum values case-insensitively and lists them when none matches", () => {
    expect(parseGucValue(guc("log_statement"), "ALL")).toBe("all");
    const e = errorOf(() => parseGucValue(guc("log_statement"), "some"));
    expect(e.message).toBe('invalid value for parameter "log_statement": "some"');
    expect(e.hint).toBe("Available values: none, ddl, mod, all.");
  });

  test("takes strings as they are", () => {
    expect(parseGucValue(guc("application_name"), " spaced ")).toBe(" spaced ");
  });
});

describe("formatGucValue()", () => {
  test("shows memory and time in the largest unit that divides exactly, as SHOW does", () => {
    expect(formatGucValue(guc("shared_buffers"), 16384)).toBe("128MB");
    expect(formatGucValue(guc("shared_buffers"), 16385)).toBe("131080kB");
    expect(formatGucValue(guc("max_wal_size"), 1024)).toBe("1GB");
    expect(formatGucValue(guc("checkpoint_timeout"), 300)).toBe("5min");
    expect(formatGucValue(guc("checkpoint_timeout"), 301)).toBe("301s");
    expect(formatGucValue(guc("bgwriter_delay"), 200)).toBe("200ms");
    expect(formatGucValue(guc("track_activity_query_size"), 1000)).toBe("1000B");
  });

  test("shows booleans as on/off and special values as plain numbers", () => {
    expect(formatGucValue(guc("fsync"), true)).toBe("on");
    expect(formatGucValue(guc("fsync"), false)).toBe("off");
    expect(formatGucValue(guc("wal_buffers"), -1)).toBe("-1");
    expect(formatGucValue(guc("statement_timeout"), 0)).toBe("0");
  });

  test("shows every integer value of every parameter so that it parses back to itself", () => {
    const ints = (GUC_DEFINITIONS as readonly GucDefinition[]).filter((d): d is IntGuc => d.type === "int");
    fc.assert(
      fc.property(fc.constantFrom(...ints), fc.nat(), (def, n) => {
        const value = def.min + (n % Math.min(def.max - def.min + 1, 1_000_000_000));
        expect(parseGucValue(def, formatGucValue(def, value))).toBe(value);
      }),
    );
  });
});
