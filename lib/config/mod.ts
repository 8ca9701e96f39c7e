/**
 * Configuration: the parameter table, postgresql.conf parsing, values and
 * effective settings. See README.md.
 *
 * @module
 */
export { type ConfEntry, type ConfSyntaxError, deescapeQuotedString, parseConfFile } from "./conf_file.ts";
export {
  type BoolGuc,
  type EnumGuc,
  findGuc,
  GUC_DEFINITIONS,
  type GucContext,
  type GucDefinition,
  type GucName,
  type GucUnit,
  type IntGuc,
  type RealGuc,
  type StringGuc,
} from "./guc_tables.ts";
export { formatGucValue, type GucValue, parseBool, parseGucValue } from "./guc_values.ts";
export {
  checkGucOption,
  type ConfigError,
  ConfigFileError,
  type GucOption,
  gucOptionsFromEnvironment,
  type GucSetting,
  GucSettings,
  type GucSource,
  loadSettings,
  type ReloadOutcome,
  reloadSettings,
} from "./settings.ts";
