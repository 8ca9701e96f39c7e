/**
 * xlog_rmgr.ts — the XLOG resource manager: checkpoints, full-page-image
 * records, segment switches and no-ops.
 *
 * PostgreSQL counterpart: xlog_redo in src/backend/access/transam/xlog.c
 * and xlog_desc / xlog_identify in src/backend/access/rmgrdesc/xlogdesc.c.
 *
 * NOTES
 * Redo of a checkpoint moves the transaction and OID counters forward to
 * the checkpoint's values (they only grow); an XLOG_FPI record restores its
 * images; a switch or no-op changes nothing. The startup process gives redo
 * the segment with {@link xlogRedoInit}.
 *
 * @module
 */

import { assert } from "../common/assert.ts";
import { unlockReleaseBuffer } from "../buffer/bufmgr.ts";
import type { ShmemSegment } from "../shmem/mod.ts";
import { readNextFullTransactionId, readNextOidAndOldestXid, varsupStart } from "../xact/varsup.ts";
import { formatLsn } from "./lsn.ts";
import {
  type CheckPoint,
  decodeCheckPoint,
  XLOG_CHECKPOINT_ONLINE,
  XLOG_CHECKPOINT_SHUTDOWN,
  XLOG_FPI,
  XLOG_NOOP,
  XLOG_SWITCH,
} from "./pg_control.ts";
import type { Rmgr } from "./rmgr.ts";
import { RM_XLOG_ID } from "./rmgr_ids.ts";
import { XLR_INFO_MASK } from "./xlog_record.ts";
import { xlogReadBufferForRedo } from "./xlog_utils.ts";

let _seg: ShmemSegment | undefined;

/**
 * Gives XLOG redo the segment (the startup process, before replay).
 *
 * @param seg the segment
 */
export function xlogRedoInit(seg: ShmemSegment): void {
  _seg = seg;
}

/**
 * Describes a checkpoint as pg_waldump does.
 *
 * @param cp the checkpoint
 * @param shutdown whether it is a shutdown checkpoint
 * @returns e.g. `redo 0/1000028; tli 1; prev tli 1; fpw true; xid 0:3; oid 16384; …`
 */
export function describeCheckPoint(cp: CheckPoint, shutdown: boolean): string {
  return `redo ${formatLsn(cp.redo)}; tli ${cp.thisTimeLineId}; prev tli ${cp.prevTimeLineId}; ` +
    `fpw ${cp.fullPageWrites}; xid ${cp.nextXid >> 32n}:${cp.nextXid & 0xffffffffn}; oid ${cp.nextOid}; ` +
    `multi ${cp.nextMulti}; offset ${cp.nextMultiOffset}; oldest xid ${cp.oldestXid} in DB ${cp.oldestXidDb}; ` +
    `oldest multi ${cp.oldestMulti} in DB ${cp.oldestMultiDb}; oldest/newest commit timestamp xid: ` +
    `${cp.oldestCommitTsXid}/${cp.newestCommitTsXid}; oldest running xid ${cp.oldestActiveXid}; ` +
    (shutdown ? "shutdown" : "online");
}

const _NAMES: Record<number, string> = {
  [XLOG_CHECKPOINT_SHUTDOWN]: "CHECKPOINT_SHUTDOWN",
  [XLOG_CHECKPOINT_ONLINE]: "CHECKPOINT_ONLINE",
  [XLOG_NOOP]: "NOOP",
  [XLOG_SWITCH]: "SWITCH",
  [XLOG_FPI]: "FPI",
};

/** The XLOG resource manager. */
export const XLOG_RMGR: Rmgr = {
  id: RM_XLOG_ID,
  name: "XLOG",
  redo(rec) {
    const info = rec.info & ~XLR_INFO_MASK;
    if (info === XLOG_CHECKPOINT_SHUTDOWN || info === XLOG_CHECKPOINT_ONLINE) {
      assert(_seg !== undefined, "xlogRedoInit() was called");
      const cp = decodeCheckPoint(new DataView(rec.mainData.buffer, rec.mainData.byteOffset, rec.mainData.length), 0);
      const next = readNextFullTransactionId(_seg);
      const { nextOid, oldestXid } = readNextOidAndOldestXid(_seg);
      varsupStart(
        _seg,
        cp.nextXid > next ? cp.nextXid : next,
        cp.nextOid > nextOid ? cp.nextOid : nextOid,
        Math.max(oldestXid, cp.oldestXid),
      );
    } else if (info === XLOG_FPI) {
      for (const b of rec.blocks) {
        const { action, buffer } = xlogReadBufferForRedo(rec, b.id);
        assert(action === "restored" || action === "not found", "an XLOG_FPI record restores its images");
        if (buffer !== 0) unlockReleaseBuffer(buffer);
      }
    }
  },
  desc(rec) {
    const info = rec.info & ~XLR_INFO_MASK;
    if (info === XLOG_CHECKPOINT_SHUTDOWN || info === XLOG_CHECKPOINT_ONLINE) {
      const cp = decodeCheckPoint(new DataView(rec.mainData.buffer, rec.mainData.byteOffset, rec.mainData.length), 0);
      return describeCheckPoint(cp, info === XLOG_CHECKPOINT_SHUTDOWN);
    }
    return "";
  },
  identify(info) {
    return _NAMES[info & ~XLR_INFO_MASK];
  },
};
