import { describe, expect, test } from "vitest";
import { AssertionError } from "../common/assert.ts";
import { PM_STATE_TRANSITIONS, type PMState, updatePmState } from "./pm_state.ts";

describe("updatePmState", () => {
  test("updatePmState() accepts every listed transition and setting the same state", () => {
    for (const [from, tos] of Object.entries(PM_STATE_TRANSITIONS) as [PMState, PMState[]][]) {
      for (const to of tos) expect(updatePmState(from, to)).toBe(to);
      expect(updatePmState(from, from)).toBe(from);
    }
  });

  test("updatePmState() asserts on an illegal transition", () => {
    expect(() => updatePmState("PM_INIT", "PM_RUN")).toThrow(AssertionError);
    expect(() => updatePmState("PM_RUN", "PM_SHUTDOWN")).toThrow(AssertionError);
    expect(() => updatePmState("PM_NO_CHILDREN", "PM_RUN")).toThrow(AssertionError);
  });

  test("the normal shutdown path and the crash-reset path are both legal", () => {
    const normal: PMState[] = [
      "PM_INIT",
      "PM_STARTUP",
      "PM_RUN",
      "PM_STOP_BACKENDS",
      "PM_WAIT_BACKENDS",
      "PM_SHUTDOWN",
      "PM_SHUTDOWN_2",
      "PM_WAIT_DEAD_END",
      "PM_NO_CHILDREN",
    ];
    const crash: PMState[] = ["PM_RUN", "PM_WAIT_BACKENDS", "PM_WAIT_DEAD_END", "PM_NO_CHILDREN", "PM_STARTUP"];
    for (const path of [normal, crash]) {
      for (let i = 1; i < path.length; i++) expect(updatePmState(path[i - 1], path[i])).toBe(path[i]);
    }
  });
});
