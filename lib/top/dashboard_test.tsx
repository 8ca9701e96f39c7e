import { describe, expect, test } from "vitest";
import { render } from "ink-testing-library";
import { Dashboard } from "./dashboard.tsx";
import { arrangeProcesses } from "./process_view.ts";
import { fixtureProcess, fixtureSnapshot } from "./_fixture.ts";
import type { TopSnapshot } from "./snapshot.ts";

function frame(snapshot: TopSnapshot, width = 200, maxRows = Infinity, selectedPid: number | null = null): string {
  const rows = arrangeProcesses(snapshot.processes, { sortColumn: "pid", filter: "", hideIdle: false });
  const { lastFrame, unmount } = render(
    <Dashboard
      snapshot={snapshot}
      notices={snapshot.notices}
      rows={rows}
      selectedPid={selectedPid}
      sortColumn="pid"
      intervalMs={1000}
      paused={false}
      width={width}
      maxRows={maxRows}
    />,
  );
  const out = lastFrame() ?? "";
  unmount();
  return out;
}

describe("Dashboard", () => {
  test("shows the header: postmaster pid, uptime, port, socket, state, connections and tps", () => {
    const out = frame(fixtureSnapshot());
    expect(out).toContain("postmaster 4000");
    expect(out).toContain("up 01:05:00");
    expect(out).toContain("port 22001");
    expect(out).toContain("socket /tmp/fixture-data");
    expect(out).toMatch(/socket \S+\s+ready/);
    expect(out).toContain("connections 3/100");
    expect(out).toContain("tps 42.5");
  });

  test("shows the buffer cache: size, used, dirty, pinned, hit ratio, rates by who, usage histogram", () => {
    const out = frame(fixtureSnapshot());
    expect(out).toContain("16384 × 8 kB = 128 MB");
    expect(out).toContain("used 1234  dirty 56  pinned 2  hit 98.7%");
    expect(out).toMatch(/backends\s+12\.0\s+1\.0\s+0\.5/);
    expect(out).toMatch(/bgwriter\s+0\.0\s+25\.0\s+0\.0/);
    expect(out).toMatch(/checkpointer\s+0\.0\s+300\s+0\.0/);
    expect(out).toContain("usage 0:15150 1:900 2:200 3:80 4:40 5:14");
  });

  test("shows WAL positions and rates, and checkpoints timed vs requested with the last one", () => {
    const out = frame(fixtureSnapshot());
    expect(out).toContain("insert   0/16B3F28");
    expect(out).toContain("flush    0/16B3E00");
    expect(out).toContain("written  121 kB/s");
    expect(out).toContain("fsyncs   4.0/s");
    expect(out).toContain("timed 3  requested 1");
    expect(out).toContain("last 10:00:00 (5m00s ago)");
    expect(out).toContain("took 120 ms");
  });

  test("lists the postmaster first, then background processes, then client backends, as a tree", () => {
    const lines = frame(fixtureSnapshot()).split("\n");
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    expect(at("4000 postmaster")).toBeGreaterThan(at("PID"));
    expect(at("├ checkpointer")).toBeGreaterThan(at("4000 postmaster"));
    expect(at("├ backend")).toBeGreaterThan(at("├ autovacuum launcher"));
    expect(at("4101 ├ client backend")).toBeGreaterThan(at("├ backend"));
    expect(lines[at("4103")]).toContain("└ client backend");
  });

  test("shows each session's state, CPU, RSS, wait event, time in state, user, database, client and query", () => {
    const line = frame(fixtureSnapshot()).split("\n").find((l) => l.includes("4101"))!;
    expect(line).toMatch(
      /4101 ├ client backend\s+active\s+1\.5\s+60 MB PgSleep\s+12s alice\s+postgres\s+127\.0\.0\.1\s+select pg_sleep\(30\)/,
    );
  });

  test("flattens a multi-line query and truncates it to the width", () => {
    const wide = frame(fixtureSnapshot()).split("\n").find((l) => l.includes("4103"))!;
    expect(wide).toContain("update accounts set balance = balance - 1 where id = 7");
    const narrow = frame(fixtureSnapshot(), 140).split("\n").find((l) => l.includes("4103"))!;
    expect(narrow.length).toBeLessThanOrEqual(140);
    expect(narrow).toMatch(/ update acc[^…]*…$/);
  });

  test("limits the table to maxRows and keeps the selected row in view", () => {
    const out = frame(fixtureSnapshot(), 200, 4, 4103);
    expect(out).toContain("4103");
    expect(out).not.toContain("4000 postmaster");
    expect(out).toContain("… 5 more");
  });

  test("says when no server runs and shows no panels' figures", () => {
    const out = frame(fixtureSnapshot({
      status: "no server",
      server: null,
      processes: [],
      buffers: null,
      wal: null,
      checkpoints: null,
      notices: ["server stopped (postmaster.pid is gone)"],
    }));
    expect(out).toContain("no server");
    expect(out).toContain("! server stopped (postmaster.pid is gone)");
    expect(out).toContain("Buffer cache -");
    expect(out).toContain("WAL -");
  });

  test("shows - for figures the server does not publish", () => {
    const snapshot = fixtureSnapshot({
      processes: [fixtureProcess(4000, "postmaster", { cpuPercent: null, rssBytes: null })],
      wal: { insertLsn: null, flushLsn: null, bytesPerS: null, fsyncsPerS: null, recordsPerS: null },
    });
    const out = frame(snapshot);
    expect(out).toContain("insert   -");
    expect(out).toMatch(/4000 postmaster\s+-\s+-/);
  });
});
