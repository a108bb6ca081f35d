import type { Kysely } from 'kysely';

/**
 * A cart version becomes at most one live order: `cart_orders` holds, per
 * user and cart version (the cart's ETag, sent as If-Match), the order made
 * of it. Its primary key decides between concurrent checkouts of one version
 * whatever their Idempotency-Keys; the row goes when that order is cancelled,
 * so the shopper may try the same cart again (e.g. with another card).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cart_orders')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('cart_version', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('cart_orders_pk', ['user_id', 'cart_version'])
    .execute();
  await db.schema.createIndex('cart_orders_order').on('cart_orders').column('order_id').execute();
  await db.schema.alterTable('orders').addColumn('cart_version', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('cart_version').execute();
  await db.schema.dropTable('cart_orders').execute();
}
