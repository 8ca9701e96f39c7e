/**
 * password.ts — getting the superuser's password for `--pwfile` and
 * `-W/--pwprompt`. Only its SCRAM-SHA-256 verifier is ever stored.
 *
 * PostgreSQL counterpart: get_su_pwd() in src/bin/initdb/initdb.c and
 * simple_prompt() in src/common/sprompt.c.
 *
 * NOTES
 * `--pwfile` uses the file's first line, without its line ending, as
 * PostgreSQL does. `-W` prompts twice on the terminal with echo off (raw
 * mode, restored on every path out); when standard input is not a terminal
 * it reads two lines from it, so scripts can pipe a password in. Neither
 * the password nor the file's contents are ever written anywhere. Errors are
 * InitdbError with PostgreSQL's wording. Requires `--allow-read` on the file.
 *
 * @module
 */

import { InitdbError, osErrorText } from "./initdb_error.ts";

/** Longest password line read, in bytes (PostgreSQL's initdb reads up to 100; SCRAM allows 1024). */
export const PASSWORD_LINE_MAX_BYTES = 1024;
const _CTRL_C = 3;
const _CTRL_D = 4;
const _BACKSPACE = [8, 127];

/**
 * Reads the password from the first line of a file.
 *
 * @param path the file
 * @returns the password
 * @throws {InitdbError} `could not open file "…" for reading: …`, `password file "…" is empty`
 */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new InitdbError(`could not open file "${path}" for reading: ${osErrorText(e)}`, { cause: e });
  }
  const line = text.split("\n")[0].replace(/\r$/, "");
  if (line === "") throw new InitdbError(`password file "${path}" is empty`);
  return line;
}

async function _readTerminalLine(prompt: string): Promise<string> {
  const encoder = new TextEncoder();
  Deno.stdout.writeSync(encoder.encode(prompt));
  const bytes: number[] = [];
  const buf = new Uint8Array(1);
  Deno.stdin.setRaw(true);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null || buf[0] === _CTRL_D) break;
      if (buf[0] === _CTRL_C) throw new InitdbError("caught signal");
      if (buf[0] === 13 || buf[0] === 10) break;
      if (_BACKSPACE.includes(buf[0])) bytes.pop();
      else if (bytes.length < PASSWORD_LINE_MAX_BYTES) bytes.push(buf[0]);
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stdout.writeSync(encoder.encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Reads lines from a non-terminal standard input, keeping what follows the first line for the next call. */
class _PipedLines {
  #pending: number[] = [];

  async next(): Promise<string> {
    const buf = new Uint8Array(256);
    for (;;) {
      const nl = this.#pending.indexOf(10);
      if (nl >= 0) {
        const line = this.#pending.splice(0, nl + 1).slice(0, nl);
        return new TextDecoder().decode(new Uint8Array(line)).replace(/\r$/, "");
      }
      if (this.#pending.length > PASSWORD_LINE_MAX_BYTES) throw new InitdbError("password is too long");
      const n = await Deno.stdin.read(buf);
      if (n === null) {
        const rest = this.#pending.splice(0);
        return new TextDecoder().decode(new Uint8Array(rest));
      }
      this.#pending.push(...buf.subarray(0, n));
    }
  }
}

/**
 * Prompts for the superuser's password twice, as PostgreSQL's initdb `-W`.
 *
 * @returns the password
 * @throws {InitdbError} `passwords didn't match`, `empty password`, or `caught signal` on Ctrl-C
 */
export async function promptPassword(): Promise<string> {
  let first: string;
  let second: string;
  if (Deno.stdin.isTerminal()) {
    first = await _readTerminalLine("Enter new superuser password: ");
    second = await _readTerminalLine("Enter it again: ");
  } else {
    const lines = new _PipedLines();
    Deno.stdout.writeSync(new TextEncoder().encode("Enter new superuser password: \nEnter it again: \n"));
    first = await lines.next();
    second = await lines.next();
  }
  if (first !== second) throw new InitdbError("passwords didn't match");
  // PostgreSQL would store no password at all (an empty one is "not a valid password"); say so instead.
  if (first === "") throw new InitdbError("empty password", { hint: "Enter a password, or leave out -W." });
  return first;
}
