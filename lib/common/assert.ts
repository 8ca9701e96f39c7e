/**
 * assert.ts — assertions: documentation that runs.
 *
 * PostgreSQL counterpart: Assert() and ExceptionalCondition() in
 * src/backend/utils/error/assert.c.
 *
 * NOTES
 * A failed assertion means the process's view of the world is wrong; going on
 * could corrupt shared memory or a page. It throws `AssertionError`, which no
 * code may catch and continue from: each process's top level logs it as
 * PostgreSQL's `TRAP:` line and aborts, and the postmaster then treats the
 * death as a child crash (shared-memory reset). Expected operating errors
 * (bad input, a full disk, a client hang-up) are handled, never asserted.
 *
 * @module
 */

/** A broken invariant. Never caught to continue; see the module notes. */
export class AssertionError extends Error {
  /** @param message the condition that failed, as text */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/**
 * Asserts that `condition` holds; otherwise throws {@link AssertionError}.
 * Keep each assertion to one condition (`assert(a); assert(b)`), so a failure
 * says which one.
 *
 * @param condition what must be true
 * @param message what was expected, shown in the TRAP line
 * @example
 * ```ts
 * assert(pinCount > 0, "buffer is pinned");
 * ```
 */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * Marks a branch that cannot be reached, e.g. the default of an exhaustive
 * switch over a string-literal union (the argument's type is `never`).
 *
 * @param value the value that was not handled
 * @returns never
 */
export function unreachable(value: never): never {
  throw new AssertionError(`unreachable: ${JSON.stringify(value)}`);
}
