import { describe, expect, test } from "vitest";
import { parsePgbenchTps, pgbenchArgv } from "./pgbench.ts";

// Real pgbench 15 reports (trimmed of nothing).
const PREPARED = `pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: /tmp/s1.sql
scaling factor: 1
query mode: prepared
number of clients: 2
number of threads: 2
maximum number of tries: 1
duration: 2 s
number of transactions actually processed: 196860
number of failed transactions: 0 (0.000%)
latency average = 0.020 ms
initial connection time = 3.986 ms
tps = 98519.110535 (without initial connection time)
`;
const RECONNECT = `number of transactions actually processed: 997
number of failed transactions: 0 (0.000%)
latency average = 8.037 ms
average connection time = 3.988 ms
tps = 497.699699 (including reconnection times)
`;

describe("pgbench", () => {
  test("parsePgbenchTps() reads tps with and without -C", () => {
    expect(parsePgbenchTps(PREPARED)).toBeCloseTo(98519.110535);
    expect(parsePgbenchTps(RECONNECT)).toBeCloseTo(497.699699);
  });

  test("parsePgbenchTps() treats failed transactions and a missing tps line as errors", () => {
    expect(() => parsePgbenchTps(PREPARED.replace("failed transactions: 0", "failed transactions: 3"))).toThrow(
      /3 failed/,
    );
    expect(() => parsePgbenchTps("pgbench: error: connection refused")).toThrow(/no tps/);
  });

  test("pgbenchArgv() builds the documented command line", () => {
    const argv = pgbenchArgv(
      { scriptFile: "/x/select1.sql", protocol: "prepared", clients: 1, durationS: 5, connectEach: true },
      { host: "127.0.0.1", port: 26001, user: "postgres", database: "postgres" },
    );
    expect(argv.join(" ")).toBe(
      "pgbench -n -C -M prepared -f /x/select1.sql -c 1 -j 1 -T 5 -h 127.0.0.1 -p 26001 -U postgres postgres",
    );
  });
});
