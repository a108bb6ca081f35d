import * as init from './0001_init.ts';

/** A DuckDB migration: statements run in one transaction, recorded by name. */
export interface DuckMigration {
  statements: readonly string[];
}

/** The reports service's migrations, applied in name order at start-up. */
export const migrations: Record<string, DuckMigration> = {
  '0001_init': init,
};
