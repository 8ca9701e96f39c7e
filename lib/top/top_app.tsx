/**
 * top_app.tsx — the live application: polls snapshots, shows the dashboard,
 * routes keys to the focused panel, and carries out quit and backend signals.
 *
 * PostgreSQL counterpart: none; pg_activity / pg_top.
 *
 * NOTES
 * Exactly one panel listens (`useInput({ isActive })`): the help panel while
 * shown, else the confirmation while asking, else the filter prompt while
 * editing, else the main table. Listeners dispatch on the latest state, kept
 * in refs (dispatchKey() in keys.ts), so keys typed faster than frames are
 * never applied to a stale state or to the wrong panel. Signalling is delegated to `signalBackend`, which re-checks the
 * target against the process array right before sending. The banner line
 * never changes and is written once with `<Static>`.
 *
 * @module
 */

import { type Key, Static, Text, useApp, useInput, useWindowSize } from "ink";
import { useMemo, useRef, useState } from "react";
import { ConfirmPrompt } from "./confirm_prompt.tsx";
import { Dashboard, dashboardChromeLines } from "./dashboard.tsx";
import { FilterPrompt } from "./filter_prompt.tsx";
import { HelpPanel } from "./help_panel.tsx";
import { KeyHints } from "./key_hints.tsx";
import {
  type BackendAction,
  dispatchKey,
  focusOf,
  initialUiState,
  type KeyResult,
  selectedRow,
  type TopUiState,
} from "./keys.ts";
import { arrangeProcesses } from "./process_view.ts";
import { type SnapshotSource, useSnapshot } from "./use_snapshot.ts";

/** Sends a backend signal after checking the target; returns one line saying what happened. */
export type SignalBackend = (pid: number, action: BackendAction) => string;

/** Props of {@link TopApp}. */
export interface TopAppProps {
  readonly source: SnapshotSource;
  /** Initial refresh interval in ms. */
  readonly intervalMs: number;
  readonly signalBackend: SignalBackend;
  /** The line written once above the frame. */
  readonly banner: string;
}

/**
 * The live `top` application.
 *
 * @param props source, interval, signaller and banner
 * @returns the element
 */
export function TopApp({ source, intervalMs, signalBackend, banner }: TopAppProps) {
  const app = useApp();
  const size = useWindowSize();
  const [ui, setUi] = useState<TopUiState>(() => initialUiState(intervalMs));
  const uiRef = useRef(ui);
  const { snapshot, noticeLog: notices } = useSnapshot(source, ui.intervalMs, ui.paused);
  const rows = useMemo(
    () => arrangeProcesses(snapshot.processes, ui),
    [snapshot.processes, ui.sortColumn, ui.filter, ui.hideIdle],
  );
  const rowsRef = useRef(rows);
  rowsRef.current = rows;

  const apply = (result: KeyResult) => {
    let state = result.state;
    if (result.command?.kind === "quit") app.exit();
    if (result.command?.kind === "signal") {
      state = { ...state, message: signalBackend(result.command.pid, result.command.action) };
    }
    uiRef.current = state;
    setUi(state);
  };
  // Every panel's listener dispatches on the latest state (see keys.ts).
  const onKey = (input: string, key: Key) => apply(dispatchKey(uiRef.current, input, key, rowsRef.current));
  const focus = focusOf(ui);
  useInput(onKey, { isActive: focus === "main" });
  const maxRows = Math.max(3, size.rows - 1 - dashboardChromeLines(snapshot, notices.length) - 1);
  return (
    <>
      <Static items={[banner]}>{(line) => <Text key="banner" dimColor>{line}</Text>}</Static>
      {ui.helpShown ? <HelpPanel isActive={focus === "help"} onKey={onKey} /> : (
        <Dashboard
          snapshot={snapshot}
          notices={notices}
          rows={rows}
          selectedPid={ui.selectedPid}
          sortColumn={ui.sortColumn}
          intervalMs={ui.intervalMs}
          paused={ui.paused}
          width={size.columns}
          maxRows={maxRows}
        />
      )}
      {ui.confirm !== null
        ? (
          <ConfirmPrompt
            action={ui.confirm.action}
            pid={ui.confirm.pid}
            query={selectedRow(ui, rows)?.process.query ?? null}
            isActive={focus === "confirm"}
            onKey={onKey}
          />
        )
        : ui.filterEditing
        ? <FilterPrompt filter={ui.filter} isActive={focus === "filter"} onKey={onKey} />
        : <KeyHints message={ui.message} sortColumn={ui.sortColumn} filter={ui.filter} hideIdle={ui.hideIdle} />}
    </>
  );
}
