/**
 * Helpers for tests that run a store on every dialect: a fresh in-memory (or
 * temp-file) SQLite database, or a fresh uniquely named PostgreSQL database
 * that is dropped when the test ends. PostgreSQL must be reachable: a test
 * that needs it fails, saying so, rather than skipping (CI starts it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminQuery, masked, quoteIdent, withDatabase, type PostgresTarget } from './postgres.ts';
import { sql, type Kysely, type KyselyPlugin } from 'kysely';
import type { StoreDialect, StoreLocation } from './index.ts';

/** Every dialect a store must work on, in the order tests run them. */
export const DIALECTS: readonly StoreDialect[] = ['sqlite', 'postgres'];

/** What a test's cleanup hook registration looks like (node:test's TestContext has it). */
export interface AfterHook {
  after(fn: () => Promise<void> | void): void;
}

/**
 * The PostgreSQL server tests create their databases on:
 * BAZAAR_TEST_POSTGRES_URL, or the local default (trust auth, user postgres).
 */
export function testPostgresServer(env: Record<string, string | undefined> = process.env): string {
  return env.BAZAAR_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A database name no other test run uses: bazaar_test_<pid>_<random>_<service>. */
export function testDatabaseName(service: string): string {
  return `bazaar_test_${process.pid}_${randomBytes(4).toString('hex')}_${service.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
}

/** Create a fresh PostgreSQL database for one test; `drop()` removes it (closing any connections left to it). */
export async function createTestDatabase(service: string, opts: { poolSize?: number } = {}): Promise<{ target: PostgresTarget; drop(): Promise<void> }> {
  const server = testPostgresServer();
  const name = testDatabaseName(service);
  try {
    await adminQuery(server, `create database ${quoteIdent(name)} template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`);
  } catch (error) {
    const e = error as { message?: string; code?: string; errors?: { message?: string }[] };
    const why = e.message || e.errors?.map((x) => x.message).join('; ') || e.code || String(error);
    throw new Error(
      `PostgreSQL is not usable at ${masked(server)} (${why}). Store tests run on PostgreSQL as well as SQLite: ` +
        'start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set BAZAAR_TEST_POSTGRES_URL.',
      { cause: error },
    );
  }
  return {
    target: { url: withDatabase(server, name), poolSize: opts.poolSize ?? 4 },
    async drop() {
      await adminQuery(server, `drop database if exists ${quoteIdent(name)} with (force)`);
    },
  };
}

/**
 * A store location for one test on one dialect, removed when the test ends.
 * SQLite is in memory unless `file` is set (a temp dir, for reopen tests);
 * PostgreSQL is always a new database, so reopening it finds the same data.
 */
export async function testLocation(dialect: StoreDialect, service: string, t: AfterHook, opts: { file?: boolean } = {}): Promise<StoreLocation> {
  switch (dialect) {
    case 'sqlite': {
      if (!opts.file) return { dataDir: '', inMemory: true };
      const dir = mkdtempSync(join(tmpdir(), `bazaar-${service}-`));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      return { dataDir: dir };
    }
    case 'postgres': {
      const db = await createTestDatabase(service);
      // Drop after the test's own cleanup (hooks run in the order registered, and
      // the test closes its store in a hook registered later): re-register from
      // a hook so the drop comes last. WITH (FORCE) covers a connection left open.
      t.after(() => t.after(() => db.drop()));
      return { dataDir: '', postgres: db.target };
    }
    default: {
      const never: never = dialect;
      throw new Error(`unknown dialect ${String(never)}`);
    }
  }
}

/**
 * A Kysely that writes down the SQL of every query run through it, as it is
 * sent (give it to a repository, clear `statements`, call what is examined).
 */
export function recordQueries<DB>(db: Kysely<DB>): { db: Kysely<DB>; statements: string[] } {
  const statements: string[] = [];
  const executor = db.getExecutor();
  const recorder: KyselyPlugin = {
    transformQuery: (args) => {
      statements.push(executor.compileQuery(args.node, args.queryId).sql);
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { db: db.withPlugin(recorder), statements };
}

/**
 * SQLite's plan for a statement, one line per step ("SEARCH sagas USING INDEX
 * …", "SCAN sagas", "USE TEMP B-TREE FOR ORDER BY"); its parameters are left
 * unbound, which planning allows. How a test shows that a query reads through
 * an index, not the whole table, whatever the table holds.
 */
export async function sqlitePlan<DB>(db: Kysely<DB>, statement: string): Promise<string[]> {
  const { rows } = await sql<{ detail: string }>`explain query plan ${sql.raw(statement)}`.execute(db);
  return rows.map((row) => row.detail);
}
