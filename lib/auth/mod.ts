/**
 * Client authentication: pg_hba.conf, SCRAM-SHA-256 and the password
 * methods. See README.md.
 *
 * @module
 */
export { AuthFailedError, type AuthPort, clientAuthentication } from "./client_auth.ts";
export {
  checkHba,
  HBA_LINE_MAX_BYTES,
  HBA_LINES_MAX,
  type HbaConnection,
  type HbaError,
  type HbaLine,
  type HbaMethod,
  parseHbaFile,
} from "./hba.ts";
export {
  parseScramVerifier,
  saslPrep,
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_DEFAULT_SALT_BYTES,
  scramBuildVerifier,
  type ScramVerifier,
  scramVerifyPlainPassword,
} from "./scram.ts";
export { SCRAM_RAW_NONCE_BYTES, ScramExchange } from "./scram_exchange.ts";
