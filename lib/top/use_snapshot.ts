/**
 * use_snapshot.ts — the one data hook: polls a snapshot source on an interval
 * and cleans up after itself; keeps the last few notices on screen.
 *
 * PostgreSQL counterpart: none (pg_top's refresh loop).
 *
 * NOTES
 * Reading is synchronous (small /proc files and a read-only mapping), so the
 * hook reads once at mount and then from a timeout chain, never from an
 * interval: a slow read delays the next one instead of piling up. Pausing or
 * changing the interval clears the pending timeout; unmounting clears it too,
 * so no timer outlives the component. The source never throws (it reports
 * trouble as notices in the snapshot). A snapshot's notices are new since the
 * one before, so they would vanish at the next refresh; the hook keeps the
 * last {@link TOP_NOTICES_SHOWN_MAX} with the time they appeared, folded in
 * with a functional state update so none is lost when React batches two
 * refreshes into one render. A notice identical to the newest one is not
 * added again, so a condition reported on every frame takes one line.
 *
 * @module
 */

import { useEffect, useState } from "react";
import type { TopSnapshot } from "./snapshot.ts";

/** Notices kept on screen. */
export const TOP_NOTICES_SHOWN_MAX = 3;

/** Where snapshots come from: the live reader, or a fixture in tests. */
export interface SnapshotSource {
  /**
   * Takes a snapshot now. Never throws.
   *
   * @returns the snapshot
   */
  read(): TopSnapshot;
}

/** What the hook returns. */
export interface PolledSnapshot {
  /** The latest snapshot. */
  readonly snapshot: TopSnapshot;
  /** The last notices, oldest first, each `HH:MM:SS notice` (UTC). */
  readonly noticeLog: readonly string[];
}

/**
 * Returns the latest snapshot, refreshed every `intervalMs` unless paused,
 * and the log of recent notices.
 *
 * @param source the snapshot source
 * @param intervalMs refresh interval in ms
 * @param paused when true, no refresh is scheduled
 * @returns the latest snapshot and the notice log
 * @example
 * ```tsx
 * const { snapshot, noticeLog } = useSnapshot(reader, ui.intervalMs, ui.paused);
 * ```
 */
export function useSnapshot(source: SnapshotSource, intervalMs: number, paused: boolean): PolledSnapshot {
  const [polled, setPolled] = useState<PolledSnapshot>(() => _fold([], source.read()));
  useEffect(() => {
    if (paused) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      const next = source.read();
      setPolled((prev) => _fold(prev.noticeLog, next));
      timer = setTimeout(tick, intervalMs);
    };
    timer = setTimeout(tick, intervalMs);
    return () => clearTimeout(timer);
  }, [source, intervalMs, paused]);
  return polled;
}

function _fold(log: readonly string[], snapshot: TopSnapshot): PolledSnapshot {
  let next = log;
  const time = snapshot.takenAt.slice(11, 19);
  for (const notice of snapshot.notices) {
    if (next.at(-1)?.slice(time.length + 1) === notice) continue;
    next = [...next, `${time} ${notice}`].slice(-TOP_NOTICES_SHOWN_MAX);
  }
  return { snapshot, noticeLog: next };
}
