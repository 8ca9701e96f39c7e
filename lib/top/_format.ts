/**
 * _format.ts — how `top` writes numbers, sizes and durations in columns of
 * fixed width.
 *
 * PostgreSQL counterpart: pg_size_pretty() (units of 1024, "kB") and psql's
 * interval display, abridged for columns.
 *
 * NOTES
 * Pure functions of their arguments, no allocation beyond the returned string,
 * so a frame of a hundred rows costs a few hundred short strings.
 *
 * @module
 */

const _SIZE_UNITS = ["B", "kB", "MB", "GB", "TB"] as const;

/**
 * Formats a byte count as pg_size_pretty() does, shortened: `812 B`, `7.8 kB`, `128 MB`.
 *
 * @param bytes a count of bytes
 * @returns the text, at most 7 characters for sizes below 1000 TB
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < _SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const whole = unit === 0 || Math.abs(value) >= 10 || Number.isInteger(value);
  const text = whole ? Math.round(value).toString() : value.toFixed(1);
  return `${text} ${_SIZE_UNITS[unit]}`;
}

/**
 * Formats a duration in seconds compactly: `4.2s`, `59s`, `3m12s`, `2h03m`, `3d04h`.
 *
 * @param seconds a non-negative duration
 * @returns the text, at most 6 characters
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${_two(Math.floor(s % 60))}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${_two(m % 60)}m`;
  return `${Math.floor(h / 24)}d${_two(h % 24)}h`;
}

/**
 * Formats an uptime as `[Nd ]HH:MM:SS`.
 *
 * @param seconds a non-negative duration
 * @returns the text
 */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const hms = `${_two(Math.floor(s / 3600) % 24)}:${_two(Math.floor(s / 60) % 60)}:${_two(s % 60)}`;
  return days > 0 ? `${days}d ${hms}` : hms;
}

/**
 * Formats a rate: one decimal below 100, none above, `-` when unknown.
 *
 * @param perS events per second, or null
 * @returns the text
 */
export function formatRate(perS: number | null): string {
  if (perS === null) return "-";
  return perS < 100 ? perS.toFixed(1) : Math.round(perS).toString();
}

/**
 * Formats a fraction 0..1 as a percentage with one decimal, `-` when unknown.
 *
 * @param ratio the fraction, or null
 * @returns the text, e.g. `99.2%`
 */
export function formatRatio(ratio: number | null): string {
  return ratio === null ? "-" : `${(ratio * 100).toFixed(1)}%`;
}

/**
 * Makes `text` exactly `width` columns: cut with `…` when longer, padded with
 * spaces when shorter (on the left when `alignRight`). Runs of white space
 * (newlines in a query) become one space first.
 *
 * @param text the text
 * @param width the column width (0 gives "")
 * @param alignRight pad on the left, for numbers
 * @returns the fitted text
 */
export function fit(text: string, width: number, alignRight = false): string {
  if (width <= 0) return "";
  const flat = /\s\s|[\n\r\t]/.test(text) ? text.replace(/\s+/g, " ") : text;
  if (flat.length > width) return width === 1 ? "…" : `${flat.slice(0, width - 1)}…`;
  return alignRight ? flat.padStart(width) : flat.padEnd(width);
}

function _two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}
