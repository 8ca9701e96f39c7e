/**
 * The postmaster: listeners, children, state machine, crash reset, pid
 * file, connection hand-off, and the plumbing its children share. See
 * README.md.
 *
 * @module
 */
export { type ChildArgs, type ChildContext, type ChildSignal, type ChildSignalFlags } from "./aux_process.ts";
export { autovacuumLauncherMain } from "./autovacuum.ts";
export { childMain, parseChildArgs } from "./child_main.ts";
export {
  CHILD_BACKEND_TYPES,
  CHILD_PROC_NAMES,
  CHILD_TYPES,
  type ChildType,
  describeChildExit,
  SERVER_PERMISSION_FLAGS,
} from "./child_process.ts";
export { checkDataDir, OPTS_FILE_NAME, validatePgVersion } from "./data_dir.ts";
export { type CacState, type ClientConnection } from "./handoff.ts";
export {
  LOCK_FILE_LINE,
  parsePidFile,
  PID_FILE_NAME,
  type PidFileContents,
  PM_STATUS,
  type PmStatus,
  processExists,
  readPidFile,
} from "./pid_file.ts";
export { PM_STATE_TRANSITIONS, type PMState, updatePmState } from "./pm_state.ts";
export { postmasterMain, type PostmasterOptions } from "./postmaster.ts";
export { initPsDisplay, PS_TITLE_PREFIX, setKernelProcessName, setPsDisplay } from "./ps_status.ts";
export { serverCommandMain } from "./server_command.ts";
