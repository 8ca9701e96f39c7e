import { describe, expect, test } from "vitest";
import type { Key } from "ink";
import fc from "fast-check";
import {
  confirmKey,
  dispatchKey,
  filterKey,
  helpKey,
  initialUiState,
  mainKey,
  TOP_FILTER_MAX_CHARS,
  TOP_INTERVAL_MAX_MS,
  TOP_INTERVAL_MIN_MS,
  type TopUiState,
} from "./keys.ts";
import { arrangeProcesses } from "./process_view.ts";
import { fixtureSnapshot } from "./_fixture.ts";

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};
const rows = arrangeProcesses(fixtureSnapshot().processes, { sortColumn: "pid", filter: "", hideIdle: false });
const press = (s: TopUiState, input: string, key: Partial<Key> = {}) => mainKey(s, input, { ...NO_KEY, ...key }, rows);

describe("mainKey()", () => {
  test("q asks to quit", () => {
    expect(press(initialUiState(1000), "q").command).toEqual({ kind: "quit" });
  });

  test("space toggles pause", () => {
    const paused = press(initialUiState(1000), " ").state;
    expect(paused.paused).toBe(true);
    expect(press(paused, " ").state.paused).toBe(false);
  });

  test("+ and - step the interval and stop at the bounds", () => {
    expect(press(initialUiState(1000), "+").state.intervalMs).toBe(2000);
    expect(press(initialUiState(1000), "-").state.intervalMs).toBe(500);
    expect(press(initialUiState(1500), "-").state.intervalMs).toBe(1000);
    expect(press(initialUiState(TOP_INTERVAL_MAX_MS), "+").state.intervalMs).toBe(TOP_INTERVAL_MAX_MS);
    expect(press(initialUiState(TOP_INTERVAL_MIN_MS), "-").state.intervalMs).toBe(TOP_INTERVAL_MIN_MS);
  });

  test("arrows and j/k move the selection through the rows and stop at the ends", () => {
    let s = press(initialUiState(1000), "j").state;
    expect(s.selectedPid).toBe(4000);
    s = press(s, "", { downArrow: true }).state;
    expect(s.selectedPid).toBe(4010);
    s = press(s, "k").state;
    s = press(s, "", { upArrow: true }).state;
    expect(s.selectedPid).toBe(4000);
    for (let i = 0; i < 20; i++) s = press(s, "j").state;
    expect(s.selectedPid).toBe(4103);
  });

  test("s cycles the sort column back to pid", () => {
    let s = initialUiState(1000);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      s = press(s, "s").state;
      seen.push(s.sortColumn);
    }
    expect(seen).toEqual(["cpu", "rss", "time", "pid"]);
  });

  test("/ opens the filter, i toggles idle sessions, ? opens help", () => {
    expect(press(initialUiState(1000), "/").state.filterEditing).toBe(true);
    expect(press(initialUiState(1000), "i").state.hideIdle).toBe(true);
    expect(press(initialUiState(1000), "?").state.helpShown).toBe(true);
  });

  test("c and K ask for confirmation on a client backend only", () => {
    const onBackend = { ...initialUiState(1000), selectedPid: 4101 };
    expect(press(onBackend, "c").state.confirm).toEqual({ action: "cancel", pid: 4101 });
    expect(press(onBackend, "K").state.confirm).toEqual({ action: "terminate", pid: 4101 });
    const onCheckpointer = press({ ...initialUiState(1000), selectedPid: 4010 }, "K");
    expect(onCheckpointer.state.confirm).toBeNull();
    expect(onCheckpointer.state.message).toBe("PID 4010 is not a client backend");
    expect(press(initialUiState(1000), "c").state.message).toMatch(/select a backend first/);
  });
});

describe("confirmKey()", () => {
  const asking: TopUiState = { ...initialUiState(1000), confirm: { action: "cancel", pid: 4101 } };

  test("y sends the signal", () => {
    const r = confirmKey(asking, "y");
    expect(r.command).toEqual({ kind: "signal", action: "cancel", pid: 4101 });
    expect(r.state.confirm).toBeNull();
  });

  test("any other key sends nothing", () => {
    const r = confirmKey(asking, "n");
    expect(r.command).toBeNull();
    expect(r.state.confirm).toBeNull();
    expect(r.state.message).toBe("nothing sent");
  });
});

describe("filterKey()", () => {
  const editing: TopUiState = { ...initialUiState(1000), filterEditing: true };

  test("typing builds the filter, backspace removes, Enter keeps, Esc clears", () => {
    let s = filterKey(editing, "a", NO_KEY).state;
    s = filterKey(s, "b", NO_KEY).state;
    expect(s.filter).toBe("ab");
    s = filterKey(s, "", { ...NO_KEY, backspace: true }).state;
    expect(s.filter).toBe("a");
    const kept = filterKey(s, "", { ...NO_KEY, return: true }).state;
    expect(kept).toMatchObject({ filter: "a", filterEditing: false });
    const cleared = filterKey(s, "", { ...NO_KEY, escape: true }).state;
    expect(cleared).toMatchObject({ filter: "", filterEditing: false });
  });

  test("the filter never exceeds its limit and never takes control characters", () => {
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 100 }), (inputs) => {
      let s = editing;
      for (const input of inputs) s = filterKey(s, input, NO_KEY).state;
      expect(s.filter.length).toBeLessThanOrEqual(TOP_FILTER_MAX_CHARS);
      expect([...s.filter].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f)).toBe(true);
    }));
  });
});

describe("helpKey()", () => {
  test("any key closes help, q quits", () => {
    const shown = { ...initialUiState(1000), helpShown: true };
    expect(helpKey(shown, "x").state.helpShown).toBe(false);
    expect(helpKey(shown, "q").command).toEqual({ kind: "quit" });
  });
});

describe("dispatchKey()", () => {
  const dispatch = (s: TopUiState, input: string, key: Partial<Key> = {}) =>
    dispatchKey(s, input, { ...NO_KEY, ...key }, rows);

  test("sends each key to the panel that has the keyboard", () => {
    const filtering = dispatch(initialUiState(1000), "/").state;
    expect(dispatch(filtering, "q").state.filter).toBe("q");
    expect(dispatch(filtering, "q").command).toBeNull();
    const asking = { ...initialUiState(1000), confirm: { action: "cancel" as const, pid: 4101 } };
    expect(dispatch(asking, "y").command).toEqual({ kind: "signal", action: "cancel", pid: 4101 });
  });

  test("handles keys read together one by one: / then text then Enter", () => {
    const s = dispatch(initialUiState(1000), "/pg_sleep(60)\r").state;
    expect(s).toMatchObject({ filter: "pg_sleep(60)", filterEditing: false });
    expect(dispatch(initialUiState(1000), "jjj").state.selectedPid).toBe(4011);
  });

  test("stops at the first command", () => {
    const r = dispatch(initialUiState(1000), "qj");
    expect(r.command).toEqual({ kind: "quit" });
    expect(r.state.selectedPid).toBeNull();
  });
});
