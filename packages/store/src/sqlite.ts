import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import type { DirectSqlite } from './direct.ts';

/**
 * Adapts Node's built-in `node:sqlite` to the interface Kysely's SqliteDialect
 * expects (the better-sqlite3 shape), so no native addon is needed.
 */
export function nodeSqliteDatabase(filename: string): SqliteDatabase & { direct: DirectSqlite } {
  const db = new DatabaseSync(filename);
  // busy_timeout waits out a concurrent writer instead of failing; WAL lets
  // readers run while a write commits; foreign keys are off by default.
  db.exec('PRAGMA busy_timeout = 5000;');
  enableWal(db);
  db.exec('PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
  // Kysely prepares every query it runs; compiling the same SQL again each time was a tenth of an idle service's
  // CPU (the event feed's poll) and more of a busy one's. Statements are kept by their text (bounded, least recently
  // used out first). node:sqlite runs a statement to completion synchronously, so one statement is never in use twice
  // at once — except by `iterate`, which gets a statement of its own.
  const cache = new Map<string, SqliteStatement>();
  const prepare = (sql: string): SqliteStatement => {
    const cached = cache.get(sql);
    if (cached) {
      cache.delete(sql);
      cache.set(sql, cached);
      return cached;
    }
    const statement = wrapStatement(db.prepare(sql), () => db.prepare(sql));
    cache.set(sql, statement);
    if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    return statement;
  };
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare,
    // For the store's prepared statements (direct.ts): the same statements, and whether a transaction is open.
    direct: { statement: prepare, inTransaction: () => db.isTransaction },
  };
}

const STATEMENT_CACHE_SIZE = 500;

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

/**
 * Switch the file to WAL. When several instances open a new file at once,
 * SQLite may answer "database is locked" to the switch without waiting on
 * busy_timeout, so it is retried here (opening is synchronous: so is the wait).
 */
function enableWal(db: DatabaseSync): void {
  const deadline = Date.now() + 5000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 1; ; attempt++) {
    try {
      db.exec('PRAGMA journal_mode = WAL;');
      return;
    } catch (error) {
      const code = (error as { errcode?: number }).errcode;
      if ((code !== SQLITE_BUSY && code !== SQLITE_LOCKED) || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, Math.min(100, 5 * attempt));
    }
  }
}

function wrapStatement(statement: StatementSync, another: () => StatementSync): SqliteStatement {
  return {
    reader: statement.columns().length > 0,
    all: (parameters) => statement.all(...toSqlite(parameters)),
    run: (parameters) => {
      const result = statement.run(...toSqlite(parameters));
      return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
    },
    iterate: (parameters) => another().iterate(...toSqlite(parameters)),
  };
}

function toSqlite(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => {
    if (value === undefined || value === null) return null;
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string' || value instanceof Uint8Array) return value;
    return JSON.stringify(value);
  });
}
