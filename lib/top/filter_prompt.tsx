/**
 * filter_prompt.tsx — the `/` prompt: the filter as it is typed.
 *
 * PostgreSQL counterpart: none; pg_activity's filter.
 *
 * NOTES
 * Takes the keyboard while editing (`useInput({ isActive })`); the key logic
 * is filterKey() in keys.ts. The filter applies as typed.
 *
 * @module
 */

import { type Key, Text, useInput } from "ink";

const _CURSOR = " ";
const _HINT = "  (Enter keeps, Esc clears)";

/** Props of {@link FilterPrompt}. */
export interface FilterPromptProps {
  readonly filter: string;
  /** Whether the prompt has the keyboard. */
  readonly isActive: boolean;
  /** Called with each key while active. */
  readonly onKey: (input: string, key: Key) => void;
}

/**
 * The filter prompt.
 *
 * @param props the filter text, focus and key callback
 * @returns the element
 */
export function FilterPrompt({ filter, isActive, onKey }: FilterPromptProps) {
  useInput(onKey, { isActive });
  return (
    <Text>
      <Text bold>filter:</Text>
      {` ${filter}`}
      <Text inverse>{_CURSOR}</Text>
      <Text dimColor>{_HINT}</Text>
    </Text>
  );
}
