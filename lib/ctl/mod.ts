/**
 * `ctl`: pg_ctl for denogres. See README.md.
 *
 * @module
 */
export { CTL_DEFAULT_WAIT_SECS, ctlMain } from "./ctl_main.ts";
