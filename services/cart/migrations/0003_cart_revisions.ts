import type { Kysely } from 'kysely';

/**
 * A revision per cart, bumped by every change to its lines in the same
 * transaction. The cart's version (its ETag, checkout's If-Match) is made of
 * it and the prices, so a cart emptied by an order and filled again with the
 * same lines is a new version, and a write conditional on a revision
 * (compare-and-set) cannot overwrite a change it did not see.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cart_revisions')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    // bigint: a long-lived cart may pass 2^31 changes on PostgreSQL's 4-byte integer in theory; same 64-bit INTEGER on SQLite.
    .addColumn('revision', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cart_revisions').execute();
}
