/**
 * keys.ts — what each key does to `top`'s screen state, as pure functions.
 *
 * PostgreSQL counterpart: none; the keys of pg_activity and pg_top (`q`,
 * space, `+`/`-`, arrows and `j`/`k`, `s`, `/`, `i`, `c`, `K`, `?`).
 *
 * NOTES
 * One handler per focused panel (main table, filter prompt, confirmation,
 * help), each `(state, input, key, context) -> { state, command }`. The
 * components wire `useInput({ isActive })` per panel so exactly one panel
 * listens, and every listener goes through {@link dispatchKey}, which picks
 * the handler from the latest state rather than from the last render: keys
 * typed faster than React re-renders (`/` then the filter text) reach the
 * panel they were meant for. A handler never performs effects: quitting and
 * signalling a backend come back as a {@link TopCommand} for the app to carry
 * out, which keeps the handlers testable without a terminal or a process to
 * signal.
 *
 * @module
 */

import type { Key } from "ink";
import { isSignallableBackend, type ProcessRow, SORT_COLUMNS, type SortColumn } from "./process_view.ts";

/** Refresh intervals that `+`/`-` step through, in ms. */
export const TOP_INTERVAL_STEPS_MS = [250, 500, 1000, 2000, 5000, 10000, 30000, 60000] as const;
/** Shortest refresh interval accepted (`--interval`), in ms. */
export const TOP_INTERVAL_MIN_MS = TOP_INTERVAL_STEPS_MS[0];
/** Longest refresh interval accepted (`--interval`), in ms. */
export const TOP_INTERVAL_MAX_MS = TOP_INTERVAL_STEPS_MS[TOP_INTERVAL_STEPS_MS.length - 1];
/** Longest filter text, in characters. */
export const TOP_FILTER_MAX_CHARS = 64;

/** A backend signal `top` can send, as pg_cancel_backend() / pg_terminate_backend(). */
export type BackendAction = "cancel" | "terminate";

/** The screen's state, apart from the snapshot itself. */
export interface TopUiState {
  readonly paused: boolean;
  readonly intervalMs: number;
  /** Selected process, by pid so the selection survives re-sorting; null for none. */
  readonly selectedPid: number | null;
  readonly sortColumn: SortColumn;
  readonly filter: string;
  /** The filter prompt has the keyboard. */
  readonly filterEditing: boolean;
  readonly hideIdle: boolean;
  readonly helpShown: boolean;
  /** A cancel/terminate waiting for `y`; null when none. */
  readonly confirm: { readonly action: BackendAction; readonly pid: number } | null;
  /** One line of feedback (a refused key, the result of a signal); null when none. */
  readonly message: string | null;
}

/** An effect a key asks the app to carry out. */
export type TopCommand =
  | { readonly kind: "quit" }
  | { readonly kind: "signal"; readonly action: BackendAction; readonly pid: number };

/** A handler's result. */
export interface KeyResult {
  readonly state: TopUiState;
  readonly command: TopCommand | null;
}

/**
 * The initial screen state.
 *
 * @param intervalMs the refresh interval from `--interval`
 * @returns the state
 */
export function initialUiState(intervalMs: number): TopUiState {
  return {
    paused: false,
    intervalMs,
    selectedPid: null,
    sortColumn: "pid",
    filter: "",
    filterEditing: false,
    hideIdle: false,
    helpShown: false,
    confirm: null,
    message: null,
  };
}

/** Which panel has the keyboard. */
export type TopFocus = "help" | "confirm" | "filter" | "main";

/**
 * The panel that has the keyboard: help while shown, else the confirmation
 * while asking, else the filter prompt while editing, else the table.
 *
 * @param state the screen state
 * @returns the focused panel
 */
export function focusOf(state: TopUiState): TopFocus {
  return state.helpShown ? "help" : state.confirm !== null ? "confirm" : state.filterEditing ? "filter" : "main";
}

/**
 * Handles a key with the handler of the panel that has the keyboard in `state`.
 * Several plain characters read at once (keys typed faster than they are
 * read, or a paste) are handled one by one, each by the panel that has the
 * keyboard after the previous one (so `/abc` opens the filter and types
 * `abc`); handling stops at the first command.
 *
 * @param state the latest screen state
 * @param input the typed character(s)
 * @param key Ink's key flags
 * @param rows the table's rows in screen order
 * @returns the new state and any command
 */
export function dispatchKey(state: TopUiState, input: string, key: Key, rows: readonly ProcessRow[]): KeyResult {
  if (input.length <= 1 || input.includes("\x1b")) return _dispatchOne(state, input, key, rows);
  let result: KeyResult = { state, command: null };
  for (const ch of input) {
    const flags = { ...key, return: ch === "\r" || ch === "\n", backspace: ch === "\x7f" || ch === "\b" };
    result = _dispatchOne(result.state, flags.return || flags.backspace ? "" : ch, flags, rows);
    if (result.command !== null) break;
  }
  return result;
}

function _dispatchOne(state: TopUiState, input: string, key: Key, rows: readonly ProcessRow[]): KeyResult {
  switch (focusOf(state)) {
    case "help":
      return helpKey(state, input);
    case "confirm":
      return confirmKey(state, input);
    case "filter":
      return filterKey(state, input, key);
    case "main":
      return mainKey(state, input, key, rows);
  }
}

