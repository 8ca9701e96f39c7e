/**
 * hba.ts — pg_hba.conf: parsing with PostgreSQL's syntax and messages, and
 * finding the first line that matches a connection.
 *
 * PostgreSQL counterpart: src/backend/libpq/hba.c (tokenize_auth_file,
 * parse_hba_line, check_hba, check_db, check_role) and
 * src/backend/libpq/ifaddr.c (pg_range_sockaddr).
 *
 * NOTES
 * A file is parsed whole; errors are collected per line with PostgreSQL's
 * wording and the caller logs each one with `CONTEXT: line N of
 * configuration file "…"` and refuses to use the file ("could not load
 * pg_hba.conf"), as PostgreSQL does. Supported: connection types local,
 * host, hostssl, hostnossl, hostgssenc, hostnogssenc (denogres speaks
 * neither SSL nor GSS, so hostssl/hostgssenc lines never match); database
 * keywords all, sameuser, samerole, replication; role keywords all and
 * +role; IPv4/IPv6 addresses with a CIDR length or a separate mask, all and
 * samehost; methods trust, reject, password, md5, scram-sha-256. Methods
 * PostgreSQL has that denogres lacks (peer, ident, ldap, …) and host names
 * are load errors, never silently treated as something else. Pure functions.
 *
 * @module
 */

/** Authentication methods denogres implements. */
export type HbaMethod = "trust" | "reject" | "password" | "md5" | "scram-sha-256";

/** One parsed line. */
export interface HbaLine {
  readonly lineNumber: number;
  /** The line as written (for `Connection matched pg_hba.conf line N: "…"`). */
  readonly rawLine: string;
  readonly connType: "local" | "host" | "hostssl" | "hostnossl" | "hostgssenc" | "hostnogssenc";
  /** Database tokens; keywords are marked. */
  readonly databases: readonly HbaToken[];
  readonly roles: readonly HbaToken[];
  /** For host lines: the address range, or a keyword. */
  readonly address?: { kind: "all" } | { kind: "samehost" } | { kind: "range"; bytes: Uint8Array; mask: Uint8Array };
  readonly method: HbaMethod;
}

/** A token: a name, or (unquoted) a keyword such as `all`. */
export interface HbaToken {
  readonly text: string;
  readonly quoted: boolean;
}

/** A parse error, as PostgreSQL logs it. */
export interface HbaError {
  readonly lineNumber: number;
  readonly message: string;
}

/** What check_hba needs to know about a connection. */
export interface HbaConnection {
  /** Unix-domain socket (local lines) or TCP (host lines). */
  readonly local: boolean;
  /** Remote address for TCP connections. */
  readonly remoteAddress?: string;
  readonly user: string;
  readonly database: string;
  /** Local addresses of this machine, for `samehost`. */
  readonly localAddresses?: readonly string[];
}

/** Longest pg_hba.conf line, as PostgreSQL's MAX_LINE. */
export const HBA_LINE_MAX_BYTES = 8192;
/** Most lines read from pg_hba.conf. */
export const HBA_LINES_MAX = 10000;

const _CONN_TYPES = new Set(["local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc"]);
const _METHODS = new Set(["trust", "reject", "password", "md5", "scram-sha-256"]);
const _UNSUPPORTED_METHODS = new Set(["peer", "ident", "gss", "sspi", "pam", "ldap", "radius", "cert", "bsd"]);

/** Splits a line into fields; each field is a comma-separated list of tokens. */
function _tokenize(line: string): HbaToken[][] | string {
  const fields: HbaToken[][] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length || line[i] === "#") break;
    const field: HbaToken[] = [];
    for (;;) {
      let text = "";
      let quoted = false;
      while (i < line.length && !/[\s,#]/.test(line[i])) {
        if (line[i] === '"') {
          quoted = true;
          i++;
          while (i < line.length && line[i] !== '"') text += line[i++];
          if (i >= line.length) return "unterminated quoted string";
          i++;
          if (line[i] === '"') text += '"'; // "" inside quotes
        } else text += line[i++];
      }
      field.push({ text, quoted });
      if (line[i] === ",") {
        i++;
        continue;
      }
      break;
    }
    fields.push(field);
  }
  return fields;
}

