import { describe, expect, test } from "vitest";
import { parseScramVerifier, saslPrep, scramBuildVerifier, scramVerifyPlainPassword } from "./scram.ts";
import { b64Decode } from "./_base64.ts";

// Verifiers computed by the real PostgreSQL 15 (`CREATE ROLE … PASSWORD …; SELECT rolpassword FROM pg_authid`).
const PG15_VERIFIERS: [string, string][] = [
  [
    "secret",
    "SCRAM-SHA-256$4096:PE7TrD/TMmOGDYM0G5A1hA==$pImyq8Qu3zAG1GMB5xsMhbFwrGsgkeCNXr8whiIVtzI=:QOgy3Up+r/7mLn4evumrD2G6+DhobiFLumclm6gNLZs=",
  ],
  [
    "pässwörd ñ",
    "SCRAM-SHA-256$4096:aeGq3Atw3YwW5IHbs7kBew==$5HP3+CSXArMYR+lCF+JipcTMvqugJp+I8gFEoZWnar4=:mFrkHFlm5Vv92mKoFqYsisC3EvtqapRCt+p4sfcLFV0=",
  ],
  [
    "a\u00A0b",
    "SCRAM-SHA-256$4096:kBm25PPSFD8V14OEaXiFjg==$41E4ncfm/XOQH/WU6ji42J2RxeA3IEfGkvxZ8asfIU8=:YocIWYjLsDKeotciUjgUctL4gcaOSsxW7MWISkbeCgY=",
  ],
  [
    "ｐａｓｓ",
    "SCRAM-SHA-256$4096:/Mc55ykXEiIqFXDNXTcsjQ==$Zx3E9upE6UQzYnlphZqU3Ht0HP03nOVMEFH4VWb58x4=:lQ2owzzb98bIS7JTOWQ8xUEnHPXCq9R+KeuFw9v8mZc=",
  ],
];

describe("scramBuildVerifier()", () => {
  test.each(PG15_VERIFIERS)("reproduces PostgreSQL 15's verifier for %j given the same salt", (pw, expected) => {
    const salt = b64Decode(expected.split("$")[1].split(":")[1])!;
    expect(scramBuildVerifier(pw, { salt })).toBe(expected);
  });

  test("makes 4096-iteration verifiers with a fresh 16-byte salt each time", () => {
    const a = scramBuildVerifier("pw");
    const b = scramBuildVerifier("pw");
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(parseScramVerifier(a)!.salt.length).toBe(16);
  });
});

describe("parseScramVerifier()", () => {
  test("accepts PostgreSQL's verifiers and rejects malformed ones", () => {
    expect(parseScramVerifier(PG15_VERIFIERS[0][1])!.iterations).toBe(4096);
    expect(parseScramVerifier("md5abcdef")).toBeUndefined();
    expect(parseScramVerifier("SCRAM-SHA-256$0:AAAA$AAAA:AAAA")).toBeUndefined();
    expect(parseScramVerifier(PG15_VERIFIERS[0][1].slice(0, -4))).toBeUndefined();
  });
});

describe("scramVerifyPlainPassword()", () => {
  test("matches the right password only", () => {
    const v = parseScramVerifier(PG15_VERIFIERS[1][1])!;
    expect(scramVerifyPlainPassword("pässwörd ñ", v)).toBe(true);
    expect(scramVerifyPlainPassword("password", v)).toBe(false);
  });
});

describe("saslPrep()", () => {
  test("leaves ASCII alone, maps non-ASCII spaces and normalises NFKC", () => {
    expect(saslPrep("abc\u0007")).toBe("abc\u0007");
    expect(saslPrep("a\u00A0b")).toBe("a b");
    expect(saslPrep("ｐａｓｓ")).toBe("pass");
    expect(saslPrep("I\u00ADX")).toBe("IX");
  });

  test("falls back to the raw password where SASLprep prohibits the input", () => {
    expect(saslPrep("é\u0007")).toBe("é\u0007");
    expect(saslPrep("\u0627\u0031")).toBe("\u0627\u0031");
  });
});
