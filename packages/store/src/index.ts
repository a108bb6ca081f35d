import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { nodeSqliteDatabase } from './sqlite.ts';

export type { Migration };

export interface StoreOptions {
  /** The owning service; the file is `<dataDir>/<service>.sqlite`. */
  service: string;
  dataDir: string;
  /** Migrations by name; applied in name order (`0001_init`, `0002_…`). */
  migrations: Record<string, Migration>;
  /** Use an in-memory database (unit tests). */
  inMemory?: boolean;
}

/** One service's own database, migrated and ready. */
export interface Store<DB> {
  db: Kysely<DB>;
  dialect: 'sqlite';
  /** Where the data lives (a file path, or ':memory:'). */
  location: string;
  /** Names of migrations applied by this open. */
  applied: string[];
  /** Throws when the database cannot answer; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Open a service's store and bring its schema up to date. */
export async function openStore<DB>(opts: StoreOptions): Promise<Store<DB>> {
  let location = ':memory:';
  if (!opts.inMemory) {
    const dir = resolve(opts.dataDir);
    mkdirSync(dir, { recursive: true });
    location = join(dir, `${opts.service}.sqlite`);
  }
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: nodeSqliteDatabase(location) }) });
  const applied = await migrate(db, opts.migrations);
  return {
    db,
    dialect: 'sqlite',
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

/** Apply pending migrations; a failed migration is an error naming it. */
export async function migrate<DB>(db: Kysely<DB>, migrations: Record<string, Migration>): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const name = failed ? ` "${failed.migrationName}"` : '';
    throw new Error(`Migration${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The current time as an ISO-8601 string, the one timestamp format stores use. */
export function nowIso(): string {
  return new Date().toISOString();
}

export { sql };
