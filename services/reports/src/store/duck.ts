import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createSerial } from '@bazaar/kit';
import { BIGINT, DuckDBInstance, INTEGER, LIST, VARCHAR, listValue, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { DuckMigration } from '../../migrations/index.ts';
import { sqlTimestamp } from '../domain/time.ts';

/** Bind values for a statement: `$name` parameters. */
export type Params = Record<string, DuckDBValue>;
/** A row as read: BIGINT and HUGEINT columns arrive as bigint. */
export type Row = Record<string, unknown>;

/** The DuckDB types of parameters that need one (lists: their element type cannot be guessed from JS values). */
export type ParamTypes = Record<string, DuckDBType>;

/** What a transaction's work can do. */
export interface Tx {
  run(sql: string, params?: Params, types?: ParamTypes): Promise<void>;
  all(sql: string, params?: Params, types?: ParamTypes): Promise<Row[]>;
}

/** A column's type for `columns`: TIMESTAMP values travel as text and are cast in SQL. */
export type ColumnType = 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'TIMESTAMP';

const LIST_OF: Record<ColumnType, DuckDBType> = { VARCHAR: LIST(VARCHAR), INTEGER: LIST(INTEGER), BIGINT: LIST(BIGINT), TIMESTAMP: LIST(VARCHAR) };

/**
 * Rows as one list parameter per column, turned back into rows in SQL:
 * `SELECT unnest($p0) AS col0, unnest($p1)::TIMESTAMP AS col1, …` (DuckDB
 * unnests lists of one SELECT side by side). DuckDB binds and plans a
 * statement with eight list parameters in a fraction of the time it takes
 * for one with a parameter per value (200 order lines: 9 ms against 29).
 */
export function columns(prefix: string, rows: readonly (readonly (string | number | null)[])[], types: readonly ColumnType[]): { select: string; params: Params; types: ParamTypes } {
  const params: Params = {};
  const paramTypes: ParamTypes = {};
  const select = types
    .map((type, c) => {
      const name = `${prefix}${c}`;
      params[name] = listValue(rows.map((row) => row[c] ?? null));
      paramTypes[name] = LIST_OF[type];
      return `unnest($${name})${type === 'TIMESTAMP' ? '::TIMESTAMP' : ''} AS col${c}`;
    })
    .join(', ');
  return { select: `SELECT ${select}`, params, types: paramTypes };
}

/** The service's DuckDB database: serialised write transactions, reads on their own connection. */
export interface Duck {
  /** The file, or ':memory:'. */
  location: string;
  /** Run `work` in one transaction: all of it commits or none. Transactions run one at a time. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Query committed data; does not wait for a write in progress. */
  read(sql: string, params?: Params): Promise<Row[]>;
  /** Several reads that see one consistent snapshot (their own connection and read transaction). */
  snapshot<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Distinct statements the writer keeps prepared (it runs about ten). */
const MAX_PREPARED = 64;

/** The database file of the service in `dataDir`. */
export function duckFile(dataDir: string): string {
  return join(resolve(dataDir), 'reports.duckdb');
}

/**
 * Open (creating if need be) the DuckDB file, or an in-memory database.
 * Commits go to DuckDB's write-ahead log first, so a kill -9 loses nothing
 * that was committed: the log is replayed on the next open.
 */
export async function openDuck(opts: { file?: string }): Promise<Duck> {
  const location = opts.file ?? ':memory:';
  if (opts.file) mkdirSync(resolve(opts.file, '..'), { recursive: true });
  // A small footprint (this shares the machine with every other service), and
  // never a download at run time: the queries need no extension DuckDB lacks.
  // One thread: the read model's writes are a few small statements per feed
  // page, and a second thread added a quarter to their CPU (it waits for work
  // spinning) without making them faster; the sales queries read a small model.
  const instance = await DuckDBInstance.create(location, { threads: '1', memory_limit: '512MB', autoinstall_known_extensions: 'false' });
  const writer = await instance.connect();
  let closed = false;
  /** One write transaction at a time: DuckDB transactions belong to a connection, and this one is shared. */
  const serial = createSerial();

  /**
   * The writer's statements, prepared once each: the feed pages run the same half-dozen statements over and over,
   * and parsing, binding and planning each again was a sixth of their CPU (docs/performance.md, "December 7, fifth
   * session"). Only the writer's (one statement at a time, under `serial`); bounded, in case of generated SQL.
   */
  const prepared = new Map<string, DuckDBPreparedStatement>();
  async function preparedFor(sql: string, params: Params | undefined, types: ParamTypes | undefined): Promise<DuckDBPreparedStatement> {
    let statement = prepared.get(sql);
    if (statement === undefined) {
      if (prepared.size >= MAX_PREPARED) dropPrepared();
      statement = await writer.prepare(sql);
      prepared.set(sql, statement);
    }
    statement.clearBindings();
    if (params) statement.bind(params, types);
    return statement;
  }
  function dropPrepared(): void {
    for (const statement of prepared.values()) statement.destroySync();
    prepared.clear();
  }

  /** The writer's work, through its prepared statements. */
  const writerTx: Tx = {
    async run(sql, params, types) {
      await (await preparedFor(sql, params, types)).run();
    },
    async all(sql, params, types) {
      return (await (await preparedFor(sql, params, types)).runAndReadAll()).getRowObjectsJS() as Row[];
    },
  };
  /** A snapshot connection's work (one connection per snapshot: nothing to keep prepared). */
  const txOf = (conn: DuckDBConnection): Tx => ({
    async run(sql, params, types) {
      await conn.run(sql, params, types);
    },
    async all(sql, params, types) {
      return (await conn.runAndReadAll(sql, params, types)).getRowObjectsJS() as Row[];
    },
  });

  /** Reads on their own connection, in one read transaction: a consistent snapshot of committed data. */
  async function snapshot<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (closed) throw new Error('the reports database is closed');
    // A connection per snapshot: connections are cheap, and a transaction belongs to its connection.
    const conn = await instance.connect();
    try {
      await conn.run('BEGIN TRANSACTION');
      const result = await work(txOf(conn));
      await conn.run('COMMIT');
      return result;
    } finally {
      conn.closeSync();
    }
  }

  return {
    location,
    transaction(work) {
      return serial(async () => {
        if (closed) throw new Error('the reports database is closed');
        await writer.run('BEGIN TRANSACTION');
        try {
          const result = await work(writerTx);
          await writer.run('COMMIT');
          return result;
        } catch (error) {
          await writer.run('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    },
    snapshot,
    read: (sql, params) => snapshot((tx) => tx.all(sql, params)),
    close() {
      return serial(async () => {
        if (closed) return;
        closed = true;
        // Fold the log into the file so the next open has nothing to replay (not needed for safety).
        dropPrepared();
        if (opts.file) await writer.run('CHECKPOINT').catch(() => undefined);
        writer.closeSync();
        instance.closeSync();
      });
    },
  };
}

/** Apply pending migrations, each in its own transaction; `fresh` when the database had none before. */
export async function migrateDuck(duck: Duck, migrations: Record<string, DuckMigration>): Promise<{ applied: string[]; fresh: boolean }> {
  await duck.transaction((tx) => tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)'));
  const done = new Set((await duck.read('SELECT name FROM schema_migrations')).map((r) => String(r.name)));
  const applied: string[] = [];
  for (const name of Object.keys(migrations).sort()) {
    if (done.has(name)) continue;
    const migration = migrations[name] as DuckMigration;
    try {
      await duck.transaction(async (tx) => {
        for (const statement of migration.statements) await tx.run(statement);
        await tx.run('INSERT INTO schema_migrations VALUES ($name, $at::TIMESTAMP)', { name, at: sqlTimestamp(new Date()) });
      });
    } catch (error) {
      throw new Error(`Migration "${name}" failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    applied.push(name);
  }
  return { applied, fresh: done.size === 0 };
}

/** A number from a BIGINT/HUGEINT/INTEGER column (amounts are bounded, so exact). */
export function num(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return 0;
  return Number(value);
}
