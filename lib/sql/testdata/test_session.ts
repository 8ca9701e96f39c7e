/**
 * test_session.ts — a session of the SQL layer for unit tests: real
 * settings, transaction block and statement execution, without a backend
 * process around it.
 *
 * PostgreSQL counterpart: none (test harness).
 *
 * NOTES
 * The session's identity is the bootstrap superuser in database postgres
 * unless told otherwise. Processes and signals are absent (no other
 * backend, sleeps return at once). Shared memory and the data directory
 * are real when a test gives them (`process`: a segment made with lib/shmem
 * and a catalog written by lib/catalog); without them, reading `ctx` throws,
 * so a test that should not touch shared memory cannot do so by accident.
 *
 * @module
 */

import { GucSettings } from "../../config/mod.ts";
import type { BackendActivity, ExecSession, SessionProcess, SqlNotice } from "../exec_context.ts";
import { SessionGucs } from "../session_gucs.ts";
import { type PlannedStatement, planQuery, type StatementEnv } from "../statement.ts";
import { requireTypeOid, type TypeIoContext } from "../types.ts";
import { TransactionBlock } from "../xact_block.ts";

/** Who the test session is, and what it can reach. */
export interface TestSessionOptions {
  readonly userName?: string;
  readonly userOid?: number;
  readonly isSuperuser?: boolean;
  /** The process's data directory and segment; omitted: the session has none. */
  readonly process?: SessionProcess;
  /** What pg_stat_activity lists (default: nothing). */
  readonly activity?: () => BackendActivity[];
}

/**
 * Makes a session and its statement environment.
 *
 * @param options identity and surroundings
 * @returns the environment and the notices it collects
 */
export function testSession(options: TestSessionOptions = {}): { env: StatementEnv; notices: SqlNotice[] } {
  const notices: SqlNotice[] = [];
  const isSuperuser = options.isSuperuser ?? true;
  const userName = options.userName ?? "postgres";
  const gucs = new SessionGucs(GucSettings.defaults(), { isSuperuser, userName });
  const xact = new TransactionBlock((n) => notices.push(n), (c) => gucs.atEndOfTransaction(c));
  const session: ExecSession = {
    get ctx(): SessionProcess {
      if (options.process === undefined) {
        throw new Error("this test session has no process (shared memory, data directory)");
      }
      return options.process;
    },
    get io(): TypeIoContext {
      return {
        timeZone: String(gucs.value("TimeZone")),
        extraFloatDigits: Number(gucs.value("extra_float_digits")),
        nowTs: xact.startTs,
      };
    },
    backendPid: 4242,
    userName,
    userOid: options.userOid ?? 10,
    isSuperuser,
    databaseName: "postgres",
    databaseOid: 5,
    statementStartTs: 0n,
    get transactionStartTs() {
      return xact.startTs;
    },
    showSetting: (n) => gucs.show(n),
    setSetting: (n, v, l) => gucs.set(n, v, { isLocal: l, inTransaction: xact.inTransaction }),
    showAllSettings: () => gucs.showAll(),
    sleep: () => Promise.resolve(),
    checkForInterrupts: () => {},
    listActivity: options.activity ?? ((): BackendActivity[] => []),
    signalBackend: () => "no-such-backend",
    waitForBackendExit: () => Promise.resolve(true),
    requestCheckpoint: () => Promise.resolve(),
    alterRolePassword: () => Promise.resolve(),
    notice: (n) => notices.push(n),
  };
  return { env: { session, xact, gucs }, notices };
}

/**
 * Plans and runs one statement in the session, as the backend does.
 *
 * @param env the session's environment
 * @param sql one statement
 * @returns the plan and the rows in their text form (null for NULL)
 */
export async function runStatement(
  env: StatementEnv,
  sql: string,
): Promise<{ plan: PlannedStatement; rows: (string | null)[][] }> {
  const [plan] = planQuery(sql);
  if (plan.planError !== undefined) throw plan.planError;
  env.xact.startCommand();
  const r = await plan.execute(env, []);
  env.xact.finishCommand();
  const rows = (r.rows ?? []).map((row) =>
    row.map((v, i) => (v === null ? null : requireTypeOid(plan.columns![i].type).output(v, env.session.io)))
  );
  return { plan, rows };
}
