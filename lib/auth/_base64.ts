/**
 * _base64.ts — standard base64 for SCRAM messages and verifiers (private to lib/auth).
 *
 * PostgreSQL counterpart: src/common/base64.c (pg_b64_encode, pg_b64_decode).
 *
 * NOTES
 * Pure functions. Decoding is strict (padding required, no whitespace), as
 * PostgreSQL's: a malformed field is an authentication failure, never a crash.
 *
 * @module
 */

/** @returns standard base64 of the bytes */
export function b64Encode(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

/** @returns the bytes of standard base64 text, or undefined when it is not valid base64 */
export function b64Decode(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
