import type { Kysely } from 'kysely';

/**
 * The back office's two moves after confirmation: a shipment (carrier,
 * tracking number, when) and a full refund (when, whether the items went back
 * on hand, why). All null until they happen; the amount refunded is the
 * order's total.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite adds columns one at a time.
  await db.schema.alterTable('orders').addColumn('shipment_carrier', 'text').execute();
  await db.schema.alterTable('orders').addColumn('shipment_tracking', 'text').execute();
  await db.schema.alterTable('orders').addColumn('shipped_at', 'text').execute();
  await db.schema.alterTable('orders').addColumn('refunded_at', 'text').execute();
  // 0 or 1 (SQLite has no boolean).
  await db.schema.alterTable('orders').addColumn('refund_restock', 'integer').execute();
  await db.schema.alterTable('orders').addColumn('refund_reason', 'text').execute();
  // The back office lists every order newest first (optionally one status): one index serves the unfiltered page.
  await db.schema.createIndex('orders_created').on('orders').columns(['created_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('orders_created').execute();
  for (const column of ['refund_reason', 'refund_restock', 'refunded_at', 'shipped_at', 'shipment_tracking', 'shipment_carrier']) {
    await db.schema.alterTable('orders').dropColumn(column).execute();
  }
}
