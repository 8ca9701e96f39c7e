/**
 * snapshot_schema.ts — the JSON Schema of `top --json`'s output: the
 * documented contract for scripts.
 *
 * PostgreSQL counterpart: none (the column lists of pg_stat_activity,
 * pg_stat_bgwriter and pg_stat_wal, which scripts rely on in the same way).
 *
 * NOTES
 * Mirrors the types in snapshot.ts field for field; README.md embeds this
 * schema verbatim and a test checks that they are the same text, and another
 * that live and fixture snapshots validate against it. An incompatible change
 * bumps TOP_SNAPSHOT_SCHEMA_VERSION (the `schemaVersion` const below).
 *
 * @module
 */

import { TOP_SNAPSHOT_SCHEMA_VERSION } from "./snapshot.ts";

const _int = { type: "integer", minimum: 0 } as const;
const _num = { type: "number", minimum: 0 } as const;
const _intOrNull = { type: ["integer", "null"], minimum: 0 } as const;
const _numOrNull = { type: ["number", "null"], minimum: 0 } as const;
const _str = { type: "string" } as const;
const _strOrNull = { type: ["string", "null"] } as const;
const _time = { type: "string", format: "date-time" } as const;
const _timeOrNull = { type: ["string", "null"], format: "date-time" } as const;
const _lsnOrNull = { type: ["string", "null"], pattern: "^[0-9A-F]{1,8}/[0-9A-F]{1,8}$" } as const;

function _object(properties: Record<string, unknown>) {
  return { type: "object", additionalProperties: false, required: Object.keys(properties), properties } as const;
}

function _nullable(schema: Record<string, unknown>) {
  return { anyOf: [{ type: "null" }, schema] } as const;
}

const _ioRates = _object({ readsPerS: _num, writesPerS: _num, evictionsPerS: _num });

/** JSON Schema (draft 2020-12) of one `top --json` snapshot. */
export const TOP_SNAPSHOT_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "denogres top snapshot",
  ..._object({
    schemaVersion: { const: TOP_SNAPSHOT_SCHEMA_VERSION },
    takenAt: _time,
    intervalMs: _int,
    dataDir: _str,
    status: { enum: ["running", "no server", "unreadable"] },
    notices: { type: "array", items: _str },
    server: _nullable(_object({
      pid: _int,
      startedAt: _time,
      uptimeS: _num,
      port: _int,
      socketDir: _str,
      listenAddresses: _str,
      shmemName: _str,
      generation: _intOrNull,
      state: { enum: ["starting", "in recovery", "ready", "shutting down"] },
      connectionsUsed: _int,
      connectionsMax: _intOrNull,
      transactionsPerS: _numOrNull,
      commitsTotal: _intOrNull,
      rollbacksTotal: _intOrNull,
    })),
    processes: {
      type: "array",
      items: _object({
        pid: _int,
        parentPid: _intOrNull,
        backendType: _str,
        background: { type: "boolean" },
        inProcArray: { type: "boolean" },
        state: _strOrNull,
        waitEventType: _strOrNull,
        waitEvent: _strOrNull,
        stateDurationS: _numOrNull,
        user: _strOrNull,
        database: _strOrNull,
        applicationName: _strOrNull,
        clientAddr: _strOrNull,
        clientPort: { type: ["integer", "null"], minimum: -1 },
        backendStartedAt: _timeOrNull,
        xactStartedAt: _timeOrNull,
        queryStartedAt: _timeOrNull,
        query: _strOrNull,
        cpuPercent: _numOrNull,
        rssBytes: _intOrNull,
      }),
    },
    buffers: _nullable(_object({
      sizeBuffers: _int,
      blockSizeBytes: _int,
      usedBuffers: _intOrNull,
      dirtyBuffers: _intOrNull,
      pinnedBuffers: _intOrNull,
      usageCountHistogram: _nullable({ type: "array", items: _int, minItems: 6, maxItems: 6 }),
      hitRatio: { type: ["number", "null"], minimum: 0, maximum: 1 },
      rates: _nullable(_object({ backends: _ioRates, bgwriter: _ioRates, checkpointer: _ioRates })),
    })),
    wal: _nullable(_object({
      insertLsn: _lsnOrNull,
      flushLsn: _lsnOrNull,
      bytesPerS: _numOrNull,
      fsyncsPerS: _numOrNull,
      recordsPerS: _numOrNull,
    })),
    checkpoints: _nullable(_object({
      timed: _int,
      requested: _int,
      lastAt: _timeOrNull,
      lastDurationMs: _numOrNull,
      buffersWritten: _intOrNull,
    })),
  }),
} as const;
