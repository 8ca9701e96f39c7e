/**
 * scram.ts — SCRAM-SHA-256 secrets: SASLprep, key derivation, and the stored
 * verifier `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
 *
 * PostgreSQL counterpart: src/common/scram-common.c (scram_SaltedPassword,
 * scram_ClientKey, scram_ServerKey, scram_H, scram_build_secret),
 * src/common/saslprep.c (pg_saslprep) and parse_scram_secret() in
 * src/backend/libpq/auth-scram.c.
 *
 * NOTES
 * Pure functions, no shared state. The key derivation (PBKDF2 with 4096
 * iterations) costs a few milliseconds; it runs synchronously through
 * `node:crypto`'s native PBKDF2/HMAC/SHA-256 so callers (initdb, ALTER ROLE,
 * the authentication exchange) need no promise plumbing. The verifier format,
 * salt length (16 bytes) and iteration count are PostgreSQL 15's, so a
 * verifier made here authenticates against PostgreSQL and vice versa.
 * See lib/auth/README.md.
 *
 * @module
 */

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { b64Decode, b64Encode } from "./_base64.ts";

/** Iterations of PBKDF2 for new verifiers (PostgreSQL's SCRAM_DEFAULT_ITERATIONS). */
export const SCRAM_DEFAULT_ITERATIONS = 4096;
/** Length of a new verifier's random salt, in bytes (SCRAM_DEFAULT_SALT_LEN). */
export const SCRAM_DEFAULT_SALT_BYTES = 16;
/** Length of a SHA-256 key, in bytes (SCRAM_KEY_LEN). */
export const SCRAM_KEY_BYTES = 32;
/** Longest password accepted for hashing, in bytes (MAX_PASSWORD_LENGTH in saslprep.c). */
export const SCRAM_PASSWORD_MAX_BYTES = 1024;
/** Largest iteration count accepted from a stored verifier (keeps a forged catalog entry from stalling a backend). */
export const SCRAM_ITERATIONS_MAX = 1 << 24;

/** A parsed verifier. */
export interface ScramVerifier {
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

// RFC 3454 C.1.2 non-ASCII spaces (mapped to SPACE) and B.1 "commonly mapped to nothing".
const _NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;
const _MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/gu;
// RFC 4013 section 2.3 prohibited output (C.1.2, C.2.1, C.2.2, C.3-C.9) and A.1 unassigned code points.
const _PROHIBITED =
  /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000\p{Cc}\u06DD\u070F\u180E\u200C\u200D\u2028\u2029\u2060-\u2063\u206A-\u206F\uFEFF\uFFF9-\uFFFC\u{1D173}-\u{1D17A}\p{Co}\p{Cs}\uFDD0-\uFDEF\uFFFE\uFFFF\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}\u{10FFFE}\u{10FFFF}\u0340\u0341\u200E\u200F\u202A-\u202E\u206A-\u206F\u{E0001}\u{E0020}-\u{E007F}\p{Cn}]/u;
// RFC 3454 D.1 (RandALCat) by its blocks: Hebrew, Arabic, Syriac, Thaana, NKo…, their presentation forms and
// the supplementary right-to-left blocks. JS regexes lack Bidi_Class, so D.2 (LCat) is taken as the other letters.
const _RAND_AL_CAT = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}]/u;
const _RAND_AL_CAT_ALL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}]/gu;
const _LETTER = /\p{L}/u;

/**
 * Prepares a password as PostgreSQL's pg_saslprep: ASCII passwords pass
 * unchanged; others are mapped, NFKC-normalised and checked. Where SASLprep
 * refuses the input (prohibited characters, bidi rule), PostgreSQL hashes the
 * raw password instead, and so does this function.
 *
 * @param password the password as given
 * @returns the string to hash
 */
export function saslPrep(password: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  const mapped = password.replace(_NON_ASCII_SPACE, " ").replace(_MAPPED_TO_NOTHING, "").normalize("NFKC");
  if (mapped === "") return password;
  if (_PROHIBITED.test(mapped)) return password;
  if (_RAND_AL_CAT.test(mapped)) {
    const chars = [...mapped];
    if (_LETTER.test(mapped.replace(_RAND_AL_CAT_ALL, ""))) return password;
    if (!_RAND_AL_CAT.test(chars[0]) || !_RAND_AL_CAT.test(chars[chars.length - 1])) return password;
  }
  return mapped;
}

