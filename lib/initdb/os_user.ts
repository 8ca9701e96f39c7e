/**
 * os_user.ts — the name of the operating-system user running initdb: the
 * owner of the files, and the superuser's name unless `-U` is given.
 *
 * PostgreSQL counterpart: get_id() in src/bin/initdb/initdb.c and
 * get_user_name_or_exit() in src/common/username.c (getpwuid(geteuid())).
 *
 * NOTES
 * The uid comes from Deno.uid() (getuid(2); initdb is not a set-uid
 * program, so it is the effective uid too) and its name from /etc/passwd;
 * when the uid has no entry there (containers often run with an arbitrary
 * uid), USER and then LOGNAME name it, as a shell would. Unlike PostgreSQL,
 * running as root is allowed: denogres's server does not refuse root, and CI
 * machines run as root. Requires `--allow-sys=uid`, `--allow-read=/etc/passwd`
 * and `--allow-env=USER,LOGNAME`.
 *
 * @module
 */

import { InitdbError } from "./initdb_error.ts";

/**
 * Finds a user name for a uid in passwd(5) text.
 *
 * @param passwdText the text of /etc/passwd
 * @param uid the uid
 * @returns the name, or undefined when the uid has no entry
 */
export function userNameFromPasswd(passwdText: string, uid: number): string | undefined {
  for (const line of passwdText.split("\n")) {
    const fields = line.split(":");
    if (fields.length >= 3 && Number(fields[2]) === uid && fields[0] !== "") return fields[0];
  }
  return undefined;
}

/**
 * Returns the effective operating-system user's name.
 *
 * @returns the name
 * @throws {InitdbError} `could not look up effective user ID …: user does not exist`
 */
export function effectiveUserName(): string {
  const uid = Deno.uid() ?? -1;
  let passwd = "";
  try {
    passwd = Deno.readTextFileSync("/etc/passwd");
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const name = userNameFromPasswd(passwd, uid) ?? (Deno.env.get("USER") || Deno.env.get("LOGNAME"));
  if (name === undefined || name === "") {
    throw new InitdbError(`could not look up effective user ID ${uid}: user does not exist`);
  }
  return name;
}
