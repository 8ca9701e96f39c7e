/**
 * xact_block.ts — the transaction-block state machine of a session: BEGIN,
 * COMMIT, ROLLBACK, implicit blocks of multi-statement queries, and the
 * aborted state.
 *
 * PostgreSQL counterpart: the TBlockState machine of
 * src/backend/access/transam/xact.c (StartTransactionCommand,
 * CommitTransactionCommand, BeginTransactionBlock, EndTransactionBlock,
 * UserAbortTransactionBlock, BeginImplicitTransactionBlock,
 * AbortCurrentTransaction) — the block logic only; transaction ids and
 * commit records belong to lib/xact and are not needed until tables exist.
 *
 * NOTES
 * States keep PostgreSQL's names (abridged: no subtransactions):
 * - `default`: no transaction;
 * - `started`: a single-statement transaction is running;
 * - `inprogress`: inside BEGIN … COMMIT;
 * - `implicit`: a multi-statement simple query's implicit block;
 * - `abort`: an explicit block failed; only ROLLBACK/COMMIT are accepted.
 * Transitions are in {@link XACT_TRANSITIONS} and go through one function
 * that asserts them. Warnings go to the caller's notice sink with
 * PostgreSQL's wording (25001, 25P01).
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { SqlError, SqlState } from "../common/errors.ts";
import { type Timestamptz, timestamptzNow } from "./datetime.ts";
import type { SqlNotice } from "./exec_context.ts";

/** A session's transaction-block state (PostgreSQL's TBlockState, abridged). */
export type XactBlockState = "default" | "started" | "inprogress" | "implicit" | "abort";

/** Legal transitions. */
export const XACT_TRANSITIONS: Readonly<Record<XactBlockState, readonly XactBlockState[]>> = {
  default: ["started"],
  started: ["default", "inprogress", "implicit"],
  inprogress: ["default", "abort", "inprogress"],
  implicit: ["default", "inprogress"],
  abort: ["default", "inprogress"],
};

/**
 * One session's transaction block.
 *
 * @example
 * ```ts
 * const x = new TransactionBlock((n) => send(n), (c) => gucs.atEndOfTransaction(c));
 * x.startCommand(); x.begin(); x.finishCommand(); // 'T'
 * ```
 */
export class TransactionBlock {
  #state: XactBlockState = "default";
  #startTs: Timestamptz = 0n;
  readonly #notice: (n: SqlNotice) => void;
  readonly #atEnd: (committed: boolean) => void;

  /**
   * @param notice receives warnings
   * @param atEnd called once when a transaction ends (GUC undo, statistics): at COMMIT or ROLLBACK, or when an error
   *   fails an explicit block (AbortTransaction), not again at that block's ROLLBACK (CleanupTransaction)
   */
  constructor(notice: (n: SqlNotice) => void, atEnd: (committed: boolean) => void) {
    this.#notice = notice;
    this.#atEnd = atEnd;
  }

  /** @returns the current state */
  get state(): XactBlockState {
    return this.#state;
  }

  /** @returns start of the current transaction (now()) */
  get startTs(): Timestamptz {
    return this.#startTs;
  }

  /** @returns true inside BEGIN … COMMIT or an implicit block (IsTransactionBlock) */
  get inBlock(): boolean {
    return this.#state !== "default" && this.#state !== "started";
  }

  /** @returns true while a transaction is open (including a failed block) */
  get inTransaction(): boolean {
    return this.#state !== "default";
  }