/**
 * Keys of the main screen (the process table has focus).
 *
 * @param state the screen state
 * @param input the typed character(s)
 * @param key Ink's key flags
 * @param rows the table's rows in screen order (for selection and `c`/`K`)
 * @returns the new state and any command
 */
export function mainKey(state: TopUiState, input: string, key: Key, rows: readonly ProcessRow[]): KeyResult {
  const next = (s: Partial<TopUiState>): KeyResult => ({ state: { ...state, message: null, ...s }, command: null });
  if (key.upArrow || input === "k") return next({ selectedPid: _moveSelection(state.selectedPid, rows, -1) });
  if (key.downArrow || input === "j") return next({ selectedPid: _moveSelection(state.selectedPid, rows, 1) });
  switch (input) {
    case "q":
      return { state, command: { kind: "quit" } };
    case " ":
      return next({ paused: !state.paused });
    case "+":
      return next({ intervalMs: _stepInterval(state.intervalMs, 1) });
    case "-":
      return next({ intervalMs: _stepInterval(state.intervalMs, -1) });
    case "s":
      return next({ sortColumn: SORT_COLUMNS[(SORT_COLUMNS.indexOf(state.sortColumn) + 1) % SORT_COLUMNS.length] });
    case "/":
      return next({ filterEditing: true });
    case "i":
      return next({ hideIdle: !state.hideIdle });
    case "?":
      return next({ helpShown: true });
    case "c":
      return _askConfirm(state, "cancel", rows);
    case "K":
      return _askConfirm(state, "terminate", rows);
  }
  if (key.escape && state.filter !== "") return next({ filter: "" });
  return { state, command: null };
}

/**
 * Keys of the filter prompt: text edits the filter (applied as typed), Enter
 * keeps it, Escape clears it.
 *
 * @param state the screen state (`filterEditing` is true)
 * @param input the typed character(s)
 * @param key Ink's key flags
 * @returns the new state
 */
export function filterKey(state: TopUiState, input: string, key: Key): KeyResult {
  if (key.return) return { state: { ...state, filterEditing: false }, command: null };
  if (key.escape) return { state: { ...state, filterEditing: false, filter: "" }, command: null };
  if (key.backspace || key.delete) return { state: { ...state, filter: state.filter.slice(0, -1) }, command: null };
  if (key.ctrl || key.meta || input === "" || _hasControlChar(input)) return { state, command: null };
  return { state: { ...state, filter: (state.filter + input).slice(0, TOP_FILTER_MAX_CHARS) }, command: null };
}

/**
 * Keys of the confirmation: `y` sends the signal, anything else cancels.
 *
 * @param state the screen state (`confirm` is set)
 * @param input the typed character(s)
 * @returns the new state and the signal command on `y`
 */
export function confirmKey(state: TopUiState, input: string): KeyResult {
  const confirm = state.confirm;
  if (confirm === null) return { state, command: null };
  if (input === "y" || input === "Y") {
    return {
      state: { ...state, confirm: null },
      command: { kind: "signal", action: confirm.action, pid: confirm.pid },
    };
  }
  return { state: { ...state, confirm: null, message: "nothing sent" }, command: null };
}

/**
 * Keys of the help screen: any key closes it (`q` still quits).
 *
 * @param state the screen state (`helpShown` is true)
 * @param input the typed character(s)
 * @returns the new state, or quit on `q`
 */
export function helpKey(state: TopUiState, input: string): KeyResult {
  if (input === "q") return { state, command: { kind: "quit" } };
  return { state: { ...state, helpShown: false }, command: null };
}

/**
 * The selected row: the one with the selected pid, else none.
 *
 * @param state the screen state
 * @param rows the rows in screen order
 * @returns the row, or undefined
 */
export function selectedRow(state: TopUiState, rows: readonly ProcessRow[]): ProcessRow | undefined {
  return state.selectedPid === null ? undefined : rows.find((r) => r.process.pid === state.selectedPid);
}

function _hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function _askConfirm(state: TopUiState, action: BackendAction, rows: readonly ProcessRow[]): KeyResult {
  const row = selectedRow(state, rows);
  if (row === undefined) {
    return { state: { ...state, message: "select a backend first (arrows or j/k)" }, command: null };
  }
  if (!isSignallableBackend(row.process)) {
    return { state: { ...state, message: `PID ${row.process.pid} is not a client backend` }, command: null };
  }
  return { state: { ...state, confirm: { action, pid: row.process.pid }, message: null }, command: null };
}

function _moveSelection(selectedPid: number | null, rows: readonly ProcessRow[], delta: 1 | -1): number | null {
  if (rows.length === 0) return null;
  const at = selectedPid === null ? -1 : rows.findIndex((r) => r.process.pid === selectedPid);
  if (at === -1) return rows[delta === 1 ? 0 : rows.length - 1].process.pid;
  return rows[Math.min(rows.length - 1, Math.max(0, at + delta))].process.pid;
}

function _stepInterval(intervalMs: number, direction: 1 | -1): number {
  if (direction === 1) return TOP_INTERVAL_STEPS_MS.find((s) => s > intervalMs) ?? TOP_INTERVAL_MAX_MS;
  return [...TOP_INTERVAL_STEPS_MS].reverse().find((s) => s < intervalMs) ?? TOP_INTERVAL_MIN_MS;
}
