import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kysely, PostgresAdapter, SqliteDialect, sql } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { nodeSqliteDatabase } from './sqlite.ts';
import { registerDirect } from './direct.ts';
import { ensureDatabase, masked, postgresDialect, withDatabase, type PostgresTarget } from './postgres.ts';
export { isStoreUnavailable } from './unavailable.ts';
import { traceQueries } from './tracing.ts';
export { prepare, prepareCommand, type Prepared, type PreparedCommand, type PreparedValue } from './prepared.ts';

export type { Migration, PostgresTarget };

/** The SQL dialects a store runs on. */
export type StoreDialect = 'sqlite' | 'postgres';

/**
 * Where a service's database is: PostgreSQL when `postgres` is given,
 * otherwise SQLite at `<dataDir>/<service>.sqlite` (or in memory).
 */
export interface StoreLocation {
  dataDir: string;
  /** Use an in-memory SQLite database (unit tests). */
  inMemory?: boolean | undefined;
  /** Use this PostgreSQL database instead of SQLite. */
  postgres?: PostgresTarget | undefined;
}

export interface StoreOptions extends StoreLocation {
  /** The owning service; names the SQLite file and the PostgreSQL connections. */
  service: string;
  /** Migrations by name; applied in name order (`0001_init`, `0002_…`). */
  migrations: Record<string, Migration>;
}

