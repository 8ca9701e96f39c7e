/**
 * crash_verify.ts — checks, from the files alone, what the storage crash
 * tests promise after recovery: every reported commit present and committed,
 * no reported abort committed, no entry replayed twice, every page passing
 * its checksum.
 *
 * @module
 */

import { BLOCK_SIZE_BYTES } from "../../common/limits.ts";
import { CLOG_PAGE_BYTES, clogGetStatus, clogPageLocation, clogPageNo, type XidStatus } from "../../xact/clog_page.ts";
import { pageGetLower, pageIsNew, pageVerify } from "../page.ts";
import { ENTRY_BYTES, entryCheck } from "./crash_worker.ts";

/** An outcome a worker reported after its commit or abort call returned. */
export interface Reported {
  kind: "C" | "A";
  xid: number;
  block: number;
  seq: number;
  worker: number;
}

/** An entry found on a page. */
export interface Entry {
  worker: number;
  xid: number;
  seq: number;
  block: number;
}

/**
 * Parses workers' output lines.
 *
 * @param lines `C xid block seq worker` / `A xid block seq worker`
 * @returns the outcomes (incomplete last lines are skipped)
 */
export function parseReported(lines: readonly string[]): Reported[] {
  const out: Reported[] = [];
  for (const l of lines) {
    const m = /^([CA]) (\d+) (\d+) (\d+) (\d+)$/.exec(l);
    if (m) {
      out.push({
        kind: m[1] as "C" | "A",
        xid: Number(m[2]),
        block: Number(m[3]),
        seq: Number(m[4]),
        worker: Number(m[5]),
      });
    }
  }
  return out;
}

/**
 * Reads a relation file's pages, verifying each page's checksum and header
 * and each entry's check word.
 *
 * @param path the file
 * @returns the entries, and a list of problems
 */
export function readEntries(path: string): { entries: Entry[]; problems: string[]; pages: number } {
  const problems: string[] = [];
  const entries: Entry[] = [];
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { entries, problems, pages: 0 };
    throw e;
  }
  if (bytes.length % BLOCK_SIZE_BYTES !== 0) problems.push(`file size ${bytes.length} is not a whole number of blocks`);
  const pages = Math.floor(bytes.length / BLOCK_SIZE_BYTES);
  for (let b = 0; b < pages; b++) {
    const page = bytes.subarray(b * BLOCK_SIZE_BYTES, (b + 1) * BLOCK_SIZE_BYTES);
    const v = pageVerify(page, b, true);
    if (!v.ok) {
      problems.push(`block ${b} fails verification: ${JSON.stringify(v)}`);
      continue;
    }
    if (pageIsNew(page)) continue;
    const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
    for (let off = 24; off + ENTRY_BYTES <= pageGetLower(page); off += ENTRY_BYTES) {
      const e = {
        worker: dv.getUint32(off, true),
        xid: dv.getUint32(off + 4, true),
        seq: dv.getUint32(off + 8, true),
        block: b,
      };
      if (dv.getUint32(off + 12, true) !== entryCheck(e.worker, e.xid, e.seq)) {
        problems.push(`block ${b} offset ${off}: garbage entry`);
      } else entries.push(e);
    }
  }
  return { entries, problems, pages };
}

/**
 * Reads commit status from the pg_xact files.
 *
 * @param dataDir the data directory
 * @returns a lookup function
 */
export function clogReader(dataDir: string): (xid: number) => XidStatus {
  const cache = new Map<number, Uint8Array>();
  return (xid) => {
    const pageNo = clogPageNo(xid);
    let page = cache.get(pageNo);
    if (page === undefined) {
      page = new Uint8Array(CLOG_PAGE_BYTES);
      const loc = clogPageLocation(pageNo);
      try {
        const f = Deno.readFileSync(`${dataDir}/pg_xact/${loc.file}`);
        page.set(f.subarray(loc.offset, loc.offset + CLOG_PAGE_BYTES));
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      cache.set(pageNo, page);
    }
    return clogGetStatus(page, xid);
  };
}

/**
 * Checks the promises after a recovery.
 *
 * @param dataDir the data directory
 * @param relFile the test relation's file
 * @param reported every outcome reported so far, in all cycles
 * @returns a list of violations (empty when everything holds), and counts
 */
export function verifyAfterRecovery(
  dataDir: string,
  relFile: string,
  reported: readonly Reported[],
): { violations: string[]; entries: number; committedEntries: number; pages: number } {
  const { entries, problems, pages } = readEntries(relFile);
  const violations = [...problems];
  const status = clogReader(dataDir);
  const byXid = new Map<number, Entry>();
  for (const e of entries) {
    if (byXid.has(e.xid)) violations.push(`xid ${e.xid} has two entries (replayed twice or xid reused)`);
    byXid.set(e.xid, e);
  }
  // An abort record is not flushed: if nothing of an aborted transaction reached disk, a crash may
  // hand its xid out again (as in PostgreSQL). Entries are told apart by (worker, block, seq).
  const key = (x: { worker: number; block: number; seq: number }) => `${x.worker}/${x.block}/${x.seq}`;
  const lastCommitOf = new Map<number, number>();
  reported.forEach((r, i) => {
    if (r.kind === "C") lastCommitOf.set(r.xid, i);
  });
  const abortedKeys = new Set<string>();
  reported.forEach((r, i) => {
    if (r.kind === "A") {
      abortedKeys.add(key(r));
      const reusedLater = (lastCommitOf.get(r.xid) ?? -1) > i;
      if (!reusedLater && status(r.xid) === "committed") violations.push(`aborted xid ${r.xid} is marked committed`);
      return;
    }
    const e = byXid.get(r.xid);
    if (e === undefined) violations.push(`committed xid ${r.xid} (block ${r.block}, seq ${r.seq}) lost its entry`);
    else if (key(e) !== key(r)) violations.push(`committed xid ${r.xid} entry differs: ${JSON.stringify(e)}`);
    if (status(r.xid) !== "committed") violations.push(`committed xid ${r.xid} has status ${status(r.xid)}`);
  });
  let committedEntries = 0;
  for (const e of entries) {
    if (status(e.xid) !== "committed") continue;
    committedEntries++;
    if (abortedKeys.has(key(e))) violations.push(`entry of aborted xid ${e.xid} is visible as committed`);
  }
  return { violations, entries: entries.length, committedEntries, pages };
}
