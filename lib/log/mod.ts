/**
 * Server logging in PostgreSQL's shape. See README.md.
 *
 * @module
 */
export {
  configureLogging,
  elog,
  expandLogLinePrefix,
  formatLogTime,
  type LogFields,
  type LoggingOptions,
  type LogLevel,
  logLevelEnabled,
  type LogProcessInfo,
  setLogProcessInfo,
} from "./elog.ts";
