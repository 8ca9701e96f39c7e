/**
 * elog.ts — server logging in PostgreSQL's shape, on @logtape/logtape.
 *
 * PostgreSQL counterpart: src/backend/utils/error/elog.c (log_line_prefix,
 * send_message_to_server_log).
 *
 * NOTES
 * Every process of a cluster logs to its own stderr, which the postmaster's
 * children inherit, so one file (or terminal) collects the whole cluster's log
 * in order of writing, as with PostgreSQL's stderr logging. Lines are written
 * synchronously: a line logged just before a crash is never lost in a buffer.
 * Filtering by `log_min_messages` uses PostgreSQL's order for the server log,
 * where LOG ranks between ERROR and FATAL.
 *
 * @module
 */

import { configureSync, getLogger, type LogRecord, resetSync, type Sink } from "@logtape/logtape";
import { getFileSink } from "@logtape/file";

/** Message levels, as PostgreSQL's elevels. */
export type LogLevel =
  | "DEBUG5"
  | "DEBUG4"
  | "DEBUG3"
  | "DEBUG2"
  | "DEBUG1"
  | "LOG"
  | "INFO"
  | "NOTICE"
  | "WARNING"
  | "ERROR"
  | "FATAL"
  | "PANIC";

// Rank for the server log (is_log_level_output): LOG sits between ERROR and FATAL.
const _SERVER_RANK: Record<LogLevel, number> = {
  DEBUG5: 0,
  DEBUG4: 1,
  DEBUG3: 2,
  DEBUG2: 3,
  DEBUG1: 4,
  INFO: 5,
  NOTICE: 6,
  WARNING: 7,
  ERROR: 8,
  LOG: 9,
  FATAL: 10,
  PANIC: 11,
};

const _LOGTAPE_LEVEL = {
  DEBUG5: "trace",
  DEBUG4: "trace",
  DEBUG3: "trace",
  DEBUG2: "debug",
  DEBUG1: "debug",
  LOG: "info",
  INFO: "info",
  NOTICE: "info",
  WARNING: "warning",
  ERROR: "error",
  FATAL: "fatal",
  PANIC: "fatal",
} as const;

/** Who is logging: fills the `log_line_prefix` escapes. Set by each process as it learns them. */
export interface LogProcessInfo {
  /** `%b`: backend type, e.g. `postmaster`, `checkpointer`, `client backend`. */
  backendType: string;
  /** `%u`: user name. */
  user?: string;
  /** `%d`: database name. */
  database?: string;
  /** `%a`: application name. */
  applicationName?: string;
  /** `%h`: remote host. */
  remoteHost?: string;
  /** `%r` port part. */
  remotePort?: number;
  /** Session start, for `%s` and `%c`. */
  sessionStartMs?: number;
}

/** Options for {@link configureLogging}. */
export interface LoggingOptions {
  /** `log_line_prefix`; default `'%m [%p] '`. */
  logLinePrefix?: string;
  /** `log_min_messages` (lower case, as the parameter); default `warning`. */
  logMinMessages?: string;
  /** Write to this file (appending) instead of stderr. */
  file?: string;
}

/** Extra fields of a log message. */
export interface LogFields {
  detail?: string;
  hint?: string;
  /** SQLSTATE, for `%e`. */
  sqlstate?: string;
  /** Where the message arose (errcontext), logged as `CONTEXT:` after HINT. */
  context?: string;
  /** The statement being run, logged as `STATEMENT:` after an error. */
  statement?: string;
}

const _state = {
  prefix: "%m [%p] ",
  minRank: _SERVER_RANK.WARNING,
  lineNumber: 0,
  configured: false,
  info: { backendType: "postmaster" } as LogProcessInfo,
};
const _encoder = new TextEncoder();

function _writeAllSync(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}

function _lineOf(record: LogRecord): string {
  return String(record.properties.line);
}

const _stderrSink: Sink = (record: LogRecord) => _writeAllSync(_encoder.encode(_lineOf(record)));

function _pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats a time as PostgreSQL's `%m` in UTC: `2026-11-25 12:00:00.123 UTC`.
 *
 * @param ms epoch milliseconds
 * @param withMs include milliseconds (`%m`) or not (`%t`)
 * @returns the text
 */
