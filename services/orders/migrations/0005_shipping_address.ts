import type { Kysely } from 'kysely';

/**
 * What fulfilment needs, kept with the order: the shipping address given at
 * checkout (JSON) and the customer's name. Orders placed before this
 * migration have neither (null).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite adds columns one at a time.
  await db.schema.alterTable('orders').addColumn('shipping_address', 'text').execute();
  await db.schema.alterTable('orders').addColumn('customer_name', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('customer_name').execute();
  await db.schema.alterTable('orders').dropColumn('shipping_address').execute();
}
