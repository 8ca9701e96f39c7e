import { describe, expect, test } from "vitest";
import { checkHba, parseHbaFile } from "./hba.ts";

const CONF = `
# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             all                                     trust
host    "my db",sameuser +admins        10.0.0.0/8              scram-sha-256
host    all             bob             192.168.1.0 255.255.255.0 reject
host    all             all             127.0.0.1/32            password
host    all             all             ::1/128                 scram-sha-256
hostssl all             all             0.0.0.0/0               trust
`;

describe("parseHbaFile()", () => {
  test("reads PostgreSQL's syntax: lists, quotes, keywords, CIDR and separate masks", () => {
    const { lines, errors } = parseHbaFile(CONF);
    expect(errors).toEqual([]);
    expect(lines.map((l) => [l.lineNumber, l.connType, l.method])).toEqual([
      [3, "local", "trust"],
      [4, "host", "scram-sha-256"],
      [5, "host", "reject"],
      [6, "host", "password"],
      [7, "host", "scram-sha-256"],
      [8, "hostssl", "trust"],
    ]);
    expect(lines[1].databases).toEqual([{ text: "my db", quoted: true }, { text: "sameuser", quoted: false }]);
    expect(lines[0].rawLine).toBe("local   all             all                                     trust");
  });

  test("reports errors in PostgreSQL's words with their line numbers", () => {
    const { errors } = parseHbaFile(
      "hosty all all trust\nhost all all\nhost all all 1.2.3.4/40 trust\nlocal all all peer\nlocal all all bogus\nhost all all 1.2.3.4/32 trust clientcert=verify-full",
    );
    expect(errors).toEqual([
      { lineNumber: 1, message: 'invalid connection type "hosty"' },
      { lineNumber: 2, message: "end-of-line before IP address specification" },
      { lineNumber: 3, message: 'invalid CIDR mask in address "1.2.3.4/40"' },
      { lineNumber: 4, message: 'invalid authentication method "peer": not supported by this build' },
      { lineNumber: 5, message: 'invalid authentication method "bogus"' },
      { lineNumber: 6, message: 'unrecognized authentication option name: "clientcert"' },
    ]);
  });
});

describe("checkHba()", () => {
  const { lines } = parseHbaFile(CONF);
  const match = (c: Parameters<typeof checkHba>[1]) => checkHba(lines, c)?.lineNumber;

  test("takes the first matching line by connection type, address, database and role", () => {
    expect(match({ local: true, user: "x", database: "y" })).toBe(3);
    expect(match({ local: false, remoteAddress: "127.0.0.1", user: "x", database: "y" })).toBe(6);
    expect(match({ local: false, remoteAddress: "::ffff:127.0.0.1", user: "x", database: "y" })).toBe(6);
    expect(match({ local: false, remoteAddress: "::1", user: "x", database: "y" })).toBe(7);
    expect(match({ local: false, remoteAddress: "10.1.2.3", user: "admins", database: "my db" })).toBe(4);
    expect(match({ local: false, remoteAddress: "10.1.2.3", user: "carol", database: "carol" })).toBeUndefined();
    expect(match({ local: false, remoteAddress: "192.168.1.9", user: "bob", database: "postgres" })).toBe(5);
  });

  test("never matches hostssl (no SSL) and is an implicit reject when nothing matches", () => {
    expect(match({ local: false, remoteAddress: "8.8.8.8", user: "x", database: "y" })).toBeUndefined();
  });
});