export function formatLogTime(ms: number, withMs = true): string {
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}-${_pad(d.getUTCMonth() + 1)}-${_pad(d.getUTCDate())} ` +
    `${_pad(d.getUTCHours())}:${_pad(d.getUTCMinutes())}:${_pad(d.getUTCSeconds())}`;
  return `${base}${withMs ? `.${_pad(d.getUTCMilliseconds(), 3)}` : ""} UTC`;
}

/**
 * Expands a `log_line_prefix` as PostgreSQL's log_line_prefix(): `%m %t %p %b
 * %u %d %a %h %r %l %s %c %e %%`; an unknown escape is dropped.
 *
 * @param prefix the template
 * @param info the process's identity
 * @param nowMs the time of the message
 * @param sqlstate SQLSTATE for `%e` (default `00000`)
 * @returns the expanded prefix
 */
export function expandLogLinePrefix(prefix: string, info: LogProcessInfo, nowMs: number, sqlstate = "00000"): string {
  const start = info.sessionStartMs ?? nowMs;
  return prefix.replace(/%(.)/g, (_m, c: string) => {
    switch (c) {
      case "m":
        return formatLogTime(nowMs);
      case "t":
        return formatLogTime(nowMs, false);
      case "p":
        return String(Deno.pid);
      case "b":
        return info.backendType;
      case "u":
        return info.user ?? "";
      case "d":
        return info.database ?? "";
      case "a":
        return info.applicationName ?? "";
      case "h":
        return info.remoteHost ?? "";
      case "r":
        return info.remoteHost === undefined ? "" : `${info.remoteHost}(${info.remotePort ?? ""})`;
      case "l":
        return String(_state.lineNumber);
      case "s":
        return formatLogTime(start, false);
      case "c":
        return `${Math.floor(start / 1000).toString(16)}.${Deno.pid.toString(16)}`;
      case "e":
        return sqlstate;
      case "%":
        return "%";
      default:
        return "";
    }
  });
}

/**
 * Sets up logging for this process. Call once at process start and again on
 * reload; it replaces the previous configuration.
 *
 * @param options prefix, minimum level, destination
 */
export function configureLogging(options: LoggingOptions = {}): void {
  _state.prefix = options.logLinePrefix ?? "%m [%p] ";
  const min = (options.logMinMessages ?? "warning").toUpperCase() as LogLevel;
  if (!(min in _SERVER_RANK)) throw new RangeError(`Unknown log level "${options.logMinMessages}"`);
  _state.minRank = _SERVER_RANK[min];
  const sink = options.file === undefined ? _stderrSink : getFileSink(options.file, {
    formatter: _lineOf,
    bufferSize: 0,
  });
  resetSync();
  configureSync({
    reset: true,
    sinks: { server: sink },
    loggers: [
      { category: ["denogres"], sinks: ["server"], lowestLevel: "trace" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  _state.configured = true;
}

/**
 * Records who this process is, for the prefix escapes.
 *
 * @param info fields to set (merged into the current ones)
 */
export function setLogProcessInfo(info: Partial<LogProcessInfo>): void {
  _state.info = { ..._state.info, ...info };
}

/**
 * Tells whether a message at `level` would be written, so callers can skip
 * building expensive DEBUG text.
 *
 * @param level the message level
 * @returns true when it passes `log_min_messages`
 */
export function logLevelEnabled(level: LogLevel): boolean {
  return _SERVER_RANK[level] >= _state.minRank;
}

/**
 * Writes one message to the server log, as PostgreSQL's `elog`/`ereport`:
 * `2026-11-25 12:00:00.123 UTC [1234] LOG:  message`, then DETAIL, HINT,
 * CONTEXT and STATEMENT lines with the same prefix; a newline inside any of
 * them is followed by a tab (append_with_tabs).
 *
 * @param level the message level
 * @param message the primary message, PostgreSQL's wording
 * @param fields detail, hint, context, SQLSTATE, statement
 * @example
 * ```ts
 * elog("LOG", "database system is ready to accept connections");
 * ```
 */
export function elog(level: LogLevel, message: string, fields: LogFields = {}): void {
  if (!logLevelEnabled(level)) return;
  if (!_state.configured) configureLogging();
  _state.lineNumber++;
  const prefix = expandLogLinePrefix(_state.prefix, _state.info, Date.now(), fields.sqlstate);
  let text = `${prefix}${level}:  ${_withTabs(message)}\n`;
  if (fields.detail !== undefined) text += `${prefix}DETAIL:  ${_withTabs(fields.detail)}\n`;
  if (fields.hint !== undefined) text += `${prefix}HINT:  ${_withTabs(fields.hint)}\n`;
  if (fields.context !== undefined) text += `${prefix}CONTEXT:  ${_withTabs(fields.context)}\n`;
  if (fields.statement !== undefined) text += `${prefix}STATEMENT:  ${_withTabs(fields.statement)}\n`;
  getLogger(["denogres"])[_LOGTAPE_LEVEL[level]]("{line}", { line: text, pgLevel: level });
}

/**
 * append_with_tabs: a tab after every newline inside a field, so a
 * multi-line query or detail still reads as one message (a continuation line
 * starts with a tab, never with something that looks like a prefix).
 */
function _withTabs(text: string): string {
  return text.includes("\n") ? text.replaceAll("\n", "\n\t") : text;
}
