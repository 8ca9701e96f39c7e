/**
 * stats.ts — medians and the denogres / PostgreSQL ratio.
 *
 * PostgreSQL counterpart: none.
 *
 * NOTES
 * The median, not the mean: the machines are shared and a single slow
 * round (another tenant's burst) must not move the result. The ratio is
 * always denogres / PostgreSQL of the medians; whether above 1 is good
 * depends on the workload's `better`.
 *
 * @module
 */

/**
 * Median of the samples (mean of the middle two for an even count).
 *
 * @param samples numbers, at least one
 * @returns the median
 * @throws {RangeError} on an empty list
 */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError("median of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * denogres / PostgreSQL, or undefined when either is missing or the
 * reference is zero.
 *
 * @param candidate denogres's median
 * @param reference PostgreSQL's median
 * @returns the ratio
 */
export function ratio(candidate: number | undefined, reference: number | undefined): number | undefined {
  if (candidate === undefined || reference === undefined || reference === 0) return undefined;
  return candidate / reference;
}

/**
 * A short verdict: how far denogres is from PostgreSQL in the workload's
 * better direction, e.g. "3.2× slower", "1.4× better", "even".
 *
 * @param r the ratio denogres / PostgreSQL
 * @param better which direction is better
 * @param unit the workload's unit (memory reads "larger/smaller")
 * @returns the verdict
 */
export function verdict(r: number | undefined, better: "higher" | "lower", unit: string): string {
  if (r === undefined || !Number.isFinite(r)) return "";
  const factor = better === "higher" ? 1 / r : r; // > 1 means denogres is worse
  if (factor > 0.95 && factor < 1.05) return "even";
  const memory = /B$/.test(unit);
  const worse = memory ? "larger" : "slower";
  const betterWord = memory ? "smaller" : "faster";
  return factor >= 1 ? `${_fmtFactor(factor)}× ${worse}` : `${_fmtFactor(1 / factor)}× ${betterWord}`;
}

function _fmtFactor(f: number): string {
  return f >= 10 ? f.toFixed(0) : f.toFixed(1);
}

/**
 * Formats a measured number with sensible precision for a table.
 *
 * @param n the number
 * @returns text
 */
export function formatNumber(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "-";
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString("en-US");
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
