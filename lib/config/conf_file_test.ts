import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { deescapeQuotedString, parseConfFile } from "./conf_file.ts";

const F = "/data/postgresql.conf";

function values(text: string): Record<string, string> {
  const { entries, errors } = parseConfFile(text, F);
  expect(errors).toEqual([]);
  return Object.fromEntries(entries.map((e) => [e.name, e.value]));
}

describe("parseConfFile()", () => {
  test("reads name = value lines, with or without the equals sign", () => {
    expect(values("port = 5433\nmax_connections 20\nwork_mem=8MB\n")).toEqual({
      port: "5433",
      max_connections: "20",
      work_mem: "8MB",
    });
  });

  test("skips blank lines and comments, including comments after a value", () => {
    const text = "# a comment\n\n   \n  # indented comment\nport = 5433   # the port\nfsync = off#no space\n";
    expect(values(text)).toEqual({ port: "5433", fsync: "off" });
  });

  test("keeps the file and 1-based line of each entry, in file order", () => {
    const { entries } = parseConfFile("\n# c\nport = 1\nport = 2\n", F);
    expect(entries).toEqual([
      { name: "port", value: "1", file: F, line: 3 },
      { name: "port", value: "2", file: F, line: 4 },
    ]);
  });

  test("accepts CRLF line endings and a last line without a newline", () => {
    expect(values("port = 1\r\nwork_mem = 4MB")).toEqual({ port: "1", work_mem: "4MB" });
  });

  test("reads numbers with units, signs, decimals, exponents and hex as written", () => {
    expect(values("a = 128MB\nb = 5min\nc = 200ms\nd = -1\ne = 0.9\nf = 1e3\ng = 0x1F\nh = .5\n")).toEqual({
      a: "128MB",
      b: "5min",
      c: "200ms",
      d: "-1",
      e: "0.9",
      f: "1e3",
      g: "0x1F",
      h: ".5",
    });
  });

  test("reads unquoted words with - . _ : / in them, but not a word starting with /", () => {
    expect(values("a = read-only\nb = pg_catalog.english\nc = var/run/x:y\n")).toEqual({
      a: "read-only",
      b: "pg_catalog.english",
      c: "var/run/x:y",
    });
    expect(parseConfFile("d = /tmp\n", F).errors[0].message).toBe(
      `syntax error in file "${F}" line 1, near token "/tmp"`,
    );
  });

  test("reads single-quoted strings with doubled quotes and backslash escapes", () => {
    const text = String.raw`a = 'it''s'
b = 'tab\there'
c = 'a\\b'
d = '\101\102'
e = 'x # not a comment'
f = ''
g = 'q\'q'
`;
    expect(values(text)).toEqual({
      a: "it's",
      b: "tab\there",
      c: "a\\b",
      d: "AB",
      e: "x # not a comment",
      f: "",
      g: "q'q",
    });
  });

  test("reads qualified (extension) names", () => {
    expect(values("my_ext.some_setting = on\n")).toEqual({ "my_ext.some_setting": "on" });
  });

  test("reports a missing value as a syntax error near end of line, naming file and line", () => {
    const { entries, errors } = parseConfFile("port = 1\nwork_mem =\n", F);
    expect(entries.map((e) => e.name)).toEqual(["port"]);
    expect(errors).toEqual([
      { file: F, line: 2, message: `syntax error in file "${F}" line 2, near end of line` },
    ]);
  });

  test("reports trailing garbage and bad names as syntax errors near the token", () => {
    const { errors } = parseConfFile("port = 1 2\n= 3\nwork_mem = 'unterminated\n", F);
    expect(errors.map((e) => e.message)).toEqual([
      `syntax error in file "${F}" line 1, near token "2"`,
      `syntax error in file "${F}" line 2, near token "="`,
      `syntax error in file "${F}" line 3, near token "'unterminated"`,
    ]);
  });

  test("keeps going after an error, so every error of a file is reported at once", () => {
    const { entries, errors } = parseConfFile("a = 1 x\nb = 2\nc = 3 y\n", F);
    expect(entries.map((e) => e.name)).toEqual(["b"]);
    expect(errors.map((e) => e.line)).toEqual([1, 3]);
  });

  test("reads back any one-line string quoted the way initdb writes it", () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !/[\n\r]/.test(s)), (s) => {
        const quoted = `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
        const { entries, errors } = parseConfFile(`x = ${quoted}\n`, F);
        expect(errors).toEqual([]);
        expect(entries[0].value).toBe(s);
      }),
    );
  });
});

describe("deescapeQuotedString()", () => {
  test("undoes PostgreSQL's escapes: \\b \\f \\n \\r \\t, octal, doubled quotes", () => {
    expect(deescapeQuotedString(String.raw`'\b\f\n\r\t'`)).toBe("\b\f\n\r\t");
    expect(deescapeQuotedString(String.raw`'\0\7\101\1012'`)).toBe("\0\x07AA2");
    expect(deescapeQuotedString("'a''b'")).toBe("a'b");
  });

  test("keeps the character after a backslash when it is not an escape", () => {
    expect(deescapeQuotedString(String.raw`'\q\'\\'`)).toBe("q'\\");
  });
});