/** One service's own database, migrated and ready. */
export interface Store<DB> {
  db: Kysely<DB>;
  dialect: StoreDialect;
  /** Where the data lives (a file path, ':memory:', or the PostgreSQL URL without its password). */
  location: string;
  /** Names of migrations applied by this open. */
  applied: string[];
  /** Throws when the database cannot answer; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Open a service's store and bring its schema up to date. */
export async function openStore<DB>(opts: StoreOptions): Promise<Store<DB>> {
  if (opts.postgres) return openPostgres<DB>(opts, opts.postgres);
  let location = ':memory:';
  if (!opts.inMemory) {
    const dir = resolve(opts.dataDir);
    mkdirSync(dir, { recursive: true });
    location = join(dir, `${opts.service}.sqlite`);
  }
  const database = nodeSqliteDatabase(location);
  const log = traceQueries('sqlite', opts.service);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database }), log });
  // Statements compiled once (prepared.ts) run at once when no transaction holds the connection (direct.ts).
  registerDirect(db, database.direct, log);
  try {
    const applied = await migrate(db, opts.migrations);
    return storeOf(db, 'sqlite', location, applied);
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

async function openPostgres<DB>(opts: StoreOptions, target: PostgresTarget): Promise<Store<DB>> {
  const location = masked(target.url);
  const connect = (): Kysely<DB> => new Kysely<DB>({ dialect: postgresDialect({ target, applicationName: opts.service }), log: traceQueries('postgresql', opts.service) });
  let db = connect();
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy();
    // 3D000 invalid_catalog_name: the database is missing, so create it (a fresh server, a first start).
    if ((error as { code?: string }).code !== '3D000') {
      throw new Error(`Cannot reach PostgreSQL at ${location}: ${describe(error)}`, { cause: error });
    }
    await ensureDatabase(target.url);
    db = connect();
  }
  try {
    const applied = await migrate(db, opts.migrations);
    return storeOf(db, 'postgres', location, applied);
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

function storeOf<DB>(db: Kysely<DB>, dialect: StoreDialect, location: string, applied: string[]): Store<DB> {
  return {
    db,
    dialect,
    location,
    applied,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

function describe(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: { message?: string }[] };
  // A refused connection to 'localhost' is an AggregateError (IPv4 and IPv6) with an empty message.
  const message = e.message || e.errors?.map((x) => x.message).join('; ') || String(error);
  return e.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/**
 * Apply pending migrations; a failed migration is an error naming it.
 * Several instances may start at once: on PostgreSQL, Kysely's migrator holds
 * an advisory lock (per database) and runs each migration in a transaction, and
 * reads what is applied only under that lock; on SQLite it takes no lock, so
 * the whole run is one `BEGIN IMMEDIATE` transaction (one writer at a time; a
 * second process waits for it, then finds nothing to do).
 */
export async function migrate<DB>(db: Kysely<DB>, migrations: Record<string, Migration>): Promise<string[]> {
  if (dialectOf(db) === 'postgres') return runMigrator(db, migrations);
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const applied = await runMigrator(conn, migrations);
      await sql`commit`.execute(conn);
      return applied;
    } catch (error) {
      await sql`rollback`.execute(conn);
      throw error;
    }
  });
}

async function runMigrator<DB>(db: Kysely<DB>, migrations: Record<string, Migration>): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const name = failed ? ` "${failed.migrationName}"` : '';
    throw new Error(`Migration${name} failed: ${describe(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Which dialect a Kysely instance (or transaction) speaks; for the few queries and migrations that must differ. */
export function dialectOf<DB>(db: Kysely<DB>): StoreDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * A service's PostgreSQL target from its config: its own `<SERVICE>_DATABASE_URL`
 * when set, else database `bazaar_<service>` on the `BAZAAR_POSTGRES_URL`
 * server; undefined when neither is set (the service uses SQLite).
 */
export function postgresTarget(opts: {
  service: string;
  databaseUrl?: string | undefined;
  serverUrl?: string | undefined;
  poolSize?: number | undefined;
  /** BAZAAR_ENV: in production the embedded SQLite store is refused (each pod would keep its own data)... */
  env?: 'development' | 'production' | undefined;
  /** ...unless BAZAAR_SINGLE_INSTANCE says this service runs as exactly one instance. */
  singleInstance?: boolean | undefined;
}): PostgresTarget | undefined {
  const poolSize = opts.poolSize;
  if (opts.databaseUrl) return { url: opts.databaseUrl, poolSize };
  if (opts.serverUrl) return { url: withDatabase(opts.serverUrl, `bazaar_${opts.service.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`), poolSize };
  if (opts.env === 'production' && opts.singleInstance !== true) {
    throw new Error(
      `Invalid configuration:\n  - BAZAAR_POSTGRES_URL: is required in production (BAZAAR_ENV=production): without it ${opts.service} would keep its data in a SQLite file of its own instance; set BAZAAR_SINGLE_INSTANCE=true only if it runs as exactly one instance`,
    );
  }
  return undefined;
}

/** The settings of a service's config that say where its store is (every service's config schema has them). */
export interface StoreConfig {
  BAZAAR_DATA_DIR: string;
  BAZAAR_POSTGRES_URL?: string | undefined;
  BAZAAR_POSTGRES_POOL_SIZE: number;
  /** In production the embedded SQLite store is refused unless BAZAAR_SINGLE_INSTANCE (docs/security.md). */
  BAZAAR_ENV?: 'development' | 'production' | undefined;
  BAZAAR_SINGLE_INSTANCE?: boolean | undefined;
}

/** Where a service's store is, from its config: PostgreSQL (its own database URL, or the shared server), else SQLite in BAZAAR_DATA_DIR. */
export function storeLocation(opts: { service: string; config: StoreConfig; databaseUrl: string | undefined }): StoreLocation {
  const { config } = opts;
  return {
    dataDir: config.BAZAAR_DATA_DIR,
    postgres: postgresTarget({
      service: opts.service,
      databaseUrl: opts.databaseUrl,
      serverUrl: config.BAZAAR_POSTGRES_URL,
      poolSize: config.BAZAAR_POSTGRES_POOL_SIZE,
      env: config.BAZAAR_ENV,
      singleInstance: config.BAZAAR_SINGLE_INSTANCE,
    }),
  };
}

/** The current time as an ISO-8601 string, the one timestamp format stores use. */
export function nowIso(): string {
  return new Date().toISOString();
}

export { sql };
export { isUniqueViolation } from './errors.ts';
