import { describe, expect, test } from "vitest";
import { TOP_SNAPSHOT_SCHEMA } from "./snapshot_schema.ts";
import { checkJsonSchema } from "./_json_schema_check.ts";
import { fixtureSnapshot } from "./_fixture.ts";

const readme = Deno.readTextFileSync(new URL("./README.md", import.meta.url));

describe("TOP_SNAPSHOT_SCHEMA", () => {
  test("README.md documents exactly the schema in the code", () => {
    const block = /## JSON schema of `top --json`[\s\S]*?```json\n([\s\S]*?)\n```/.exec(readme);
    expect(block).not.toBeNull();
    expect(JSON.parse(block![1])).toEqual(JSON.parse(JSON.stringify(TOP_SNAPSHOT_SCHEMA)));
  });

  test("a running cluster's snapshot and a no-server snapshot validate", () => {
    const running = JSON.parse(JSON.stringify(fixtureSnapshot()));
    expect(checkJsonSchema(TOP_SNAPSHOT_SCHEMA, running)).toEqual([]);
    const none = fixtureSnapshot({
      status: "no server",
      server: null,
      processes: [],
      buffers: null,
      wal: null,
      checkpoints: null,
      notices: ["server stopped: postmaster.pid is gone"],
    });
    expect(checkJsonSchema(TOP_SNAPSHOT_SCHEMA, JSON.parse(JSON.stringify(none)))).toEqual([]);
  });

  test("the check rejects a missing field, an unknown field, a wrong type and a bad LSN", () => {
    const snap = JSON.parse(JSON.stringify(fixtureSnapshot()));
    delete snap.takenAt;
    snap.extra = 1;
    snap.processes[0].pid = "4000";
    snap.wal.insertLsn = "16B3F28";
    const errors = checkJsonSchema(TOP_SNAPSHOT_SCHEMA, snap);
    expect(errors).toContain('$: missing "takenAt"');
    expect(errors).toContain('$: unexpected property "extra"');
    expect(errors.some((e) => e.startsWith("$.processes[0].pid: expected integer"))).toBe(true);
    expect(errors.some((e) => e.startsWith("$.wal"))).toBe(true);
  });

  test("the check refuses schema keywords it does not implement", () => {
    expect(checkJsonSchema({ type: "string", maxLength: 3 }, "abcd")).toEqual([
      '$: unsupported schema keyword "maxLength"',
    ]);
  });
});
