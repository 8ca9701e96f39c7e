/**
 * conf_files.ts — the text of the configuration files initdb writes:
 * postgresql.conf (generated from the parameter table), postgresql.auto.conf
 * and pg_hba.conf.
 *
 * PostgreSQL counterpart: setup_config() in src/bin/initdb/initdb.c with
 * src/backend/utils/misc/postgresql.conf.sample and
 * src/backend/libpq/pg_hba.conf.sample.
 *
 * NOTES
 * postgresql.conf lists every parameter of lib/config's GUC_DEFINITIONS that
 * a file may set (not the `internal` ones, nor the per-session ones marked
 * `notInSample`), grouped by section in
 * PostgreSQL's order, commented out with its default and its description;
 * the values initdb chooses are written uncommented. The file is read back
 * with lib/config's own reader right after it is written (initdbMain), so a
 * value this module cannot spell in the file's syntax is caught at initdb
 * time, not at server start. Pure text; no I/O.
 *
 * @module
 */

import { findGuc, formatGucValue, GUC_DEFINITIONS, type GucDefinition, type GucValue } from "../config/mod.ts";
import { assert } from "../common/assert.ts";
import type { AuthMethod } from "./options.ts";

/** Section order of postgresql.conf.sample; groups not listed here follow in table order. */
const _SECTION_ORDER = [
  "File Locations",
  "Connections and Authentication",
  "Resource Usage",
  "Write-Ahead Log",
  "Replication",
  "Query Tuning",
  "Reporting and Logging",
  "Process Title",
  "Statistics",
  "Autovacuum",
  "Client Connection Defaults",
  "Lock Management",
  "Version and Platform Compatibility",
  "Error Handling",
];
/** Column of the `# description` comments. */
const _COMMENT_COLUMN = 40;
/** WAL sizes initdb writes, in segments (PostgreSQL's DEFAULT_MIN_WAL_SEGS, DEFAULT_MAX_WAL_SEGS). */
const _MIN_WAL_SEGMENTS = 5;
const _MAX_WAL_SEGMENTS = 64;

/** A parameter value initdb sets explicitly in postgresql.conf. */
export interface ChosenSetting {
  /** Parameter name as spelled in GUC_DEFINITIONS. */
  readonly name: string;
  /** Typed value, in the parameter's base unit. */
  readonly value: GucValue;
}

function _default(name: string): GucValue {
  const def = findGuc(name);
  assert(def !== undefined, `parameter ${name} is defined`);
  return def.default;
}

/**
 * The values initdb writes uncommented, as PostgreSQL's initdb does:
 * connection and buffer sizes, WAL sizes scaled to the segment size, the
 * shared-memory implementation, time zones, date style, locales and the text
 * search configuration. denogres does not probe the system for them
 * (PostgreSQL probes System V limits that POSIX shared memory does not have).
 *
 * @param walSegmentSizeBytes the cluster's WAL segment size
 * @returns the settings, in the order they appear in the file
 */
export function initdbChosenSettings(walSegmentSizeBytes: number): ChosenSetting[] {
  const segMb = walSegmentSizeBytes / (1024 * 1024);
  return [
    { name: "max_connections", value: _default("max_connections") },
    { name: "shared_buffers", value: _default("shared_buffers") },
    { name: "dynamic_shared_memory_type", value: "posix" },
    { name: "max_wal_size", value: _MAX_WAL_SEGMENTS * segMb },
    { name: "min_wal_size", value: _MIN_WAL_SEGMENTS * segMb },
    { name: "log_timezone", value: _default("log_timezone") },
    { name: "DateStyle", value: _default("DateStyle") },
    { name: "TimeZone", value: _default("TimeZone") },
    { name: "lc_messages", value: "C" },
    { name: "lc_monetary", value: "C" },
    { name: "lc_numeric", value: "C" },
    { name: "lc_time", value: "C" },
    { name: "default_text_search_config", value: "pg_catalog.english" },
  ];
}

/**
 * Spells a value in postgresql.conf's syntax: units where they divide
 * exactly (`128MB`, `5min`), octal for permissions, single quotes (with `''`
 * and `\\` escaped) for strings and for enum values that are not one word.
 *
 * @param def the parameter
 * @param value its typed value
 * @returns the text to write after `name = `
 */
export function confValueText(def: GucDefinition, value: GucValue): string {
  const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
  switch (def.type) {
    case "bool":
    case "real":
      return formatGucValue(def, value);
    case "int":
      return def.name.endsWith("_permissions") ? `0${(value as number).toString(8)}` : formatGucValue(def, value);
    case "enum":
      return /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(value)) ? String(value) : quote(String(value));
    case "string":
      return quote(String(value));
  }
}

function _paramLines(def: GucDefinition, chosen: ReadonlyMap<string, GucValue>): string[] {
  const value = chosen.get(def.name);
  const assignment = `${value === undefined ? "#" : ""}${def.name.toLowerCase()} = ${
    confValueText(def, value ?? def.default)
  }`;
  const pad = assignment.length < _COMMENT_COLUMN - 1 ? assignment.padEnd(_COMMENT_COLUMN) : `${assignment}  `;
  const lines = [`${pad}# ${def.description}`];
  if (def.context === "postmaster") lines.push(`${" ".repeat(_COMMENT_COLUMN)}# (change requires restart)`);
  return lines;
}

