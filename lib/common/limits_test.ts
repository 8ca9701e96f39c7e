import { describe, expect, test } from "vitest";
import * as limits from "./limits.ts";

describe("limits", () => {
  test("follow PostgreSQL 15's sizes", () => {
    expect(limits.PG_MAJOR_VERSION).toBe(15);
    expect(limits.BLOCK_SIZE_BYTES).toBe(8192);
    expect(limits.WAL_PAGE_SIZE_BYTES).toBe(8192);
    expect(limits.NAME_DATA_LEN).toBe(64);
    expect(limits.BACKENDS_MAX).toBe(262143);
    expect(limits.PG_CONTROL_VERSION).toBe(1300);
    expect(limits.CATALOG_VERSION_NO).toBe(202209061);
  });

  test("report a server_version that clients parse as 15.x", () => {
    expect(limits.PG_SERVER_VERSION).toMatch(/^15\.\d+/);
  });

  test("keep the relations the module checks at load time", () => {
    expect(limits.RELATION_SEGMENT_BLOCKS * limits.BLOCK_SIZE_BYTES).toBe(1 << 30);
    expect(limits.STARTUP_PACKET_MAX_BYTES).toBeLessThanOrEqual(limits.PROTOCOL_MESSAGE_MAX_BYTES);
  });

  test("name every export in upper case (a limit or fixed size, not a function)", () => {
    for (const [name, value] of Object.entries(limits)) {
      expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(["number", "string"]).toContain(typeof value);
    }
  });
});
