import type { Kysely } from 'kysely';

/**
 * Archived products: a timestamp, null while on sale. Listings and category
 * pages read only the unarchived, so the paging index leads with it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('products').addColumn('archived_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('products').dropColumn('archived_at').execute();
}
