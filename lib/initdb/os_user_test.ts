import { describe, expect, test } from "vitest";
import { effectiveUserName, userNameFromPasswd } from "./os_user.ts";

describe("userNameFromPasswd()", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\npostgres:x:105:110::/var/lib/postgresql:/bin/bash\n";
  test("finds the name of a uid", () => {
    expect(userNameFromPasswd(passwd, 0)).toBe("root");
    expect(userNameFromPasswd(passwd, 105)).toBe("postgres");
  });
  test("returns undefined for a uid without an entry", () => {
    expect(userNameFromPasswd(passwd, 4242)).toBeUndefined();
    expect(userNameFromPasswd("", 0)).toBeUndefined();
  });
});

describe("effectiveUserName()", () => {
  test("names the user running the process, as id -un does", async () => {
    const out = await new Deno.Command("id", { args: ["-un"], stdout: "piped" }).output();
    expect(effectiveUserName()).toBe(new TextDecoder().decode(out.stdout).trim());
  });
});
