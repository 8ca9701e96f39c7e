/**
 * sessions.ts — opening many protocol sessions for a workload while
 * counting, not hiding, the ones that fail.
 *
 * PostgreSQL counterpart: none.
 *
 * NOTES
 * A workload that opens hundreds of connections should not lose its whole
 * sample to one reset connection, nor pretend it did not happen: failures
 * are counted, the first error kept, and {@link ConnectTally.settle}
 * turns them into a warning shown with the results, or into an error when
 * more than {@link CONNECT_FAILURES_MAX_SHARE} of the attempts failed.
 *
 * @module
 */

import type { Cluster } from "./cluster.ts";
import type { RunContext } from "./workload.ts";
import { type ConnectPhases, WireSession } from "./wire.ts";

/** Largest share of failed connection attempts a sample survives. */
export const CONNECT_FAILURES_MAX_SHARE = 0.05;

/** Counts connection attempts and failures of one measurement. */
export class ConnectTally {
  attempts = 0;
  failures = 0;
  firstError: string | undefined;

  /**
   * Opens one session; a failure is counted and yields undefined.
   *
   * @param t the cluster
   * @returns the session and its phase times, or undefined when it failed
   */
  async open(t: Cluster): Promise<{ session: WireSession; phases: ConnectPhases } | undefined> {
    this.attempts++;
    try {
      return await WireSession.open(t.host, t.port, t.user, t.database);
    } catch (e) {
      this.failures++;
      this.firstError ??= e instanceof Error ? e.message : String(e);
      return undefined;
    }
  }

  /**
   * Reports the failures: nothing, a warning, or an error.
   *
   * @param ctx the workload's context (for `warn`)
   * @throws {Error} when too many attempts failed for the sample to mean anything
   */
  settle(ctx: Pick<RunContext, "warn">): void {
    if (this.failures === 0) return;
    const text = `${this.failures} of ${this.attempts} connection attempts failed (first: ${this.firstError})`;
    if (this.failures > this.attempts * CONNECT_FAILURES_MAX_SHARE) throw new Error(text);
    ctx.warn(text);
  }
}
