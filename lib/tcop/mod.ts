/**
 * The backend: a client session's life in its own process (startup,
 * authentication, the simple and extended query loop, interrupts). See
 * README.md.
 *
 * @module
 */
export { backendMain } from "./backend.ts";
export { BackendSession, type SessionIdentity } from "./backend_session.ts";
export { PORTALS_MAX, PostgresMain, PREPARED_STATEMENTS_MAX } from "./postgres_main.ts";
export { SessionExit } from "./session_exit.ts";
