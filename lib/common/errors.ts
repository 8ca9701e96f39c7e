/**
 * errors.ts — the error type that carries a SQLSTATE, and the error levels.
 *
 * PostgreSQL counterpart: src/backend/utils/error/elog.c (ereport) and
 * src/backend/utils/errcodes.txt.
 *
 * NOTES
 * An `SqlError` is what reaches a client as an ErrorResponse or a log line as
 * `ERROR:`/`FATAL:`/`PANIC:`. Its message follows PostgreSQL's wording: lower
 * case, no trailing period. Misuse of an internal API is a `TypeError` or
 * `RangeError`, and a broken invariant is an `AssertionError` (see assert.ts):
 * neither of those is ever shown to a client as if it were a SQL error.
 *
 * @module
 */

/** Error severities, as PostgreSQL's ereport() levels that end a command. */
export type ErrorSeverity = "ERROR" | "FATAL" | "PANIC";

/** Optional fields of an error, as in PostgreSQL's ErrorResponse. */
export interface SqlErrorFields {
  /** `ERROR` (default), `FATAL` (ends the session) or `PANIC` (ends the cluster). */
  severity?: ErrorSeverity;
  /** Secondary message with more detail (errdetail). */
  detail?: string;
  /** Suggestion of what to do (errhint). */
  hint?: string;
  /** 1-based character position in the query text (errposition). */
  position?: number;
  /** Where it happened (errcontext), e.g. `unnamed portal parameter $1`. */
  context?: string;
  /** Underlying cause, kept for logs. */
  cause?: unknown;
}

/**
 * An error with a SQLSTATE, in PostgreSQL's wording.
 *
 * @example
 * ```ts
 * throw new SqlError(SqlState.TOO_MANY_CONNECTIONS, "sorry, too many clients already", { severity: "FATAL" });
 * ```
 */
export class SqlError extends Error {
  /** Five-character SQLSTATE code, e.g. `"57014"`. */
  readonly sqlstate: string;
  /** Severity: `ERROR`, `FATAL` or `PANIC`. */
  readonly severity: ErrorSeverity;
  /** errdetail, if any. */
  readonly detail?: string;
  /** errhint, if any. */
  readonly hint?: string;
  /** errposition, if any (1-based). */
  readonly position?: number;
  /** errcontext, if any. */
  readonly context?: string;

  /**
   * @param sqlstate five-character SQLSTATE (see {@link SqlState})
   * @param message primary message, PostgreSQL's wording
   * @param fields severity, detail, hint, position, context, cause
   */
  constructor(sqlstate: string, message: string, fields: SqlErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    if (!/^[0-9A-Z]{5}$/.test(sqlstate)) {
      throw new TypeError(`Invalid SQLSTATE "${sqlstate}"`);
    }
    this.name = "SqlError";
    this.sqlstate = sqlstate;
    this.severity = fields.severity ?? "ERROR";
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.position = fields.position;
    this.context = fields.context;
  }
}

/**
 * SQLSTATE codes used by denogres, named as in PostgreSQL's errcodes.txt.
 * Add a code here (never a bare string at the call site) when a new error needs one.
 */
export const SqlState = {
  SUCCESSFUL_COMPLETION: "00000",
  WARNING: "01000",
  CONNECTION_EXCEPTION: "08000",
  CONNECTION_FAILURE: "08006",
  PROTOCOL_VIOLATION: "08P01",
  FEATURE_NOT_SUPPORTED: "0A000",
  INVALID_AUTHORIZATION_SPECIFICATION: "28000",
  INVALID_PASSWORD: "28P01",
  ACTIVE_SQL_TRANSACTION: "25001",
  NO_ACTIVE_SQL_TRANSACTION: "25P01",
  IN_FAILED_SQL_TRANSACTION: "25P02",
  READ_ONLY_SQL_TRANSACTION: "25006",
  INVALID_TRANSACTION_STATE: "25000",
  INVALID_SQL_STATEMENT_NAME: "26000",
  INVALID_CURSOR_NAME: "34000",
  DATA_EXCEPTION: "22000",
  DIVISION_BY_ZERO: "22012",
  NUMERIC_VALUE_OUT_OF_RANGE: "22003",
  INVALID_TEXT_REPRESENTATION: "22P02",
  INVALID_PARAMETER_VALUE: "22023",
  INVALID_BINARY_REPRESENTATION: "22P03",
  STRING_DATA_RIGHT_TRUNCATION: "22001",
  DATETIME_FIELD_OVERFLOW: "22008",
  INVALID_DATETIME_FORMAT: "22007",
  NULL_VALUE_NOT_ALLOWED: "22004",
  SYNTAX_ERROR: "42601",
  INSUFFICIENT_PRIVILEGE: "42501",
  UNDEFINED_FUNCTION: "42883",
  UNDEFINED_TABLE: "42P01",
  UNDEFINED_COLUMN: "42703",
  UNDEFINED_OBJECT: "42704",
  UNDEFINED_PARAMETER: "42P02",
  DUPLICATE_PREPARED_STATEMENT: "42P05",
  DUPLICATE_CURSOR: "42P03",
  DUPLICATE_OBJECT: "42710",
  DATATYPE_MISMATCH: "42804",
  AMBIGUOUS_FUNCTION: "42725",
  INDETERMINATE_DATATYPE: "42P18",
  AMBIGUOUS_PARAMETER: "42P08",
  NAME_TOO_LONG: "42622",
  CANNOT_COERCE: "42846",
  CHARACTER_NOT_IN_REPERTOIRE: "22021",
  AMBIGUOUS_COLUMN: "42702",
  INVALID_ROW_COUNT_IN_LIMIT_CLAUSE: "2201W",
  INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE: "2201X",
  INVALID_COLUMN_REFERENCE: "42P10",
  INVALID_SCHEMA_NAME: "3F000",
  RESERVED_NAME: "42939",
  INVALID_ARGUMENT_FOR_POWER_FUNCTION: "2201F",
  INVALID_ESCAPE_SEQUENCE: "22025",
  INVALID_REGULAR_EXPRESSION: "2201B",
  CANT_CHANGE_RUNTIME_PARAM: "55P02",
  OBJECT_NOT_IN_PREREQUISITE_STATE: "55000",
  INVALID_CATALOG_NAME: "3D000",
  INSUFFICIENT_RESOURCES: "53000",
  OUT_OF_MEMORY: "53200",
  TOO_MANY_CONNECTIONS: "53300",
  PROGRAM_LIMIT_EXCEEDED: "54000",
  QUERY_CANCELED: "57014",
  LOCK_NOT_AVAILABLE: "55P03",
  T_R_DEADLOCK_DETECTED: "40P01",
  ADMIN_SHUTDOWN: "57P01",
  IDLE_SESSION_TIMEOUT: "57P05",
  IDLE_IN_TRANSACTION_SESSION_TIMEOUT: "25P03",
  CRASH_SHUTDOWN: "57P02",
  CANNOT_CONNECT_NOW: "57P03",
  IO_ERROR: "58030",
  UNDEFINED_FILE: "58P01",
  DUPLICATE_FILE: "58P02",
  DISK_FULL: "53100",
  DATA_CORRUPTED: "XX001",
  INDEX_CORRUPTED: "XX002",
  INTERNAL_ERROR: "XX000",
  CONFIG_FILE_ERROR: "F0000",
  LOCK_FILE_EXISTS: "F0001",
} as const;
