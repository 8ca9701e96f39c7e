import { describe, expect, test } from "vitest";
import { SqlError, SqlState } from "./errors.ts";

describe("SqlError", () => {
  test("carries SQLSTATE, severity (ERROR by default), detail, hint and position", () => {
    const e = new SqlError(SqlState.SYNTAX_ERROR, 'syntax error at or near "FORM"', {
      detail: "d",
      hint: "h",
      position: 10,
    });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("SqlError");
    expect(e.message).toBe('syntax error at or near "FORM"');
    expect(e.sqlstate).toBe("42601");
    expect(e.severity).toBe("ERROR");
    expect([e.detail, e.hint, e.position]).toEqual(["d", "h", 10]);
  });

  test("keeps FATAL and PANIC severities and the cause", () => {
    const cause = new Error("socket closed");
    const e = new SqlError(SqlState.TOO_MANY_CONNECTIONS, "sorry, too many clients already", {
      severity: "FATAL",
      cause,
    });
    expect(e.severity).toBe("FATAL");
    expect(e.cause).toBe(cause);
  });

  test("refuses a malformed SQLSTATE as misuse", () => {
    for (const bad of ["4260", "426011", "42p01", ""]) {
      expect(() => new SqlError(bad, "x")).toThrow(TypeError);
    }
  });
});

describe("SqlState", () => {
  test("has well-formed codes as PostgreSQL's errcodes.txt spells them", () => {
    for (const [name, code] of Object.entries(SqlState)) expect(code, name).toMatch(/^[0-9A-Z]{5}$/);
    expect(SqlState.QUERY_CANCELED).toBe("57014");
    expect(SqlState.ADMIN_SHUTDOWN).toBe("57P01");
    expect(SqlState.FEATURE_NOT_SUPPORTED).toBe("0A000");
  });

  test("gives each code one name", () => {
    const codes = Object.values(SqlState);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
