import { describe, expect, test } from "vitest";
import { SqlError } from "../common/errors.ts";
import { GucSettings } from "../config/mod.ts";
import {
  attachShmemSegment,
  computeShmemLayout,
  procArrayClaimSlot,
  procArrayReleaseSlot,
  type ShmemSegment,
} from "../shmem/mod.ts";
import { testSegmentScope } from "../shmem/testdata/test_segment.ts";
import {
  advisoryTagInt4Pair,
  advisoryTagInt8,
  buildWaitsForGraph,
  deadlockReportDetail,
  describeLockTag,
  findLockCycle,
  LOCK_CONFLICTS,
  LOCK_MODE_NAMES,
  lockBit,
  LockManager,
  LockMode,
  lockModesConflict,
  lockStatusRows,
  lockTagHash,
} from "./mod.ts";
import { lockTableGeometry } from "./lock_table.ts";

const scope = testSegmentScope();

describe("lock modes", () => {
  test("the conflict table is PostgreSQL's (the table of the docs' explicit-locking chapter), and symmetric", () => {
    // Rows: requested mode 1..8; X = conflicts with the held mode of that column.
    const table = [
      "-------X",
      "------XX",
      "----XXXX",
      "---XXXXX",
      "--XX-XXX",
      "--XXXXXX",
      "-XXXXXXX",
      "XXXXXXXX",
    ];
    for (let a = 1; a <= 8; a++) {
      for (let b = 1; b <= 8; b++) {
        expect(lockModesConflict(a, b)).toBe(table[a - 1][b - 1] === "X");
        expect(lockModesConflict(a, b)).toBe(lockModesConflict(b, a));
      }
    }
    expect(LOCK_CONFLICTS[LockMode.ShareLock] & lockBit(LockMode.ShareLock)).toBe(0);
    expect(LOCK_MODE_NAMES[LockMode.ExclusiveLock]).toBe("ExclusiveLock");
  });

  test("advisory tags are SET_LOCKTAG_INT64 / INT32 and describe as DescribeLockTag", () => {
    expect(describeLockTag(advisoryTagInt8(5, 1n))).toBe("advisory lock [5,0,1,1]");
    expect(describeLockTag(advisoryTagInt8(5, -1n))).toBe("advisory lock [5,4294967295,4294967295,1]");
    expect(describeLockTag(advisoryTagInt8(5, 0x100000002n))).toBe("advisory lock [5,1,2,1]");
    expect(describeLockTag(advisoryTagInt4Pair(5, -2, 3))).toBe("advisory lock [5,4294967294,3,2]");
    expect(lockTagHash(advisoryTagInt8(5, 1n))).not.toBe(lockTagHash(advisoryTagInt4Pair(5, 0, 1)));
  });
});

describe("findLockCycle()", () => {
  test("finds a two-process and a longer cycle through the start, in order", () => {
    expect(findLockCycle(1, new Map([[1, [2]], [2, [1]]]))).toEqual([1, 2]);
    expect(findLockCycle(1, new Map([[1, [2, 3]], [2, [4]], [3, [5]], [5, [1]]]))).toEqual([1, 3, 5]);
  });

  test("ignores cycles that do not pass through the start, and chains without a cycle", () => {
    expect(findLockCycle(1, new Map([[1, [2]], [2, [3]], [3, [2]]]))).toBeNull();
    expect(findLockCycle(1, new Map([[1, [2]], [2, [3]]]))).toBeNull();
    expect(findLockCycle(1, new Map())).toBeNull();
  });

  test("a long chain does not overflow the stack", () => {
    const n = 100_000;
    const edges = new Map<number, number[]>();
    for (let i = 0; i < n; i++) edges.set(i, [i + 1]);
    edges.set(n, [0]);
    expect(findLockCycle(0, edges)?.length).toBe(n + 1);
  });

  test("the report has one line per process, as DeadLockReport", () => {
    const waits = new Map([
      [0, { pid: 10, mode: LockMode.ExclusiveLock, tag: advisoryTagInt8(5, 2n) }],
      [1, { pid: 11, mode: LockMode.ShareLock, tag: advisoryTagInt8(5, 1n) }],
    ]);
    expect(deadlockReportDetail([0, 1], waits, describeLockTag)).toBe(
      "Process 10 waits for ExclusiveLock on advisory lock [5,0,2,1]; blocked by process 11.\n" +
        "Process 11 waits for ShareLock on advisory lock [5,0,1,1]; blocked by process 10.",
    );
  });
});

/** Two "processes" in this one: two attachments of the segment, each with its own slot and lock manager. */
function twoProcesses(seg: ShmemSegment, deadlockTimeoutMs = 1000, lockTimeoutMs = 0) {
  const other = attachShmemSegment(seg.name);
  procArrayClaimSlot(seg, "client backend");
  procArrayClaimSlot(other, "client backend");
  const hooks = {
    checkForInterrupts: () => {},
    waitForLatch: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))),
    lockTimeoutMs: () => lockTimeoutMs,
    deadlockTimeoutMs: () => deadlockTimeoutMs,
  };
  return {
    a: new LockManager(seg, hooks),
    b: new LockManager(other, hooks),
    done: () => {
      procArrayReleaseSlot(other);
      other.detach();
    },
  };
}

const X = LockMode.ExclusiveLock;
const S = LockMode.ShareLock;
const session = { session: true, dontWait: false };
const tryIt = { session: true, dontWait: true };

