import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { readPasswordFile } from "./password.ts";

let tmp: string;
beforeEach(async () => {
  tmp = await Deno.makeTempDir({ prefix: "denogres-password-test-" });
});
afterEach(async () => {
  await Deno.remove(tmp, { recursive: true });
});

describe("readPasswordFile()", () => {
  test("uses the first line, without its line ending", () => {
    Deno.writeTextFileSync(`${tmp}/a`, "s3cret word\nsecond line\n");
    expect(readPasswordFile(`${tmp}/a`)).toBe("s3cret word");
    Deno.writeTextFileSync(`${tmp}/b`, "crlf\r\n");
    expect(readPasswordFile(`${tmp}/b`)).toBe("crlf");
    Deno.writeTextFileSync(`${tmp}/c`, "no newline");
    expect(readPasswordFile(`${tmp}/c`)).toBe("no newline");
  });

  test("refuses an empty first line with PostgreSQL's message", () => {
    Deno.writeTextFileSync(`${tmp}/e`, "\nlater\n");
    expect(() => readPasswordFile(`${tmp}/e`)).toThrow(`password file "${tmp}/e" is empty`);
  });

  test("reports a missing file with PostgreSQL's message", () => {
    expect(() => readPasswordFile(`${tmp}/none`)).toThrow(
      `could not open file "${tmp}/none" for reading: No such file or directory`,
    );
  });
});
