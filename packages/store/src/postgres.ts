import pg from 'pg';
import { PostgresDialect } from 'kysely';

/** Where a service's PostgreSQL database is: a full connection URL (database included) and the pool size. */
export interface PostgresTarget {
  url: string;
  /** Most connections this process opens to the database (default 5). */
  poolSize?: number | undefined;
  /**
   * How long a session may sit idle inside a transaction before the server
   * ends it (PostgreSQL's idle_in_transaction_session_timeout). Default 5000.
   */
  idleInTransactionTimeoutMs?: number | undefined;
}

/**
 * Default idle-in-transaction limit. Bazaar's transactions are a few statements
 * sent back to back, never waiting on another service, so a session idle
 * inside one for seconds belongs to a process that stalled (frozen, paused by
 * the scheduler, stuck in a long GC): the server ends it, and the row locks it
 * held go to the instances still serving instead of blocking them until the
 * stalled one wakes (issue 12: an inventory instance frozen mid-reservation
 * held its product's row, and the other instance's commits waited on it).
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 5000;

/** PostgreSQL type OIDs whose default parsing (to strings) we replace. */
const INT8 = 20;
const NUMERIC = 1700;

/**
 * BIGINT (counts, sums, sequences) as a JS number. pg returns strings because
 * a 64-bit value may not fit a double; our values (money in minor units,
 * bounded by the contracts, and outbox positions) do, and a value that does
 * not is an error here rather than a silently rounded number.
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`BIGINT ${text} is outside the safe integer range of a JS number`);
  return value;
}

/** NUMERIC (e.g. sum() of a BIGINT column) as a number when it is an exact safe integer; otherwise the exact string. */
function parseNumeric(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) && /^-?\d+$/.test(text) ? value : text;
}

/** Per-pool parsers, so nothing global in the pg module changes for other users of it. */
const types = {
  getTypeParser: ((id: number, format?: 'text' | 'binary') => {
    if (format !== 'binary' && id === INT8) return parseInt8;
    if (format !== 'binary' && id === NUMERIC) return parseNumeric;
    return pg.types.getTypeParser(id, format);
  }) as typeof pg.types.getTypeParser,
};

/** The URL of `database` on the server of `url` (credentials, host and options kept). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The database named in a connection URL. */
export function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`The PostgreSQL URL ${masked(url)} names no database`);
  return name;
}

/** A URL safe for logs and errors: the password replaced. */
export function masked(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

/** A quoted SQL identifier (database names come from config, so never trust them raw). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Run one statement on a short-lived connection (database administration, outside any pool). */
export async function adminQuery(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // An idle client's socket error (server restart) must not crash the process; the query's own promise reports failures.
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/**
 * Create the database of `url` when it does not exist, connecting to the
 * server's `postgres` database to do so. Safe when several instances start
 * at once: losing the race to create it is success. New databases use the
 * C collation (byte order), the order SQLite compares text in, so `ORDER BY`
 * and cursor pagination over text keys behave the same on both dialects.
 */
export async function ensureDatabase(url: string): Promise<'created' | 'exists'> {
  const name = databaseOf(url);
  const admin = withDatabase(url, 'postgres');
  const found = await adminQuery(admin, 'select 1 from pg_database where datname = $1', [name]);
  if (found.rowCount) return 'exists';
  try {
    // template0: template1 may have other sessions (CREATE DATABASE refuses then), and a collation other than its own needs template0.
    await adminQuery(admin, `create database ${quoteIdent(name)} template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`);
    return 'created';
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 42P04 duplicate_database; 23505 when two CREATE DATABASE collide in the catalog.
    if (code === '42P04' || code === '23505') return 'exists';
    throw new Error(`Could not create PostgreSQL database "${name}" on ${masked(admin)}: ${(error as Error).message}`, { cause: error });
  }
}

/** Kysely's PostgreSQL dialect over a pg pool for one service's database. */
export function postgresDialect(opts: { target: PostgresTarget; applicationName: string }): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: opts.target.url,
    max: opts.target.poolSize ?? 5,
    application_name: opts.applicationName,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    idle_in_transaction_session_timeout: opts.target.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS,
    types,
  });
  // pg emits 'error' for an idle connection the server dropped (restart,
  // failover); unhandled, that would crash the service. The pool discards the
  // connection; the next query opens a new one or fails, and /readyz shows it.
  pool.on('error', () => {});
  // The pool listens on a client only while it is idle: a checked-out client (a
  // query or transaction in progress) whose server goes away emits 'error' with
  // nobody listening, which crashed every service on a PostgreSQL restart (issue
  // 12). The query's own promise reports the failure; the pool drops the client
  // when it comes back unqueryable.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return new PostgresDialect({ pool });
}

