/**
 * initdb: creates a new database cluster (data directory). See README.md.
 *
 * @module
 */
export { initdbMain } from "./initdb_main.ts";
export { InitdbError } from "./initdb_error.ts";
export {
  AUTH_METHODS,
  type AuthMethod,
  type InitdbOptions,
  initdbProgram,
  type InitdbRawOptions,
  resolveInitdbOptions,
} from "./options.ts";
export { DATA_SUBDIRECTORIES } from "./layout.ts";
