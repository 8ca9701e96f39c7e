/**
 * expr_node.ts — the typed expression tree the analyzer builds and the
 * executor evaluates, and the helpers that build evaluable nodes.
 *
 * PostgreSQL counterpart: primnodes.h (Const, Param, OpExpr, FuncExpr, …)
 * and execExprInterp.c; here each node carries a closure that evaluates it.
 *
 * NOTES
 * Evaluation is synchronous except where a function waits (pg_sleep): a
 * node's `ev` returns a Datum, or a Promise of one when a waiting function
 * is beneath it. The helpers below propagate that without paying for a
 * promise on the common, synchronous path. Strict nodes return NULL when any
 * input is NULL, as PostgreSQL's strict functions.
 *
 * @module
 */

import { SqlError } from "../common/errors.ts";
import type { ExecSession } from "./exec_context.ts";
import type { Datum } from "./types.ts";

/** The result of evaluating a node. */
export type EvalResult = Datum | Promise<Datum>;

/** What an evaluation sees: the session, bound parameters, the current row (FROM pg_stat_activity). */
export interface EvalContext {
  readonly s: ExecSession;
  readonly params: readonly Datum[];
  row: readonly Datum[] | null;
}

/** A typed, evaluable expression. */
export interface ExprNode {
  /** Result type oid. */
  readonly type: number;
  /** Result typmod (-1 none). */
  readonly typmod: number;
  /** 0-based offset in the query text, -1 when unknown. */
  readonly location: number;
  /** Evaluates the node. */
  readonly ev: (ec: EvalContext) => EvalResult;
  /** For an untyped string literal (type unknown): its text. */
  readonly literal?: string;
  /** For a parameter whose type is not known yet: its number (1-based). */
  readonly paramNo?: number;
  /** True when the value does not depend on the row, parameters or time. */
  readonly isConst?: boolean;
  /**
   * The error that folding a constant subexpression at plan time raised (here or beneath), as PostgreSQL's planner
   * evaluates immutable functions of constants (eval_const_expressions): the statement fails when it is planned — at
   * Bind, or before a simple query's RowDescription — not at Parse or Describe. The node still raises it if evaluated.
   */
  readonly foldError?: SqlError;
  /**
   * True when the value depends only on constants and parameters through immutable operations: PostgreSQL's custom
   * plan (built at Bind with the parameters' values) would fold it. A short cut that such a node decides (COALESCE,
   * CASE, AND/OR) cannot be taken or ruled out before Bind, so folding errors behind it are left to run time.
   */
  readonly bindConst?: boolean;
}

/** @returns a constant node */
export function constNode(type: number, typmod: number, value: Datum, location: number, literal?: string): ExprNode {
  return { type, typmod, location, ev: () => value, literal, isConst: true };
}

/** @returns the first plan-time error among the nodes, in order */
export function firstFoldError(nodes: readonly (ExprNode | undefined)[]): SqlError | undefined {
  for (const n of nodes) if (n?.foldError !== undefined) return n.foldError;
  return undefined;
}

/** What a fold evaluates with: immutable operations read neither the session, the parameters nor a row. */
const _FOLD_CONTEXT = null as unknown as EvalContext;

/**
 * Plan-time simplification of one node over its arguments, as
 * eval_const_expressions: a node over an argument whose folding failed
 * carries that error; an immutable operation whose arguments are all
 * constants is evaluated now and becomes a constant, or carries the error
 * it raised. Anything else is returned as is.
 *
 * @param node the node built over `args`
 * @param args its arguments, in evaluation order
 * @param immutable true when the operation depends only on its arguments (not on the session, time or a row)
 * @returns the folded node
 */
export function foldNode(node: ExprNode, args: readonly ExprNode[], immutable: boolean): ExprNode {
  const inherited = firstFoldError(args);
  if (inherited !== undefined) return { ...node, foldError: inherited };
  if (!immutable) return node;
  let allConst = true;
  for (const a of args) {
    if (a.isConst === true) continue;
    if (a.bindConst !== true) return node;
    allConst = false;
  }
  return allConst ? foldNow(node) : { ...node, bindConst: true };
}

/**
 * Evaluates a node whose inputs are all constant, now.
 *
 * @param node an immutable node over constants
 * @returns a constant, or the node carrying the error its evaluation raised
 */
export function foldNow(node: ExprNode): ExprNode {
  let v: EvalResult;
  try {
    v = node.ev(_FOLD_CONTEXT);
  } catch (e) {
    // Anything but a SqlError means the node needed a context after all: leave it to run time.
    return e instanceof SqlError ? { ...node, isConst: false, foldError: e } : node;
  }
  if (v instanceof Promise) return node;
  return constNode(node.type, node.typmod, v, node.location);
}

/** Continues with `f` once `r` is a value. */
export function andThen(r: EvalResult, f: (v: Datum) => EvalResult): EvalResult {
  return r instanceof Promise ? r.then(f) : f(r);
}

/**
 * Builds a strict node of one argument: NULL in, NULL out.
 *
 * @param type result type
 * @param arg the argument
 * @param fn the operation on a non-null value
 * @param location for errors
 * @returns the node
 */
export function strict1(type: number, arg: ExprNode, fn: (a: NonNullable<Datum>) => Datum, location: number): ExprNode {
  const ev = arg.ev;
  return {
    type,
    typmod: -1,
    location,
    ev: (ec) => {
      const a = ev(ec);
      if (a instanceof Promise) return a.then((x) => (x === null ? null : fn(x)));
      return a === null ? null : fn(a);
    },
  };
}

/**
 * Builds a strict node of two arguments.
 *
 * @param type result type
 * @param l left argument
 * @param r right argument
 * @param fn the operation on non-null values
 * @param location for errors
 * @returns the node
 */
export function strict2(
  type: number,
  l: ExprNode,
  r: ExprNode,
  fn: (a: NonNullable<Datum>, b: NonNullable<Datum>, ec: EvalContext) => Datum,
  location: number,
): ExprNode {
  const le = l.ev;
  const re = r.ev;
  return {
    type,
    typmod: -1,
    location,
    ev: (ec) => {
      const a = le(ec);
      if (a instanceof Promise) {
        return a.then((x) => andThen(re(ec), (y) => (x === null || y === null ? null : fn(x, y, ec))));
      }
      const b = re(ec);
      if (b instanceof Promise) return b.then((y) => (a === null || y === null ? null : fn(a, y, ec)));
      return a === null || b === null ? null : fn(a, b, ec);
    },
  };
}

/**
 * Evaluates arguments left to right, then calls `fn` with the values.
 *
 * @param args the argument nodes
 * @param ec the context
 * @param fn receives the values
 * @returns fn's result
 */
export function evalArgs(
  args: readonly ExprNode[],
  ec: EvalContext,
  fn: (vals: Datum[]) => EvalResult,
): EvalResult {
  const vals: Datum[] = new Array(args.length);
  for (let i = 0; i < args.length; i++) {
    const r = args[i].ev(ec);
    if (r instanceof Promise) return _evalArgsAsync(args, ec, vals, i, r, fn);
    vals[i] = r;
  }
  return fn(vals);
}

async function _evalArgsAsync(
  args: readonly ExprNode[],
  ec: EvalContext,
  vals: Datum[],
  i: number,
  first: Promise<Datum>,
  fn: (vals: Datum[]) => EvalResult,
): Promise<Datum> {
  vals[i] = await first;
  for (let j = i + 1; j < args.length; j++) vals[j] = await args[j].ev(ec);
  return await fn(vals);
}
