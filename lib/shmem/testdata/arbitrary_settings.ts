/**
 * arbitrary_settings.ts — fast-check generator of valid configurations for
 * the layout property tests.
 *
 * PostgreSQL counterpart: none (test harness).
 *
 * @module
 */

import fc from "fast-check";
import { SqlError } from "../../common/errors.ts";
import { GUC_DEFINITIONS, type GucName, GucSettings, type IntGuc } from "../../config/mod.ts";

/** Every integer parameter fixed at server start (those can size shared memory), with its range. */
const _SIZING = GUC_DEFINITIONS.filter((d): d is IntGuc & typeof d => d.type === "int" && d.context === "postmaster");

/** A value of a range: often small (realistic), sometimes anywhere, sometimes an end. */
function _value(min: number, max: number): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min, max: Math.min(max, min + 1000) }),
    fc.integer({ min, max }),
    fc.constantFrom(min, max),
  );
}

/** Any valid configuration of the parameters that can size shared memory. */
export const arbitrarySettings: fc.Arbitrary<GucSettings> = fc
  .tuple(..._SIZING.map((d) => _value(d.min, d.max)))
  .map((values) =>
    values.reduce((s, v, i) => s.with(_SIZING[i].name as GucName, v, "command line"), GucSettings.defaults())
  );

/**
 * @param e an error from computeShmemLayout
 * @returns whether it is a limit PostgreSQL also refuses a configuration for
 */
export function isConfigurationLimit(e: unknown): boolean {
  return e instanceof SqlError &&
    ["requested shared memory size overflows size_t", "too many backends configured"].includes(e.message);
}
