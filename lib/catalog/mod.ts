/**
 * Roles and databases (bootstrap catalog files until heap catalogs exist).
 * See README.md.
 *
 * @module
 */
export {
  alterRolePassword,
  BOOTSTRAP_SUPERUSER_OID,
  bootstrapCatalog,
  CATALOG_DIR,
  CATALOG_FILE_MAX_BYTES,
  type DatabaseRow,
  FIRST_NORMAL_OBJECT_ID,
  readDatabases,
  readRoles,
  type RoleRow,
} from "./bootstrap_catalog.ts";
