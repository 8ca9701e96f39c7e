/**
 * pm_state.ts — the postmaster's state machine, as data.
 *
 * PostgreSQL counterpart: the PMState enum and the transitions made in
 * PostmasterStateMachine(), reaper(), pmdie() and HandleChildCrash() of
 * src/backend/postmaster/postmaster.c (PostgreSQL 17 added the single
 * updatePMState() that logs each change; we do the same).
 *
 * NOTES
 * Transitions, in prose: PM_INIT -> PM_STARTUP when the startup process is
 * launched. PM_STARTUP -> PM_RUN when it exits 0 (the background processes
 * start and the pid file says `ready`). A shutdown request during startup
 * goes to PM_STOP_BACKENDS; in PM_RUN, fast shutdown goes to
 * PM_STOP_BACKENDS at once and smart shutdown once no client backend is left.
 * PM_STOP_BACKENDS is a one-step state: it signals every child but the
 * checkpointer and goes to PM_WAIT_BACKENDS. When they are gone the
 * checkpointer is told (SIGUSR2) to write the shutdown checkpoint:
 * PM_SHUTDOWN; its exit 0 gives PM_SHUTDOWN_2, then PM_WAIT_DEAD_END (no new
 * connections are taken) and PM_NO_CHILDREN, where the postmaster exits.
 * A crash (or an immediate shutdown) from any live state goes to
 * PM_WAIT_BACKENDS with every child SIGQUIT'd, then PM_WAIT_DEAD_END and
 * PM_NO_CHILDREN, from which a crash reset starts over at PM_STARTUP.
 * PostgreSQL's PM_RECOVERY and PM_HOT_STANDBY (archive recovery, standby)
 * have no counterpart: denogres has no replication. Only the postmaster's
 * main loop calls {@link updatePmState}.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { elog } from "../log/mod.ts";

/**
 * The postmaster's states (PostgreSQL's names):
 * - `PM_INIT`: postmaster starting;
 * - `PM_STARTUP`: waiting for the startup process (crash recovery);
 * - `PM_RUN`: normal "database is alive" state;
 * - `PM_STOP_BACKENDS`: need to stop remaining backends (transient);
 * - `PM_WAIT_BACKENDS`: waiting for live backends to exit;
 * - `PM_SHUTDOWN`: waiting for the checkpointer's shutdown checkpoint;
 * - `PM_SHUTDOWN_2`: checkpointer done, waiting for the last children;
 * - `PM_WAIT_DEAD_END`: waiting for dead-end children (connections refused in a non-running state) to exit;
 * - `PM_NO_CHILDREN`: all important children have exited.
 */
export type PMState =
  | "PM_INIT"
  | "PM_STARTUP"
  | "PM_RUN"
  | "PM_STOP_BACKENDS"
  | "PM_WAIT_BACKENDS"
  | "PM_SHUTDOWN"
  | "PM_SHUTDOWN_2"
  | "PM_WAIT_DEAD_END"
  | "PM_NO_CHILDREN";

/** Legal transitions: from each state, the states it may move to. */
export const PM_STATE_TRANSITIONS: Readonly<Record<PMState, readonly PMState[]>> = {
  PM_INIT: ["PM_STARTUP"],
  PM_STARTUP: ["PM_RUN", "PM_STOP_BACKENDS", "PM_WAIT_BACKENDS"],
  PM_RUN: ["PM_STOP_BACKENDS", "PM_WAIT_BACKENDS"],
  PM_STOP_BACKENDS: ["PM_WAIT_BACKENDS"],
  PM_WAIT_BACKENDS: ["PM_SHUTDOWN", "PM_WAIT_DEAD_END"],
  PM_SHUTDOWN: ["PM_SHUTDOWN_2", "PM_WAIT_BACKENDS"],
  PM_SHUTDOWN_2: ["PM_WAIT_DEAD_END", "PM_WAIT_BACKENDS"],
  PM_WAIT_DEAD_END: ["PM_NO_CHILDREN", "PM_WAIT_BACKENDS"],
  PM_NO_CHILDREN: ["PM_STARTUP", "PM_WAIT_BACKENDS"],
};

/**
 * Moves the state machine, asserting that the transition is legal, and logs
 * it at DEBUG1 as PostgreSQL 17 does (`updating PMState from X to Y`).
 * Setting the current state again is a no-op.
 *
 * @param from the current state
 * @param to the next state
 * @returns `to`
 */
export function updatePmState(from: PMState, to: PMState): PMState {
  if (from === to) return to;
  assert(PM_STATE_TRANSITIONS[from].includes(to), `illegal PMState transition ${from} -> ${to}`);
  elog("DEBUG1", `updating PMState from ${from} to ${to}`);
  return to;
}
