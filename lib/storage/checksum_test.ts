import { describe, expect, test } from "vitest";
import { pgChecksumPage } from "./checksum.ts";
import { pageGetChecksum, pageInit, pageSetChecksumInplace, pageVerify } from "./page.ts";

const fixture = Deno.readFileSync(new URL("./testdata/pg15_pg_class_block2", import.meta.url));

describe("page checksum", () => {
  test("matches the checksum PostgreSQL 15 stored on a real page (block 2 of pg_class)", () => {
    expect(pgChecksumPage(fixture, 2)).toBe(pageGetChecksum(fixture));
    expect(pageVerify(fixture, 2, true)).toEqual({ ok: true });
  });

  test("depends on the block number and on every byte, and never reads as zero", () => {
    expect(pgChecksumPage(fixture, 3)).not.toBe(pgChecksumPage(fixture, 2));
    const p = fixture.slice();
    p[5000] ^= 0x01;
    expect(pageVerify(p, 2, true)).toMatchObject({ ok: false, reason: "checksum", expected: pageGetChecksum(fixture) });
    expect(pageVerify(p, 2, false)).toEqual({ ok: true });
    for (let b = 0; b < 50; b++) expect(pgChecksumPage(fixture, b)).toBeGreaterThan(0);
  });

  test("does not change the page, and works on unaligned views", () => {
    const buf = new Uint8Array(8192 + 1);
    buf.set(fixture, 1);
    const view = buf.subarray(1);
    const before = view.slice();
    expect(pgChecksumPage(view, 2)).toBe(pageGetChecksum(fixture));
    expect(view).toEqual(before);
  });

  test("pageInit makes a valid empty page; a new page stays all zeros and verifies", () => {
    const p = new Uint8Array(8192);
    expect(pageVerify(p, 0, true)).toEqual({ ok: true });
    pageSetChecksumInplace(p, 0);
    expect(pageGetChecksum(p)).toBe(0);
    pageInit(p, 16);
    pageSetChecksumInplace(p, 9);
    expect(pageVerify(p, 9, true)).toEqual({ ok: true });
    const junk = new Uint8Array(8192);
    junk[100] = 1;
    expect(pageVerify(junk, 0, true)).toEqual({ ok: false, reason: "header" });
  });
});
