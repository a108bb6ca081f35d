/**
 * Telling "the database is not there right now" from "the query is wrong".
 * No driver import here: the kit uses this to answer 503 instead of 500.
 */
/**
 * SQLSTATEs that mean "the server is not there right now", not "the query is
 * wrong": class 08 (connection exception), 57P01-57P03 (admin/crash shutdown,
 * cannot connect now: a restart), 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
/** Socket errors of a connection that could not be made or was cut. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/** pg's (and node-redis') own messages for a lost or unobtainable connection (they carry no code). */
const UNAVAILABLE_MESSAGE = /Connection terminated|Socket closed unexpectedly|The client is closed|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated due to connection timeout|Client was closed and is not queryable|the database system is (starting up|shutting down|in recovery mode)/i;

/**
 * True when `error` says the database cannot be reached right now (a restart,
 * failover, network cut) rather than that a query failed: answer 503 and retry
 * later, do not crash. PostgreSQL drivers' errors are recognised by SQLSTATE,
 * socket errno and pg's messages.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_ERRNO.has(e.code))) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  // A refused connection to 'localhost' is an AggregateError over IPv4 and IPv6.
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x) => isStoreUnavailable(x))) return true;
  return e.cause !== undefined && e.cause !== error && isStoreUnavailable(e.cause);
}