  /** @returns ReadyForQuery's status: I idle, T in a block, E failed block */
  get readyStatus(): "I" | "T" | "E" {
    if (this.#state === "abort") return "E";
    return this.inBlock ? "T" : "I";
  }

  #go(to: XactBlockState): void {
    assert(XACT_TRANSITIONS[this.#state].includes(to), `transaction block ${this.#state} -> ${to}`);
    this.#state = to;
  }

  /** Leaves the transaction; a failed block already ran `atEnd(false)` when it failed, as PostgreSQL's abort does. */
  #end(committed: boolean): void {
    const failed = this.#state === "abort";
    this.#go("default");
    if (!failed) this.#atEnd(committed);
  }

  /**
   * Before each statement (StartTransactionCommand): opens a transaction if none is open.
   *
   * @param nowTs the statement's start time, which a transaction it opens takes as its own (as PostgreSQL's
   *   StartTransaction takes stmtStartTimestamp); omitted: the clock is read
   */
  startCommand(nowTs?: Timestamptz): void {
    if (this.#state !== "default") return;
    this.#startTs = nowTs ?? timestamptzNow();
    this.#go("started");
  }

  /** Makes the running single-statement transaction an implicit block (multi-statement queries). */
  beginImplicit(): void {
    if (this.#state === "started") this.#go("implicit");
  }

  /**
   * After a statement (CommitTransactionCommand): a single-statement
   * transaction commits; blocks stay open.
   */
  finishCommand(): void {
    if (this.#state === "started") this.#end(true);
  }

  /** Ends an implicit block at the end of a multi-statement query (EndImplicitTransactionBlock + commit). */
  endImplicit(): void {
    if (this.#state === "implicit") this.#end(true);
    else this.finishCommand();
  }

  /** BEGIN / START TRANSACTION. */
  begin(): void {
    if (this.#state === "started" || this.#state === "implicit") {
      this.#go("inprogress");
      return;
    }
    this.#notice({
      severity: "WARNING",
      code: SqlState.ACTIVE_SQL_TRANSACTION,
      message: "there is already a transaction in progress",
    });
  }

  /**
   * COMMIT / END.
   *
   * @param chain AND CHAIN: start a new block at once
   * @returns the command tag: COMMIT, or ROLLBACK when the block had failed
   */
  commit(chain: boolean): string {
    switch (this.#state) {
      case "inprogress":
        this.#end(true);
        if (chain) this.#reopen();
        return "COMMIT";
      case "abort":
        this.#end(false);
        if (chain) this.#reopen();
        return "ROLLBACK";
      default:
        this.#noTransaction(chain, "COMMIT");
        if (this.#state === "implicit") this.#end(true);
        return "COMMIT";
    }
  }

  /**
   * ROLLBACK / ABORT.
   *
   * @param chain AND CHAIN
   * @returns the command tag
   */
  rollback(chain: boolean): string {
    if (this.#state === "inprogress" || this.#state === "abort") {
      this.#end(false);
      if (chain) this.#reopen();
      return "ROLLBACK";
    }
    this.#noTransaction(chain, "ROLLBACK");
    if (this.#state === "implicit") this.#end(false);
    return "ROLLBACK";
  }

  #noTransaction(chain: boolean, what: string): void {
    if (chain) {
      throw new SqlError(
        SqlState.NO_ACTIVE_SQL_TRANSACTION,
        `${what} AND CHAIN can only be used in transaction blocks`,
      );
    }
    this.#notice({
      severity: "WARNING",
      code: SqlState.NO_ACTIVE_SQL_TRANSACTION,
      message: "there is no transaction in progress",
    });
  }

  #reopen(): void {
    this.startCommand();
    this.#go("inprogress");
  }

  /**
   * Checks that a statement that needs a block (SAVEPOINT, SET LOCAL's
   * warning…) is in one.
   *
   * @param what the statement's name for the message
   * @throws {SqlError} 25P01 `SAVEPOINT can only be used in transaction blocks`
   */
  requireBlock(what: string): void {
    if (!this.inBlock) {
      throw new SqlError(SqlState.NO_ACTIVE_SQL_TRANSACTION, `${what} can only be used in transaction blocks`);
    }
  }

  /**
   * After an error (AbortCurrentTransaction): an explicit block enters
   * `abort`; anything else rolls back.
   */
  abortCurrent(): void {
    switch (this.#state) {
      case "inprogress":
        this.#go("abort");
        this.#atEnd(false);
        return;
      case "started":
      case "implicit":
        this.#end(false);
        return;
      default:
        return;
    }
  }
}
