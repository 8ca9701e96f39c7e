/**
 * Transaction ids, commit and abort, and commit status in pg_xact. See README.md.
 *
 * @module
 */
export {
  BOOTSTRAP_TRANSACTION_ID,
  FIRST_NORMAL_OBJECT_ID,
  FIRST_NORMAL_TRANSACTION_ID,
  FROZEN_TRANSACTION_ID,
  INVALID_TRANSACTION_ID,
  type TransactionId,
  transactionIdIsNormal,
  transactionIdPrecedes,
} from "./transam.ts";
export { getNewTransactionId, readNextFullTransactionId } from "./varsup.ts";
export {
  abortTransaction,
  type CommitOptions,
  commitTransaction,
  transactionIdDidAbort,
  transactionIdDidCommit,
  transactionIdStatus,
} from "./xact.ts";
export { type XidStatus } from "./clog_page.ts";