const _CONF_HEADER = `# -----------------------------
# denogres configuration file
# -----------------------------
#
# Written by initdb. One setting per line:
#
#   name = value
#
# (The "=" is optional.) "#" starts a comment, anywhere on a line. Strings go
# in single quotes ('' for a quote inside one). Every parameter denogres knows
# is listed below, commented out and showing its default; the values initdb
# chose are set. Re-commenting a line does not restore the default until the
# server reloads its configuration.
#
# The server reads this file at start and when it receives SIGHUP
# ("ctl reload -D DATADIR"). Parameters marked "(change requires restart)"
# take effect only when the server restarts. postgresql.auto.conf, read after
# this file, overrides it; "-c name=value" options of the server override both.
#
# Memory units:  B  = bytes            Time units:  us  = microseconds
#                kB = kilobytes                     ms  = milliseconds
#                MB = megabytes                     s   = seconds
#                GB = gigabytes                     min = minutes
#                TB = terabytes                     h   = hours
#                                                   d   = days
`;

/**
 * The text of postgresql.conf: a header, then every settable parameter by
 * section, commented out with its default unless initdb chose its value.
 *
 * @param chosen values to set, from {@link initdbChosenSettings}
 * @returns the file's contents
 */
export function postgresqlConfText(chosen: readonly ChosenSetting[]): string {
  const chosenByName = new Map(chosen.map((c) => [c.name, c.value]));
  const groups = new Map<string, GucDefinition[]>();
  for (const def of GUC_DEFINITIONS as readonly GucDefinition[]) {
    if (def.context === "internal" || def.notInSample) continue;
    groups.set(def.group, [...(groups.get(def.group) ?? []), def]);
  }
  for (const c of chosen) {
    assert(findGuc(c.name)?.context !== "internal", `initdb never sets internal parameter ${c.name}`);
  }
  const rank = (group: string) => {
    const i = _SECTION_ORDER.indexOf(group);
    return i < 0 ? _SECTION_ORDER.length : i;
  };
  // Array sort is stable: sections PostgreSQL does not have keep their table order, at the end.
  const sections = [...groups.keys()].sort((a, b) => rank(a) - rank(b));
  let text = _CONF_HEADER;
  for (const section of sections) {
    const rule = `#${"-".repeat(78)}`;
    text += `\n\n${rule}\n# ${section.toUpperCase()}\n${rule}\n\n`;
    text += groups.get(section)!.flatMap((def) => _paramLines(def, chosenByName)).join("\n") + "\n";
  }
  return text;
}

/** The text of postgresql.auto.conf, PostgreSQL's header (ALTER SYSTEM rewrites the file). */
export const POSTGRESQL_AUTO_CONF_TEXT = "# Do not edit this file manually!\n" +
  "# It will be overwritten by the ALTER SYSTEM command.\n";

const _HBA_HEADER = `# denogres Client Authentication Configuration File
# ==================================================
#
# Which clients may connect, as which users, to which databases, and how they
# prove who they are. Records have one of these forms:
#
# local         DATABASE  USER  METHOD  [OPTIONS]
# host          DATABASE  USER  ADDRESS  METHOD  [OPTIONS]
#
# (The uppercase items are replaced by actual values.)
#
# "local" matches connections over the Unix-domain socket, "host" matches
# TCP/IP connections.
#
# DATABASE is "all", a database name, or a comma-separated list of names.
# USER is "all", a user name, or a comma-separated list of names.
#
# ADDRESS is an IP address with a CIDR mask length (127.0.0.1/32, ::1/128,
# 10.0.0.0/8), which matches the hosts whose address agrees in those leading
# bits.
#
# METHOD is "trust" (no password), "reject", "scram-sha-256", "md5" or
# "password" (sends the password in clear text; prefer "scram-sha-256").
#
# The first record that matches a connection's type, client address, database
# and user decides; if none matches, the connection is refused.
#
# The server reads this file at start and when it receives SIGHUP
# ("ctl reload -D DATADIR").
`;

const _HBA_TRUST_CAUTION = `
# CAUTION: Configuring the system for local "trust" authentication
# allows any local user to connect as any denogres user, including
# the database superuser.  If you do not trust all your local users,
# use another authentication method.
`;

/**
 * The text of pg_hba.conf: PostgreSQL's commented template and the local
 * (Unix socket) and host (127.0.0.1/32, ::1/128) records.
 *
 * @param authLocal method for the `local` record
 * @param authHost method for the two `host` records
 * @returns the file's contents
 */
export function pgHbaConfText(authLocal: AuthMethod, authHost: AuthMethod): string {
  const row = (type: string, address: string, method: string) =>
    `${type.padEnd(8)}${"all".padEnd(16)}${"all".padEnd(16)}${address.padEnd(24)}${method}`.trimEnd();
  const caution = authLocal === "trust" || authHost === "trust" ? _HBA_TRUST_CAUTION : "";
  return `${_HBA_HEADER}${caution}

# TYPE  DATABASE        USER            ADDRESS                 METHOD

# "local" is for Unix domain socket connections only
${row("local", "", authLocal)}
# IPv4 local connections:
${row("host", "127.0.0.1/32", authHost)}
# IPv6 local connections:
${row("host", "::1/128", authHost)}
`;
}
