import type { Kysely } from 'kysely';

/**
 * The cart revision at which each line was last set. An order names the
 * revision it was placed from; when its `orders.order-confirmed` lands
 * (seconds later, perhaps) a line set after that revision is the shopper's
 * later decision and stays (issue 12). Lines from before this migration
 * count as set at 0: unchanged since any order, so they leave as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('cart_lines')
    // bigint like cart_revisions.revision.
    .addColumn('set_revision', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cart_lines').dropColumn('set_revision').execute();
}
