import type { Kysely } from 'kysely';

/**
 * A lease per saga, so that several orders instances on one database never
 * drive the same saga at once: `owner` is the instance holding it (null: free),
 * `lease_until` the epoch ms until which it holds it unless renewed.
 * Sagas left by an older version start free and are claimed by the first sweep.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite adds columns one at a time.
  await db.schema.alterTable('sagas').addColumn('owner', 'text').execute();
  // bigint: epoch milliseconds are past PostgreSQL's 4-byte integer.
  await db.schema.alterTable('sagas').addColumn('lease_until', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sagas').dropColumn('lease_until').execute();
  await db.schema.alterTable('sagas').dropColumn('owner').execute();
}
