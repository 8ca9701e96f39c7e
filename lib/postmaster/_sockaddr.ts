/**
 * _sockaddr.ts — encoding and decoding of `struct sockaddr_in`,
 * `sockaddr_in6` and `sockaddr_un` for the FFI socket calls.
 *
 * PostgreSQL counterpart: the getaddrinfo()/getnameinfo() use in
 * src/backend/libpq/pqcomm.c and src/common/ip.c.
 *
 * NOTES
 * Only numeric addresses, `localhost` and `*` are translated (no DNS: a
 * server's listen addresses are almost always one of those, and resolving
 * names would need network permission for little gain). Layouts are Linux's
 * (x86_64 and aarch64 agree). Pure functions; no I/O.
 *
 * @module
 */

import { LinuxConst } from "../ffi/libc.ts";

/** Largest `sun_path`, including its terminating NUL (Linux: 108). */
export const UNIXSOCK_PATH_BUFLEN = 108;
/** Size of the buffer that holds any socket address we use (sockaddr_storage is 128). */
export const SOCKADDR_MAX_BYTES = 128;

/** A numeric address to listen on. */
export interface ListenAddress {
  family: "IPv4" | "IPv6";
  /** Numeric text, e.g. `127.0.0.1`, `::1`. */
  host: string;
}

function _parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function _parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split("::").length > 2) return undefined;
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const groups = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":"));
  const words = (gs: string[]): number[] | undefined => {
    const out: number[] = [];
    for (const [i, g] of gs.entries()) {
      if (i === gs.length - 1 && g.includes(".")) {
        const v4 = _parseIpv4(g);
        if (v4 === undefined) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const h = words(groups(head));
  const t = words(groups(tail));
  if (h === undefined || t === undefined) return undefined;
  const fill = 8 - h.length - t.length;
  if (tail === undefined ? fill !== 0 : fill < 1) return undefined;
  const all = [...h, ...new Array(tail === undefined ? 0 : fill).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * Translates one `listen_addresses` entry into the addresses to bind.
 *
 * @param entry `*`, `localhost`, or a numeric IPv4/IPv6 address
 * @returns the addresses, or undefined when the entry is not understood
 * @example
 * ```ts
 * translateListenAddress("localhost"); // [{family: "IPv4", host: "127.0.0.1"}, {family: "IPv6", host: "::1"}]
 * ```
 */
export function translateListenAddress(entry: string): ListenAddress[] | undefined {
  if (entry === "*") return [{ family: "IPv4", host: "0.0.0.0" }, { family: "IPv6", host: "::" }];
  if (entry.toLowerCase() === "localhost") {
    return [{ family: "IPv4", host: "127.0.0.1" }, { family: "IPv6", host: "::1" }];
  }
  if (_parseIpv4(entry) !== undefined) return [{ family: "IPv4", host: entry }];
  if (_parseIpv6(entry) !== undefined) return [{ family: "IPv6", host: entry }];
  return undefined;
}

/**
 * Encodes an IP address and port as `sockaddr_in` or `sockaddr_in6`.
 *
 * @param addr a numeric address
 * @param port TCP port
 * @returns the bytes to pass to bind()
 */
export function encodeInetSockaddr(addr: ListenAddress, port: number): Uint8Array<ArrayBuffer> {
  if (addr.family === "IPv4") {
    const out = new Uint8Array(16);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, LinuxConst.AF_INET, true);
    dv.setUint16(2, port, false);
    out.set(_parseIpv4(addr.host)!, 4);
    return out;
  }
  const out = new Uint8Array(28);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, LinuxConst.AF_INET6, true);
  dv.setUint16(2, port, false);
  out.set(_parseIpv6(addr.host)!, 8);
  return out;
}

/**
 * Encodes a Unix-domain socket path as `sockaddr_un`.
 *
 * @param path the socket file's path (shorter than {@link UNIXSOCK_PATH_BUFLEN})
 * @returns the bytes to pass to bind()
 */
export function encodeUnixSockaddr(path: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length >= UNIXSOCK_PATH_BUFLEN) throw new RangeError(`Unix-domain socket path "${path}" is too long`);
  const out = new Uint8Array(2 + bytes.length + 1);
  new DataView(out.buffer).setUint16(0, LinuxConst.AF_UNIX, true);
  out.set(bytes, 2);
  return out;
}

/** A peer address as PostgreSQL shows it: host text and port (`[local]` for Unix sockets). */
export interface PeerAddress {
  host: string;
  port: number | undefined;
}

function _ipv6Text(b: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  // Compress the longest run of zero words (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/**
 * Decodes the address accept() filled in.
 *
 * @param buf the sockaddr buffer
 * @param len the length accept() returned
 * @returns host text and port
 */
export function decodeSockaddr(buf: Uint8Array, len: number): PeerAddress {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const family = len >= 2 ? dv.getUint16(0, true) : LinuxConst.AF_UNIX;
  if (family === LinuxConst.AF_INET) {
    return { host: `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`, port: dv.getUint16(2, false) };
  }
  if (family === LinuxConst.AF_INET6) return { host: _ipv6Text(buf.subarray(8, 24)), port: dv.getUint16(2, false) };
  return { host: "[local]", port: undefined };
}
