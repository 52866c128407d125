import { BadRequest, ServiceUnavailable, type VaultError } from '../../http/errors.ts';

/**
 * "The database is not there" (SECURITY.md "Availability"): a request that needs PostgreSQL while it is down,
 * restarting or unreachable fails closed with 503 problem+json and a Retry-After, never a 500 and never with
 * data; once the database is back, the next request gets a fresh connection (the pool drops dead ones).
 * Every other database error stays what it is (a bug or a constraint is not an outage).
 */

/** Seconds a client is asked to wait before trying again: about one pool connect timeout. */
export const DB_RETRY_AFTER_SECONDS = 5;

// Socket errors that mean the server cannot be reached, or the connection to it broke.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

// SQLSTATE (PostgreSQL, Appendix A): 57P01 admin_shutdown (also pg_terminate_backend), 57P02 crash_shutdown,
// 57P03 cannot_connect_now (starting up, shutting down, in recovery), 53300 too_many_connections.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

// node-postgres says these in words only: a pool checkout that timed out, a connection that ended under a query
// ('Connection terminated', '… unexpectedly', '… due to connection timeout'), and a client already broken.
const UNAVAILABLE_MESSAGES = [/^timeout exceeded when trying to connect/, /^Connection terminated/, /is not queryable/];

function isUnavailableOne(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    // Class 08: connection exceptions.
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return UNAVAILABLE_MESSAGES.some((m) => m.test(e.message));
}

/**
 * True when `e`, or an error it wraps, says the database cannot be reached. drizzle wraps a driver's error in
 * DrizzleQueryError (`cause`), and a connect to several addresses fails with an AggregateError (`errors`).
 */
export function isDatabaseUnavailable(e: unknown, depth = 0): boolean {
  if (depth > 4 || e === null || typeof e !== 'object') return false;
  if (e instanceof ServiceUnavailable || isUnavailableOne(e)) return true;
  const inner = e as { cause?: unknown; errors?: unknown };
  if (isDatabaseUnavailable(inner.cause, depth + 1)) return true;
  return Array.isArray(inner.errors) && inner.errors.some((x) => isDatabaseUnavailable(x, depth + 1));
}

/** The error a caller sees: ServiceUnavailable for "the database is not there", anything else unchanged. */
export function unavailableOr(e: unknown): unknown {
  if (e instanceof ServiceUnavailable) return e;
  if (!isDatabaseUnavailable(e)) return e;
  // The detail is fixed text: a driver's message may name a host, a query or its parameters.
  return new ServiceUnavailable('The database is not available; try again shortly.', DB_RETRY_AFTER_SECONDS);
}

/** Serialization failure and deadlock (SQLSTATE 40001, 40P01): the unit did nothing and may simply run again. */
export function isRetryable(e: unknown, depth = 0): boolean {
  if (depth > 4 || e === null || typeof e !== 'object') return false;
  const code = (e as { code?: unknown }).code;
  if (code === '40001' || code === '40P01') return true;
  return isRetryable((e as { cause?: unknown }).cause, depth + 1);
}

// SQLSTATE 22021 character_not_in_repertoire (a NUL byte, or invalid UTF-8, in a text parameter) and 22P05
// untranslatable_character: PostgreSQL refuses to store or compare such text, where SQLite simply finds no row.
const BAD_TEXT_SQLSTATES = new Set(['22021', '22P05']);

// SQLSTATE 57014 query_canceled (statement_timeout, PG_POOL), 55P03 lock_not_available and 25P03
// idle_in_transaction_session_timeout: the database is there but too busy to finish the unit in its bounds (a
// unit queued behind its chain's lock, say). The unit was rolled back: the caller may try again, as in an outage.
const BUSY_SQLSTATES = new Set(['57014', '55P03', '25P03']);

function sqlState(e: unknown, depth = 0): string | undefined {
  if (depth > 4 || e === null || typeof e !== 'object') return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  return sqlState((e as { cause?: unknown }).cause, depth + 1);
}

/**
 * What a database error means to the caller, wherever it was thrown (inside a unit or on the bare pool): 503 when
 * the database is not there or too busy to finish in its time bounds, 400 when the request carried text PostgreSQL
 * cannot hold (a NUL byte in an id, say),
 * undefined for anything else (a bug stays a 500).
 */
export function storageProblem(e: unknown): VaultError | undefined {
  const mapped = unavailableOr(e);
  if (mapped !== e && mapped instanceof ServiceUnavailable) return mapped;
  if (e instanceof ServiceUnavailable) return e;
  const state = sqlState(e);
  if (state && BUSY_SQLSTATES.has(state))
    return new ServiceUnavailable('The database is busy; try again shortly.', DB_RETRY_AFTER_SECONDS);
  if (state && BAD_TEXT_SQLSTATES.has(state))
    return new BadRequest('The request holds a character that is not allowed in text (such as a NUL byte)');
  return undefined;
}