function _isKeyword(t: HbaToken, kw: string): boolean {
  return !t.quoted && t.text === kw;
}

function _parseIp(text: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? new Uint8Array(b) : undefined;
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return undefined;
  let head = text, tail = "";
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
    if (tail.includes("::")) return undefined;
  }
  const words = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    for (const p of s.split(":")) {
      if (p.includes(".")) {
        const v = _parseIp(p);
        if (v === undefined || v.length !== 4) return undefined;
        out.push((v[0] << 8) | v[1], (v[2] << 8) | v[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const h = words(head), t = words(tail);
  if (h === undefined || t === undefined) return undefined;
  const fill = 8 - h.length - t.length;
  if (dbl < 0 ? fill !== 0 : fill < 0) return undefined;
  const all = [...h, ...new Array(fill).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function _cidrMask(bits: number, len: number): Uint8Array {
  const m = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    m[i] = bits >= 8 * (i + 1) ? 0xff : bits <= 8 * i ? 0 : (0xff << (8 - (bits - 8 * i))) & 0xff;
  }
  return m;
}

/**
 * Parses pg_hba.conf text.
 *
 * @param text the file's contents
 * @returns the valid lines, and every error with its line number
 */
export function parseHbaFile(text: string): { lines: HbaLine[]; errors: HbaError[] } {
  const lines: HbaLine[] = [];
  const errors: HbaError[] = [];
  const physical = text.split("\n");
  for (let i = 0; i < physical.length && i < HBA_LINES_MAX; i++) {
    const lineNumber = i + 1;
    let raw = physical[i].replace(/\r$/, "");
    // Backslash-newline continues a line (PostgreSQL 15).
    while (raw.endsWith("\\") && i + 1 < physical.length) raw = raw.slice(0, -1) + physical[++i].replace(/\r$/, "");
    if (raw.length > HBA_LINE_MAX_BYTES) {
      errors.push({ lineNumber, message: "authentication file line too long" });
      continue;
    }
    const fields = _tokenize(raw);
    if (typeof fields === "string") {
      errors.push({ lineNumber, message: fields });
      continue;
    }
    if (fields.length === 0) continue;
    const r = _parseLine(fields, lineNumber, raw.trim());
    if ("message" in r) errors.push(r);
    else lines.push(r);
  }
  return { lines, errors };
}

function _single(field: HbaToken[], what: string, lineNumber: number): HbaToken | HbaError {
  if (field.length > 1) return { lineNumber, message: `multiple values specified for ${what}` };
  return field[0];
}

function _parseLine(fields: HbaToken[][], lineNumber: number, rawLine: string): HbaLine | HbaError {
  const err = (message: string): HbaError => ({ lineNumber, message });
  let f = 0;
  const ct = _single(fields[f++], "connection type", lineNumber);
  if ("message" in ct) return ct;
  if (!_CONN_TYPES.has(ct.text)) return err(`invalid connection type "${ct.text}"`);
  const connType = ct.text as HbaLine["connType"];
  if (f >= fields.length) return err("end-of-line before database specification");
  const databases = fields[f++];
  for (const d of databases) {
    if (d.text.startsWith("@")) return err(`could not open secondary authentication file "${d.text}": not supported`);
  }
  if (f >= fields.length) return err("end-of-line before role specification");
  const roles = fields[f++];
  for (const r of roles) {
    if (r.text.startsWith("@")) return err(`could not open secondary authentication file "${r.text}": not supported`);
  }
  let address: HbaLine["address"];
  if (connType !== "local") {
    if (f >= fields.length) return err("end-of-line before IP address specification");
    const at = _single(fields[f++], "host address", lineNumber);
    if ("message" in at) return at;
    if (_isKeyword(at, "all")) address = { kind: "all" };
    else if (_isKeyword(at, "samehost")) address = { kind: "samehost" };
    else if (_isKeyword(at, "samenet")) return err('"samenet" is not supported');
    else {
      const slash = at.text.indexOf("/");
      const ipText = slash >= 0 ? at.text.slice(0, slash) : at.text;
      const bytes = _parseIp(ipText);
      if (bytes === undefined) {
        if (/^[A-Za-z0-9.-]+$/.test(ipText)) return err(`host name "${ipText}" in pg_hba.conf is not supported`);
        return err(`invalid IP address "${ipText}"`);
      }
      let mask: Uint8Array;
      if (slash >= 0) {
        const bits = Number(at.text.slice(slash + 1));
        if (!/^\d+$/.test(at.text.slice(slash + 1)) || bits > bytes.length * 8) {
          return err(`invalid CIDR mask in address "${at.text}"`);
        }
        mask = _cidrMask(bits, bytes.length);
      } else {
        if (f >= fields.length) return err("end-of-line before netmask specification");
        const mt = _single(fields[f++], "netmask", lineNumber);
        if ("message" in mt) return mt;
        const m = _parseIp(mt.text);
        if (m === undefined) return err(`invalid IP mask "${mt.text}"`);
        if (m.length !== bytes.length) return err("IP address and mask do not match");
        mask = m;
      }
      address = { kind: "range", bytes, mask };
    }
  }
  if (f >= fields.length) return err("end-of-line before authentication method");
  const mt = _single(fields[f++], "authentication type", lineNumber);
  if ("message" in mt) return mt;
  if (_UNSUPPORTED_METHODS.has(mt.text)) {
    return err(`invalid authentication method "${mt.text}": not supported by this build`);
  }
  if (!_METHODS.has(mt.text)) return err(`invalid authentication method "${mt.text}"`);
  if (f < fields.length) {
    const opt = fields[f][0].text;
    const name = opt.includes("=") ? opt.slice(0, opt.indexOf("=")) : opt;
    return err(`unrecognized authentication option name: "${name}"`);
  }
  return { lineNumber, rawLine, connType, databases, roles, address, method: mt.text as HbaMethod };
}

function _addressBytes(text: string): Uint8Array | undefined {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  return _parseIp(m ? m[1] : text);
}

function _inRange(addr: Uint8Array, bytes: Uint8Array, mask: Uint8Array): boolean {
  if (addr.length !== bytes.length) return false;
  for (let i = 0; i < addr.length; i++) if ((addr[i] & mask[i]) !== (bytes[i] & mask[i])) return false;
  return true;
}

function _matchDatabase(tokens: readonly HbaToken[], c: HbaConnection): boolean {
  return tokens.some((t) => {
    if (_isKeyword(t, "all")) return true;
    if (_isKeyword(t, "sameuser")) return c.database === c.user;
    if (_isKeyword(t, "samerole") || _isKeyword(t, "samegroup")) return c.database === c.user;
    if (_isKeyword(t, "replication")) return false;
    return t.text === c.database;
  });
}

function _matchRole(tokens: readonly HbaToken[], c: HbaConnection): boolean {
  return tokens.some((t) => {
    if (_isKeyword(t, "all")) return true;
    if (!t.quoted && t.text.startsWith("+")) return t.text.slice(1) === c.user;
    return t.text === c.user;
  });
}

/**
 * Finds the first line matching a connection (check_hba).
 *
 * @param lines the parsed file
 * @param c the connection
 * @returns the line, or undefined (an implicit reject)
 */
export function checkHba(lines: readonly HbaLine[], c: HbaConnection): HbaLine | undefined {
  const addr = c.local || c.remoteAddress === undefined ? undefined : _addressBytes(c.remoteAddress);
  for (const line of lines) {
    if (line.connType === "local" ? !c.local : c.local) continue;
    if (line.connType === "hostssl" || line.connType === "hostgssenc") continue;
    if (line.address !== undefined) {
      if (line.address.kind === "samehost") {
        if (!(c.localAddresses ?? []).includes(c.remoteAddress ?? "")) continue;
      } else if (line.address.kind === "range") {
        if (addr === undefined || !_inRange(addr, line.address.bytes, line.address.mask)) continue;
      }
    }
    if (!_matchDatabase(line.databases, c)) continue;
    if (!_matchRole(line.roles, c)) continue;
    return line;
  }
  return undefined;
}
