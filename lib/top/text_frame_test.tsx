import { describe, expect, test } from "vitest";
import { formatTextFrame } from "./text_frame.tsx";
import { fixtureProcess, fixtureSnapshot } from "./_fixture.ts";

describe("formatTextFrame()", () => {
  test("prints every process, with no escape sequences and no trailing spaces", () => {
    const many = Array.from({ length: 80 }, (_, i) => fixtureProcess(5000 + i, "client backend", { state: "idle" }));
    const base = fixtureSnapshot();
    const text = formatTextFrame({ ...base, processes: [...base.processes, ...many] }, 1000, 160);
    expect(text).not.toContain("\x1b");
    expect(text.split("\n").every((l) => l === l.trimEnd())).toBe(true);
    for (const p of [4000, 4010, 4101, 5000, 5079]) expect(text).toMatch(new RegExp(`^\\s*${p} `, "m"));
    expect(text).not.toContain("more (arrows");
    expect(text).toContain("postmaster 4000");
  });

  test("lays the frame out in the given width", () => {
    const lines = formatTextFrame(fixtureSnapshot(), 1000, 140).split("\n");
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(140);
  });
});
