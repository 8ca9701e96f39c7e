import { describe, expect, test } from "vitest";
import { CLOG_XACTS_PER_PAGE, clogGetStatus, clogPageLocation, clogPageNo, clogSetStatus } from "./clog_page.ts";
import { transactionIdPrecedes } from "./transam.ts";

describe("pg_xact page format", () => {
  test("two bits per transaction, neighbours untouched", () => {
    const page = new Uint8Array(8192);
    clogSetStatus(page, 5, "committed");
    clogSetStatus(page, 6, "aborted");
    clogSetStatus(page, 7, "sub-committed");
    expect([4, 5, 6, 7].map((x) => clogGetStatus(page, x))).toEqual([
      "in progress",
      "committed",
      "aborted",
      "sub-committed",
    ]);
    expect(page[1]).toBe(0b11100100);
    clogSetStatus(page, 6, "committed");
    expect(clogGetStatus(page, 7)).toBe("sub-committed");
  });

  test("page and file placement as PostgreSQL's SLRU", () => {
    expect(CLOG_XACTS_PER_PAGE).toBe(32768);
    expect(clogPageNo(32767)).toBe(0);
    expect(clogPageNo(32768)).toBe(1);
    expect(clogPageLocation(33)).toEqual({ file: "0001", offset: 8192 });
  });

  test("xids compare modulo 2^32, special ids by value", () => {
    expect(transactionIdPrecedes(3, 4)).toBe(true);
    expect(transactionIdPrecedes(0xfffffff0, 5)).toBe(true);
    expect(transactionIdPrecedes(2, 0xfffffff0)).toBe(true);
  });
});
