import { sql, type Kysely } from 'kysely';

/**
 * Stock per product (three non-negative counters) and reservations with their
 * items. The CHECK constraints are the last line of defence: even a bug in the
 * conditional updates cannot make a counter negative, it fails the transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stock')
    .addColumn('product_id', 'text', (c) => c.primaryKey())
    .addColumn('available', 'integer', (c) => c.notNull().check(sql`available >= 0`))
    .addColumn('reserved', 'integer', (c) => c.notNull().defaultTo(0).check(sql`reserved >= 0`))
    .addColumn('committed', 'integer', (c) => c.notNull().defaultTo(0).check(sql`committed >= 0`))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('reservations')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('RESERVED', 'COMMITTED', 'RELEASED')`))
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('release_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // The sweeper looks for RESERVED rows whose expiry has passed.
  await db.schema.createIndex('reservations_status_expires').on('reservations').columns(['status', 'expires_at']).execute();
  await db.schema
    .createTable('reservation_items')
    .addColumn('order_id', 'text', (c) => c.notNull().references('reservations.order_id'))
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    // Position in the request, so a reservation reads back in the order it was made.
    .addColumn('line', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('reservation_items_pk', ['order_id', 'product_id'])
    .execute();
  // Lazy expiry on a stock read finds the reservations holding one product.
  await db.schema.createIndex('reservation_items_product').on('reservation_items').columns(['product_id', 'order_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('reservation_items').execute();
  await db.schema.dropTable('reservations').execute();
  await db.schema.dropTable('stock').execute();
}
