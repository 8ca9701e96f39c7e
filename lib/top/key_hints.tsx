/**
 * key_hints.tsx — the bottom line: a message if there is one, else the keys.
 *
 * PostgreSQL counterpart: none; pg_top's bottom line.
 *
 * NOTES
 * Display only.
 *
 * @module
 */

import { Text } from "ink";
import type { SortColumn } from "./process_view.ts";

/** Props of {@link KeyHints}. */
export interface KeyHintsProps {
  /** One line of feedback, shown instead of the hints; null when none. */
  readonly message: string | null;
  readonly sortColumn: SortColumn;
  readonly filter: string;
  readonly hideIdle: boolean;
}

/**
 * The key hints line.
 *
 * @param props the message and the current view settings
 * @returns the element
 */
export function KeyHints({ message, sortColumn, filter, hideIdle }: KeyHintsProps) {
  if (message !== null) return <Text color="yellow" wrap="truncate-end">{message}</Text>;
  const filterHint = filter === "" ? "" : ` "${filter}"`;
  return (
    <Text dimColor wrap="truncate-end">
      {`q quit  space pause  +/- interval  ↑↓ select  s sort:${sortColumn}  / filter${filterHint}  i idle:${
        hideIdle ? "hidden" : "shown"
      }  c cancel  K terminate  ? help`}
    </Text>
  );
}
