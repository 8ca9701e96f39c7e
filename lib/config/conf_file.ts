/**
 * conf_file.ts — the postgresql.conf reader, with PostgreSQL's syntax.
 *
 * PostgreSQL counterpart: src/backend/utils/misc/guc-file.l.
 *
 * NOTES
 * Syntax: one `name [=] value` per line; `#` starts a comment; a value is a
 * single-quoted string (`''` and backslash escapes `\b \f \n \r \t \ooo`), or
 * an unquoted word, number or number-with-unit such as `128MB`. `include`
 * directives are not supported. The reader only tokenises: validating names
 * and values against the parameter table is settings.ts's job, which names
 * the file and line kept here for an unknown name (PostgreSQL does not for a
 * bad value).
 *
 * @module
 */

/** One `name = value` line of a configuration file. */
export interface ConfEntry {
  /** The parameter name, as written. */
  readonly name: string;
  /** The value, unquoted and de-escaped. */
  readonly value: string;
  /** Path of the file it came from. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
}

/** A syntax error, naming the file and line as PostgreSQL does. */
export interface ConfSyntaxError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

const _NAME = /^[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)?/;
// An unquoted value: a word (letters, digits and -._:/), or a number with an optional unit.
const _UNQUOTED =
  /^(?:[-+]?(?:0x[0-9A-Fa-f]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)[A-Za-z]*|[A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff\-.:/]*)/;

/**
 * Undoes the quoting of a single-quoted configuration string, as
 * PostgreSQL's DeescapeQuotedString.
 *
 * @param quoted the string including its surrounding quotes
 * @returns the plain value
 */
export function deescapeQuotedString(quoted: string): string {
  let out = "";
  for (let i = 1; i < quoted.length - 1; i++) {
    const c = quoted[i];
    if (c === "'" && quoted[i + 1] === "'") {
      out += "'";
      i++;
    } else if (c === "\\") {
      const n = quoted[++i];
      const simple: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (n in simple) out += simple[n];
      else if (n >= "0" && n <= "7") {
        let digits = n;
        while (digits.length < 3 && quoted[i + 1] >= "0" && quoted[i + 1] <= "7") digits += quoted[++i];
        out += String.fromCharCode(parseInt(digits, 8));
      } else out += n;
    } else out += c;
  }
  return out;
}

function _readQuoted(text: string): string | undefined {
  const m = /^'(?:[^'\\\n]|\\.|'')*'/.exec(text);
  return m?.[0];
}

/**
 * Parses the text of a configuration file into entries and syntax errors.
 * Later entries for the same name win when applied (the caller applies them
 * in order).
 *
 * @param text the file's contents
 * @param file the file's path, for error messages
 * @returns the entries in file order, and any syntax errors
 * @example
 * ```ts
 * parseConfFile("port = 5433  # comment\n", "postgresql.conf").entries[0].value; // "5433"
 * ```
 */
export function parseConfFile(text: string, file: string): { entries: ConfEntry[]; errors: ConfSyntaxError[] } {
  const entries: ConfEntry[] = [];
  const errors: ConfSyntaxError[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let rest = lines[i].replace(/\r$/, "").trimStart();
    if (rest === "" || rest.startsWith("#")) continue;
    const syntaxError = (near: string) =>
      errors.push({
        file,
        line: lineNo,
        message: near === ""
          ? `syntax error in file "${file}" line ${lineNo}, near end of line`
          : `syntax error in file "${file}" line ${lineNo}, near token "${near}"`,
      });
    const nameMatch = _NAME.exec(rest);
    if (!nameMatch) {
      syntaxError(rest.split(/\s/)[0]);
      continue;
    }
    const name = nameMatch[0];
    rest = rest.slice(name.length).trimStart();
    if (rest.startsWith("=")) rest = rest.slice(1).trimStart();
    let value: string;
    const quoted = rest.startsWith("'") ? _readQuoted(rest) : undefined;
    if (quoted !== undefined) {
      value = deescapeQuotedString(quoted);
      rest = rest.slice(quoted.length);
    } else {
      const m = _UNQUOTED.exec(rest);
      if (!m) {
        syntaxError(rest === "" || rest.startsWith("#") ? "" : rest.split(/\s/)[0]);
        continue;
      }
      value = m[0];
      rest = rest.slice(value.length);
    }
    rest = rest.trimStart();
    if (rest !== "" && !rest.startsWith("#")) {
      syntaxError(rest.split(/\s/)[0]);
      continue;
    }
    entries.push({ name, value, file, line: lineNo });
  }
  return { entries, errors };
}
