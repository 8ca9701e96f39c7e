import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { render } from "ink-testing-library";
import { TopApp } from "./top_app.tsx";
import { fixtureSnapshot } from "./_fixture.ts";
import type { TopSnapshot } from "./snapshot.ts";
import type { BackendAction } from "./keys.ts";

/** A source that counts reads and moves tps on each one. */
function countingSource() {
  const source = {
    reads: 0,
    read(): TopSnapshot {
      source.reads++;
      const base = fixtureSnapshot();
      return { ...base, server: { ...base.server!, transactionsPerS: source.reads } };
    },
  };
  return source;
}

function start() {
  const source = countingSource();
  const signals: [number, BackendAction][] = [];
  const app = render(
    <TopApp
      source={source}
      intervalMs={1000}
      banner="denogres top test banner"
      signalBackend={(pid, action) => {
        signals.push([pid, action]);
        return `sent to ${pid}`;
      }}
    />,
  );
  return { source, signals, ...app };
}

/** Lets React and Ink's render throttle (and its escape-key timeout) catch up: 100 ms, well within one interval. */
const flush = () => vi.advanceTimersByTimeAsync(100);
const ARROW_DOWN = "\u001b[B";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("TopApp", () => {
  test("shows the banner once and refreshes the snapshot every interval", async () => {
    const { source, lastFrame, frames, unmount } = start();
    await flush();
    expect(frames.join("")).toContain("denogres top test banner");
    expect(lastFrame()).toContain("tps 1.0");
    await vi.advanceTimersByTimeAsync(900);
    await flush();
    expect(lastFrame()).toContain("tps 2.0");
    await vi.advanceTimersByTimeAsync(3000);
    expect(source.reads).toBe(5);
    unmount();
  });

  test("keeps the last notices on screen after the frame that reported them, once each", async () => {
    const notices = [["server restarted: postmaster PID 1 -> 2"], ["x is down"], ["x is down"], [], ["a"], ["b"], []];
    let reads = 0;
    const source = { read: () => fixtureSnapshot({ notices: notices[Math.min(reads++, notices.length - 1)] }) };
    const { lastFrame, unmount } = render(
      <TopApp source={source} intervalMs={1000} banner="b" signalBackend={() => ""} />,
    );
    await flush();
    expect(lastFrame()).toMatch(/! \d\d:\d\d:\d\d server restarted: postmaster PID 1 -> 2/);
    await vi.advanceTimersByTimeAsync(3000);
    await flush();
    expect(lastFrame()).toContain("server restarted");
    expect(lastFrame()!.split("x is down").length).toBe(2);
    await vi.advanceTimersByTimeAsync(3000);
    await flush();
    expect(lastFrame()).not.toContain("server restarted");
    expect(lastFrame()).toContain("! 10:05:00 b");
    unmount();
  });

  test("space pauses and resumes the refresh", async () => {
    const { source, stdin, lastFrame, unmount } = start();
    await flush();
    stdin.write(" ");
    await flush();
    expect(lastFrame()).toContain("(paused)");
    await vi.advanceTimersByTimeAsync(5000);
    expect(source.reads).toBe(1);
    stdin.write(" ");
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.reads).toBe(2);
    unmount();
  });

  test("+ and - change the refresh interval", async () => {
    const { source, stdin, lastFrame, unmount } = start();
    await flush();
    stdin.write("+");
    await flush();
    expect(lastFrame()).toContain("every 2s");
    await vi.advanceTimersByTimeAsync(1400);
    expect(source.reads).toBe(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(source.reads).toBe(2);
    stdin.write("-");
    stdin.write("-");
    await flush();
    expect(lastFrame()).toContain("every 0.5s");
    unmount();
  });

  test("unmounting stops the polling", async () => {
    const { source, unmount } = start();
    await flush();
    unmount();
    await vi.advanceTimersByTimeAsync(10000);
    expect(source.reads).toBe(1);
  });

  test("q quits: the app unmounts and stops polling", async () => {
    const { source, stdin } = start();
    await flush();
    stdin.write("q");
    await flush();
    await vi.advanceTimersByTimeAsync(5000);
    expect(source.reads).toBe(1);
  });

  test("c on a selected backend asks first, then y sends the cancel", async () => {
    const { stdin, lastFrame, signals, unmount } = start();
    await flush();
    // Rows: postmaster, 5 background processes, then 4101.
    for (let i = 0; i < 7; i++) {
      stdin.write(i % 2 === 0 ? "j" : ARROW_DOWN);
      await flush();
    }
    stdin.write("c");
    await flush();
    expect(lastFrame()).toContain("Cancel the query of backend 4101? (y/N) select pg_sleep(30)");
    stdin.write("y");
    await flush();
    expect(signals).toEqual([[4101, "cancel"]]);
    expect(lastFrame()).toContain("sent to 4101");
    unmount();
  });

  test("K asks first, and any key but y sends nothing", async () => {
    const { stdin, lastFrame, signals, unmount } = start();
    await flush();
    for (let i = 0; i < 7; i++) stdin.write("j");
    await flush();
    stdin.write("K");
    await flush();
    expect(lastFrame()).toContain("Terminate backend 4101?");
    stdin.write("n");
    await flush();
    expect(signals).toEqual([]);
    expect(lastFrame()).toContain("nothing sent");
    unmount();
  });

  test("c on a background process is refused", async () => {
    const { stdin, lastFrame, signals, unmount } = start();
    await flush();
    stdin.write("j");
    stdin.write("j");
    await flush();
    stdin.write("c");
    await flush();
    expect(lastFrame()).toContain("PID 4010 is not a client backend");
    stdin.write("y");
    await flush();
    expect(signals).toEqual([]);
    unmount();
  });

  test("/ filters as typed; the main keys do not act while typing; Esc clears", async () => {
    const { stdin, lastFrame, unmount } = start();
    await flush();
    stdin.write("/");
    await flush();
    for (const ch of "bob") stdin.write(ch);
    await flush();
    expect(lastFrame()).toContain("filter: bob");
    expect(lastFrame()).toContain("4102");
    expect(lastFrame()).not.toContain("4101");
    stdin.write("q"); // part of the filter, not quit
    await flush();
    expect(lastFrame()).toContain("filter: bobq");
    stdin.write("\u001b");
    await flush();
    expect(lastFrame()).toContain("4101");
    unmount();
  });

  test("i hides idle sessions, s changes the sort column, ? shows help until a key", async () => {
    const { stdin, lastFrame, unmount } = start();
    await flush();
    stdin.write("i");
    await flush();
    expect(lastFrame()).not.toContain("4102");
    expect(lastFrame()).toContain("i idle:hidden");
    stdin.write("s");
    await flush();
    expect(lastFrame()).toContain("CPU%▼");
    stdin.write("?");
    await flush();
    expect(lastFrame()).toContain("Keys");
    expect(lastFrame()).toContain("terminate the selected backend");
    stdin.write("x");
    await flush();
    expect(lastFrame()).not.toContain("Press any key to close");
    unmount();
  });
});