describe("LockManager", () => {
  test("grants, refuses a try, queues, and wakes the waiter on release; the table is empty after", async () => {
    const seg = scope.create();
    const { a, b, done } = twoProcesses(seg);
    const k = advisoryTagInt8(5, 1n);
    expect(a.acquire(k, X, session)).toBe(true);
    expect(a.acquire(k, X, session)).toBe(true); // reentrant: no shared-memory work
    expect(b.acquire(k, X, tryIt)).toBe(false);
    expect(b.acquire(k, S, tryIt)).toBe(false);
    const waiting = b.acquire(k, X, session);
    expect(waiting).toBeInstanceOf(Promise);
    await new Promise((r) => setTimeout(r, 20));
    expect(lockStatusRows(seg).map((r) => r.granted).sort()).toEqual([false, true]);
    expect(a.release(k, X, true)).toBe(true);
    expect(lockStatusRows(seg)).toHaveLength(2); // one hold left
    expect(a.release(k, X, true)).toBe(true);
    expect(await waiting).toBe(true);
    expect(a.release(k, X, true)).toBe(false);
    b.releaseAll();
    expect(lockStatusRows(seg)).toEqual([]);
    done();
  });

  test("shared holders coexist; a shared request behind a waiting exclusive one is refused (queue order)", async () => {
    const seg = scope.create();
    const { a, b, done } = twoProcesses(seg);
    const k = advisoryTagInt4Pair(5, 1, 2);
    expect(a.acquire(k, S, session)).toBe(true);
    expect(b.acquire(k, S, session)).toBe(true);
    const x = b.acquire(k, X, session); // b holds S itself, but a's S conflicts
    expect(x).toBeInstanceOf(Promise);
    a.release(k, S, true);
    expect(await x).toBe(true);
    expect(b.held().map((h) => h.mode).sort()).toEqual([S, X]);
    b.releaseAll();
    done();
  });

  test("transaction holds end at transaction end; session holds stay", () => {
    const seg = scope.create();
    const { a, done } = twoProcesses(seg);
    a.acquire(advisoryTagInt8(5, 1n), X, { session: false, dontWait: false });
    a.acquire(advisoryTagInt8(5, 2n), X, session);
    a.atTransactionEnd();
    expect(a.held().map((h) => h.tag.field3)).toEqual([2]);
    a.releaseSessionLocks();
    expect(a.holdsAny).toBe(false);
    expect(lockStatusRows(seg)).toEqual([]);
    done();
  });

  test("a deadlock between two waiters: one gets 40P01, the other the lock", async () => {
    const seg = scope.create();
    const { a, b, done } = twoProcesses(seg, 10);
    const k1 = advisoryTagInt8(5, 1n);
    const k2 = advisoryTagInt8(5, 2n);
    a.acquire(k1, X, session);
    b.acquire(k2, X, session);
    const ra = Promise.resolve(a.acquire(k2, X, session)).catch((e) => e);
    const rb = Promise.resolve(b.acquire(k1, X, session)).catch((e) => e);
    const first = await Promise.race([ra.then((r) => ({ victim: a, r })), rb.then((r) => ({ victim: b, r }))]);
    expect(first.r).toBeInstanceOf(SqlError);
    expect((first.r as SqlError).sqlstate).toBe("40P01");
    first.victim.releaseAll(); // the victim's session ends
    expect([await ra, await rb].filter((r) => r === true)).toHaveLength(1);
    a.releaseAll();
    b.releaseAll();
    expect(lockStatusRows(seg)).toEqual([]);
    done();
  });

  test("lock_timeout withdraws the request with 55P03; the waits-for graph is then empty", async () => {
    const seg = scope.create();
    const { a, b, done } = twoProcesses(seg, 100_000, 20);
    const k = advisoryTagInt8(5, 9n);
    a.acquire(k, X, session);
    const e = await Promise.resolve(b.acquire(k, X, session)).catch((x) => x);
    expect([e.sqlstate, e.message]).toEqual(["55P03", "canceling statement due to lock timeout"]);
    expect(buildWaitsForGraph(lockTableGeometry(seg)).edges.size).toBe(0);
    a.releaseAll();
    done();
  });

  test("a full table is 53200 out of shared memory, and frees its entries again", () => {
    const seg = scope.create({ max_locks_per_transaction: 10, max_connections: 2, autovacuum_max_workers: 1 });
    const { a, b, done } = twoProcesses(seg);
    let err: unknown;
    let n = 0;
    for (; n < 1000 && err === undefined; n++) {
      try {
        a.acquire(advisoryTagInt8(5, BigInt(n)), X, session);
      } catch (e) {
        err = e;
      }
    }
    expect(n - 1).toBe(10 * (2 + 1 + 1)); // NLOCKENTS
    expect(err).toBeInstanceOf(SqlError);
    expect([(err as SqlError).sqlstate, (err as SqlError).message, (err as SqlError).hint]).toEqual([
      "53200",
      "out of shared memory",
      "You might need to increase max_locks_per_transaction.",
    ]);
    a.releaseAll();
    expect(b.acquire(advisoryTagInt8(5, 5000n), X, tryIt)).toBe(true);
    b.releaseAll();
    done();
  });

  test("max_locks_per_transaction sizes the lock table (NLOCKENTS x 192 bytes plus buckets)", () => {
    const size = (n: number) =>
      computeShmemLayout(GucSettings.defaults().with("max_locks_per_transaction", n, "command line")).regions
        .find((r) => r.name === "lock table")!.sizeBytes;
    const backends = 100 + 3 + 1;
    expect(size(128) - size(64)).toBe(64 * backends * (128 + 2 * 32) + 64 * backends * 4);
  });
});
