/**
 * scram_exchange.ts — the server side of a SCRAM-SHA-256 exchange (RFC 5802
 * / RFC 7677), as PostgreSQL runs it.
 *
 * PostgreSQL counterpart: src/backend/libpq/auth-scram.c
 * (scram_init, scram_exchange, read_client_first_message,
 * read_client_final_message, verify_client_proof, build_server_first_message,
 * build_server_final_message, scram_mock_salt).
 *
 * NOTES
 * Channel binding is not offered (no SSL), so the client's gs2 flag must be
 * `n` or `y`; the user name in the client's message is ignored (the startup
 * packet's is used), as PostgreSQL does. When the role does not exist or has
 * no valid verifier, the exchange still runs with a mock salt derived from
 * the user name, and fails at the end, so a client cannot tell a missing
 * role from a wrong password. Malformed messages throw `SqlError` 08P01
 * `malformed SCRAM message` with PostgreSQL's detail. Pure per-connection
 * state.
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import { SqlError, SqlState } from "../common/errors.ts";
import { b64Decode, b64Encode } from "./_base64.ts";
import {
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_DEFAULT_SALT_BYTES,
  scramEqual,
  scramHash,
  scramHmac,
  type ScramVerifier,
} from "./scram.ts";

/** Random bytes in the server nonce (SCRAM_RAW_NONCE_LEN). */
export const SCRAM_RAW_NONCE_BYTES = 18;
/** Longest SCRAM message accepted, in bytes. */
export const SCRAM_MESSAGE_MAX_BYTES = 1024;

function _malformed(detail: string): SqlError {
  return new SqlError(SqlState.PROTOCOL_VIOLATION, "malformed SCRAM message", { detail });
}

/** Reads `attr=value` at the start of `s`; returns [value, rest]. */
function _attr(s: string, attr: string): [string, string] {
  if (s[0] !== attr || s[1] !== "=") {
    throw _malformed(`Expected attribute "${attr}" but found "${s.slice(0, 1)}".`);
  }
  const comma = s.indexOf(",", 2);
  return comma < 0 ? [s.slice(2), ""] : [s.slice(2, comma), s.slice(comma + 1)];
}

/**
 * One exchange. Call {@link clientFirst}, send its result as
 * AuthenticationSASLContinue, then {@link clientFinal}.
 *
 * @example
 * ```ts
 * const x = new ScramExchange(verifier, "alice", mockNonce);
 * const serverFirst = x.clientFirst(initialResponse);
 * const { ok, serverFinal } = x.clientFinal(response);
 * ```
 */
export class ScramExchange {
  readonly #verifier: ScramVerifier;
  readonly #doomed: boolean;
  #clientFirstBare = "";
  #serverFirst = "";
  #nonce = "";
  #gs2Header = "";
  #state: "init" | "first" | "done" = "init";

  /**
   * @param verifier the role's verifier, or undefined to run a mock exchange that fails
   * @param user the startup packet's user name (for the mock salt)
   * @param mockNonce a cluster-wide secret for mock salts
   */
  constructor(verifier: ScramVerifier | undefined, user: string, mockNonce: Uint8Array) {
    if (verifier !== undefined) {
      this.#verifier = verifier;
      this.#doomed = false;
    } else {
      const salt = scramHash(new Uint8Array([...new TextEncoder().encode(user), ...mockNonce]))
        .subarray(0, SCRAM_DEFAULT_SALT_BYTES);
      this.#verifier = {
        iterations: SCRAM_DEFAULT_ITERATIONS,
        salt,
        storedKey: new Uint8Array(32),
        serverKey: new Uint8Array(32),
      };
      this.#doomed = true;
    }
  }

  /**
   * Handles client-first-message (`n,,n=user,r=nonce`).
   *
   * @param msg the client's message
   * @returns server-first-message
   * @throws {SqlError} 08P01 malformed message, 0A000 unsupported channel binding
   */
  clientFirst(msg: string): string {
    if (this.#state !== "init") throw _malformed("Unexpected message.");
    let rest = msg;
    const flag = rest[0];
    if (flag === "p") {
      throw new SqlError(SqlState.PROTOCOL_VIOLATION, "malformed SCRAM message", {
        detail: "The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data.",
      });
    }
    if (flag !== "n" && flag !== "y") throw _malformed(`Unexpected channel-binding flag "${flag ?? ""}".`);
    if (rest[1] !== ",") throw _malformed('Comma expected, but found character "' + (rest[1] ?? "") + '".');
    rest = rest.slice(2);
    if (rest.startsWith("a=")) {
      throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "client uses authorization identity, but it is not supported");
    }
    if (rest[0] !== ",") throw _malformed('Unexpected attribute "' + rest.slice(0, 1) + '" in client-first-message.');
    this.#gs2Header = msg.slice(0, 3);
    rest = rest.slice(1);
    this.#clientFirstBare = rest;
    if (rest.startsWith("m=")) {
      throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, "client requires an unsupported SCRAM extension");
    }
    const [, afterUser] = _attr(rest, "n");
    const [clientNonce, extensions] = _attr(afterUser, "r");
    if (clientNonce === "" || !/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) {
      throw _malformed("The client nonce is malformed.");
    }
    void extensions;
    this.#nonce = clientNonce + b64Encode(new Uint8Array(randomBytes(SCRAM_RAW_NONCE_BYTES)));
    this.#serverFirst = `r=${this.#nonce},s=${b64Encode(this.#verifier.salt)},i=${this.#verifier.iterations}`;
    this.#state = "first";
    return this.#serverFirst;
  }

  /**
   * Handles client-final-message (`c=biws,r=nonce,p=proof`).
   *
   * @param msg the client's message
   * @returns ok and, when ok, the server-final-message (`v=signature`)
   * @throws {SqlError} 08P01 malformed message or nonce mismatch
   */
  clientFinal(msg: string): { ok: boolean; serverFinal?: string } {
    if (this.#state !== "first") throw _malformed("Unexpected message.");
    this.#state = "done";
    const [cbind, afterC] = _attr(msg, "c");
    const expected = b64Encode(new TextEncoder().encode(this.#gs2Header));
    if (cbind !== expected) {
      throw new SqlError(SqlState.PROTOCOL_VIOLATION, "SCRAM channel binding check failed");
    }
    const [nonce, afterR] = _attr(afterC, "r");
    if (nonce !== this.#nonce) throw _malformed("Nonce does not match.");
    const proofAt = afterR.lastIndexOf("p=");
    if (proofAt < 0 || (proofAt > 0 && afterR[proofAt - 1] !== ",")) throw _malformed("Could not find proof.");
    const proof = b64Decode(afterR.slice(proofAt + 2));
    if (proof === undefined || proof.length !== 32) throw _malformed("Malformed proof in client-final-message.");
    const withoutProof = msg.slice(0, msg.length - (afterR.length - proofAt) - 1);
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const signature = scramHmac(this.#verifier.storedKey, authMessage);
    const clientKey = new Uint8Array(32);
    for (let i = 0; i < 32; i++) clientKey[i] = proof[i] ^ signature[i];
    if (this.#doomed || !scramEqual(scramHash(clientKey), this.#verifier.storedKey)) return { ok: false };
    return { ok: true, serverFinal: `v=${b64Encode(scramHmac(this.#verifier.serverKey, authMessage))}` };
  }
}
