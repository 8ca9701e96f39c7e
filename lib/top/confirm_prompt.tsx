/**
 * confirm_prompt.tsx — the question before `c` or `K` signals a backend.
 *
 * PostgreSQL counterpart: none; pg_activity's confirmation before
 * pg_cancel_backend() / pg_terminate_backend().
 *
 * NOTES
 * Takes the keyboard while asking (`useInput({ isActive })`); the key logic
 * is confirmKey() in keys.ts: `y` sends, anything else does not.
 *
 * @module
 */

import { type Key, Text, useInput } from "ink";
import type { BackendAction } from "./keys.ts";

/** Props of {@link ConfirmPrompt}. */
export interface ConfirmPromptProps {
  readonly action: BackendAction;
  readonly pid: number;
  /** What the backend runs, shown to make the choice clear; null when none. */
  readonly query: string | null;
  /** Whether the prompt has the keyboard. */
  readonly isActive: boolean;
  /** Called with each key while active. */
  readonly onKey: (input: string, key: Key) => void;
}

/**
 * The confirmation prompt.
 *
 * @param props the action, target and key callback
 * @returns the element
 */
export function ConfirmPrompt({ action, pid, query, isActive, onKey }: ConfirmPromptProps) {
  useInput(onKey, { isActive });
  const what = action === "cancel" ? "Cancel the query of backend" : "Terminate backend";
  return (
    <Text wrap="truncate-end">
      <Text color="red" bold>{`${what} ${pid}?`}</Text>
      {" (y/N) "}
      <Text dimColor>{query ?? ""}</Text>
    </Text>
  );
}
