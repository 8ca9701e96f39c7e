/**
 * Relation files (smgr), page layout and checksum, file access, and the
 * set-up of the storage subsystems in shared memory and in each process.
 * See README.md.
 *
 * @module
 */
export {
  DEFAULT_TABLESPACE_OID,
  FORK_NAMES,
  type ForkNumber,
  FSM_FORKNUM,
  GLOBAL_TABLESPACE_OID,
  INIT_FORKNUM,
  MAIN_FORKNUM,
  type RelFileLocator,
  relFileLocatorEquals,
  relPath,
  VISIBILITYMAP_FORKNUM,
} from "./relpath.ts";
export {
  pageGetLower,
  pageGetLsn,
  pageGetSpecial,
  pageGetUpper,
  pageInit,
  pageIsNew,
  pageSetLowerUpper,
  pageSetLsn,
  pageVerify,
  type PageVerifyResult,
  PD_ALL_VISIBLE,
  PD_HAS_FREE_LINES,
  PD_PAGE_FULL,
  SIZE_OF_PAGE_HEADER_DATA,
} from "./page.ts";
export { pgChecksumPage } from "./checksum.ts";
export {
  MAX_BLOCK_NUMBER,
  SMGR_OPEN_FILES_MAX,
  smgrCreate,
  smgrExists,
  smgrExtend,
  smgrNblocks,
  smgrRead,
  smgrTruncate,
  smgrUnlink,
  smgrWrite,
} from "./smgr.ts";
export { criticalSection, panic } from "./critical_section.ts";
export {
  initStorageAccess,
  storageProcessCleanup,
  type StorageProcessRole,
  storageReloadSettings,
  storageShmemInit,
} from "./storage_init.ts";
