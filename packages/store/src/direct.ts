import type { CompiledQuery, Kysely, LogEvent, QueryResult, SqliteStatement } from 'kysely';

/**
 * A statement compiled once (prepared.ts) run on SQLite without Kysely's
 * connection machinery, when that is safe.
 *
 * Kysely runs every query on SQLite's one connection through a mutex, a
 * connection provider and a logging wrapper: six to ten awaits around a
 * statement that node:sqlite runs synchronously in a few microseconds. The
 * mutex is what keeps a query out of a transaction another async flow holds
 * open on that connection; node:sqlite says whether one is open
 * (`isTransaction`), and JavaScript runs nothing between that look and the
 * statement. So a prepared statement run on the root database (not a
 * transaction's executor) while no transaction is open runs at once, here;
 * otherwise it goes through Kysely and waits its turn as before. Either way
 * the store's query log (tracing) sees it, with the same event Kysely gives.
 */
export interface DirectSqlite {
  /** The statement for this SQL (kept by text). */
  statement(sql: string): SqliteStatement;
  /** Whether a transaction holds the connection now. */
  inTransaction(): boolean;
}

/** Runs a compiled statement at once, or answers undefined when it must wait for Kysely's turn. */
export interface DirectRunner {
  run<O>(query: CompiledQuery, statement: SqliteStatement): QueryResult<O> | undefined;
  statement(sql: string): SqliteStatement;
}

const runners = new WeakMap<Kysely<never>, DirectRunner>();

/** The direct runner of a store's root Kysely, if it has one (SQLite stores do; PostgreSQL's and any `withPlugin` copy do not). */
export function directRunnerOf<DB>(db: Kysely<DB>): DirectRunner | undefined {
  return runners.get(db as unknown as Kysely<never>);
}

/** Give a SQLite store's root Kysely its direct runner, logging each statement through `log` as Kysely would. */
export function registerDirect<DB>(db: Kysely<DB>, database: DirectSqlite, log: (event: LogEvent) => void): void {
  runners.set(db as unknown as Kysely<never>, {
    statement: (sql) => database.statement(sql),
    run<O>(query: CompiledQuery, statement: SqliteStatement): QueryResult<O> | undefined {
      if (database.inTransaction()) return undefined;
      const started = performance.now();
      try {
        let result: QueryResult<O>;
        if (statement.reader) result = { rows: statement.all(query.parameters) as O[] };
        else {
          const { changes, lastInsertRowid } = statement.run(query.parameters);
          result = { rows: [], ...(changes != null ? { numAffectedRows: BigInt(changes) } : {}), ...(lastInsertRowid != null ? { insertId: BigInt(lastInsertRowid) } : {}) };
        }
        log({ level: 'query', isStream: false, query, queryDurationMillis: performance.now() - started });
        return result;
      } catch (error) {
        log({ level: 'error', error, query, queryDurationMillis: performance.now() - started });
        throw error;
      }
    },
  });
}
