/**
 * help_panel.tsx — the key reference shown by `?`; any key closes it.
 *
 * PostgreSQL counterpart: none; pg_top's and pg_activity's help screens.
 *
 * NOTES
 * Takes the keyboard while shown (`useInput({ isActive })`); the key logic is
 * helpKey() in keys.ts.
 *
 * @module
 */

import { Box, type Key, Text, useInput } from "ink";

/** Props of {@link HelpPanel}. */
export interface HelpPanelProps {
  /** Whether this panel has the keyboard. */
  readonly isActive: boolean;
  /** Called with each key while active. */
  readonly onKey: (input: string, key: Key) => void;
}

const _KEYS: readonly (readonly [string, string])[] = [
  ["q", "quit"],
  ["space", "pause / resume the refresh"],
  ["+ / -", "refresh less / more often"],
  ["↑ ↓ / k j", "select a process"],
  ["s", "cycle the sort column (pid, cpu, rss, time in state)"],
  ["/", "filter (pid, type, state, user, database, application, client, query); Enter keeps, Esc clears"],
  ["i", "hide / show idle sessions"],
  ["c", "cancel the selected backend's query (SIGINT, as pg_cancel_backend), after y"],
  ["K", "terminate the selected backend (SIGTERM, as pg_terminate_backend), after y"],
  ["?", "this help; any key closes it"],
];

/**
 * The help panel.
 *
 * @param props focus and key callback
 * @returns the element
 */
export function HelpPanel({ isActive, onKey }: HelpPanelProps) {
  useInput(onKey, { isActive });
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} alignSelf="flex-start">
      <Text bold>Keys</Text>
      {_KEYS.map(([k, what]) => (
        <Text key={k}>
          <Text bold>{k.padEnd(11)}</Text>
          {what}
        </Text>
      ))}
      <Text dimColor>Press any key to close.</Text>
    </Box>
  );
}
