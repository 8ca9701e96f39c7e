import { describe, expect, test } from "vitest";
import { parseChildArgs } from "./child_main.ts";
import { childArgs } from "./child_process.ts";

describe("child command line", () => {
  test("parseChildArgs() reads back what childArgs() writes", () => {
    const conn = { remoteHost: "::1", remotePort: 5, local: false, acceptTimeMs: 9, cac: "shutdown" as const };
    const args = childArgs({
      type: "backend",
      dataDir: "/d",
      shmemName: "/denogres.1.2",
      gucOptions: [{ name: "port", value: "5433" }, { name: "listen_addresses", value: "a=b" }],
      client: { fd: 12, conn },
    });
    const script = args.findIndex((a) => a.endsWith("/cmd/server.ts"));
    expect(parseChildArgs(args.slice(script + 1))).toEqual({
      type: "backend",
      dataDir: "/d",
      shmemName: "/denogres.1.2",
      commandLine: [{ name: "port", value: "5433" }, { name: "listen_addresses", value: "a=b" }],
      client: { fd: 12, conn },
    });
  });

  test("parseChildArgs() refuses an unknown type or a missing option", () => {
    expect(() => parseChildArgs(["--child=nope", "-D", "/d", "--shmem=/x"])).toThrow(TypeError);
    expect(() => parseChildArgs(["--child=checkpointer", "-D", "/d"])).toThrow(TypeError);
  });
});