/** @returns HMAC-SHA-256(key, text) */
export function scramHmac(key: Uint8Array, text: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(text).digest());
}

/** @returns SHA-256(data) (scram_H) */
export function scramHash(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/**
 * Derives SaltedPassword = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, iterations).
 *
 * @param password the password as given (SASLprep is applied here)
 * @param salt the salt bytes
 * @param iterations PBKDF2 iterations
 * @returns the 32-byte salted password
 */
export function scramSaltedPassword(password: string, salt: Uint8Array, iterations: number): Uint8Array {
  return new Uint8Array(pbkdf2Sync(saslPrep(password), salt, iterations, SCRAM_KEY_BYTES, "sha256"));
}

/** @returns ClientKey = HMAC(SaltedPassword, "Client Key") */
export function scramClientKey(saltedPassword: Uint8Array): Uint8Array {
  return scramHmac(saltedPassword, "Client Key");
}

/** @returns ServerKey = HMAC(SaltedPassword, "Server Key") */
export function scramServerKey(saltedPassword: Uint8Array): Uint8Array {
  return scramHmac(saltedPassword, "Server Key");
}

/**
 * Builds a verifier in PostgreSQL's format from a password, as
 * `initdb --pwfile` and `ALTER ROLE … PASSWORD` store it.
 *
 * @param password the clear-text password
 * @param options salt (default: 16 random bytes) and iterations (default 4096), for tests
 * @returns `SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>` (base64 fields)
 * @throws {RangeError} when the password is longer than {@link SCRAM_PASSWORD_MAX_BYTES}
 * @example
 * ```ts
 * const v = scramBuildVerifier("secret"); // "SCRAM-SHA-256$4096:…$…:…"
 * ```
 */
export function scramBuildVerifier(
  password: string,
  options: { salt?: Uint8Array; iterations?: number } = {},
): string {
  if (new TextEncoder().encode(password).length > SCRAM_PASSWORD_MAX_BYTES) {
    throw new RangeError(`Password is longer than ${SCRAM_PASSWORD_MAX_BYTES} bytes`);
  }
  const salt = options.salt ?? new Uint8Array(randomBytes(SCRAM_DEFAULT_SALT_BYTES));
  const iterations = options.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  const salted = scramSaltedPassword(password, salt, iterations);
  const storedKey = scramHash(scramClientKey(salted));
  const serverKey = scramServerKey(salted);
  return `SCRAM-SHA-256$${iterations}:${b64Encode(salt)}$${b64Encode(storedKey)}:${b64Encode(serverKey)}`;
}

/**
 * Parses a stored verifier, as PostgreSQL's parse_scram_secret.
 *
 * @param text the stored secret
 * @returns the parts, or `undefined` when it is not a valid SCRAM-SHA-256 verifier
 */
export function parseScramVerifier(text: string): ScramVerifier | undefined {
  const m = /^SCRAM-SHA-256\$(\d{1,10}):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(text);
  if (m === null) return undefined;
  const iterations = Number(m[1]);
  if (iterations < 1 || iterations > SCRAM_ITERATIONS_MAX) return undefined;
  const salt = b64Decode(m[2]);
  const storedKey = b64Decode(m[3]);
  const serverKey = b64Decode(m[4]);
  if (salt === undefined || salt.length === 0) return undefined;
  if (storedKey?.length !== SCRAM_KEY_BYTES || serverKey?.length !== SCRAM_KEY_BYTES) return undefined;
  return { iterations, salt, storedKey, serverKey };
}

/**
 * Checks a clear-text password against a verifier (used by the `password`
 * method when the stored secret is SCRAM), as PostgreSQL's scram_verify_plain_password.
 *
 * @param password the password the client sent
 * @param verifier the parsed stored verifier
 * @returns true when it matches
 */
export function scramVerifyPlainPassword(password: string, verifier: ScramVerifier): boolean {
  const salted = scramSaltedPassword(password, verifier.salt, verifier.iterations);
  return scramEqual(scramServerKey(salted), verifier.serverKey);
}

/** Constant-time comparison of two keys of the same length. */
export function scramEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
