/**
 * transam.ts — transaction id constants and comparisons.
 *
 * PostgreSQL counterpart: src/include/access/transam.h and
 * src/backend/access/transam/transam.c (TransactionIdPrecedes).
 *
 * NOTES
 * A TransactionId is an unsigned 32-bit number; the shared counter is a
 * 64-bit FullTransactionId (epoch in the high half) so it never wraps. Normal
 * ids compare modulo 2^32 (a window of 2^31 on either side), as PostgreSQL's.
 * Pure.
 *
 * @module
 */

/** A 32-bit transaction id. */
export type TransactionId = number;
/** No transaction (InvalidTransactionId). */
export const INVALID_TRANSACTION_ID = 0;
/** The bootstrap transaction: always committed (BootstrapTransactionId). */
export const BOOTSTRAP_TRANSACTION_ID = 1;
/** Frozen: committed and older than every snapshot (FrozenTransactionId). */
export const FROZEN_TRANSACTION_ID = 2;
/** The first id handed to a real transaction (FirstNormalTransactionId). */
export const FIRST_NORMAL_TRANSACTION_ID = 3;
/** First OID for user objects (FirstNormalObjectId); new clusters start their OID counter here. */
export const FIRST_NORMAL_OBJECT_ID = 16384;

/** @returns whether `xid` is a normal (not special) transaction id */
export function transactionIdIsNormal(xid: TransactionId): boolean {
  return xid >= FIRST_NORMAL_TRANSACTION_ID;
}

/**
 * Compares two transaction ids as PostgreSQL does (TransactionIdPrecedes):
 * special ids by value, normal ones modulo 2^32.
 *
 * @param a an id
 * @param b another
 * @returns whether `a` is logically older than `b`
 */
export function transactionIdPrecedes(a: TransactionId, b: TransactionId): boolean {
  if (!transactionIdIsNormal(a) || !transactionIdIsNormal(b)) return a < b;
  return ((a - b) | 0) < 0;
}

/**
 * @param full a FullTransactionId
 * @returns its 32-bit TransactionId (XidFromFullTransactionId)
 */
export function xidFromFullTransactionId(full: bigint): TransactionId {
  return Number(full & 0xffffffffn);
}
