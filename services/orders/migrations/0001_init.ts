import type { Kysely } from 'kysely';

/**
 * Orders, the checkout saga's durable state (one row per order) and the
 * idempotency keys of POST /api/checkout. Card numbers are never stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    // Kept for the order's events, which may be written after a restart, long after the token is gone.
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('items', 'text', (c) => c.notNull())
    // bigint: totals go up to 10^11 minor units (contracts' Money), past PostgreSQL's 4-byte integer; on SQLite it is the same 64-bit INTEGER.
    .addColumn('total_amount', 'bigint', (c) => c.notNull())
    .addColumn('total_currency', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('orders_user_created').on('orders').columns(['user_id', 'created_at']).execute();

  await db.schema
    .createTable('sagas')
    .addColumn('order_id', 'text', (c) => c.primaryKey().references('orders.id'))
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'text', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    // Why the order is being cancelled, while compensations run.
    .addColumn('reason', 'text')
    // JSON array of the compensations still to run, in order.
    .addColumn('compensations', 'text', (c) => c.notNull().defaultTo('[]'))
    // The checkout's trace, so a resumed saga's calls and events join it.
    .addColumn('trace_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sagas_due').on('sagas').columns(['step', 'next_attempt_at']).execute();

  await db.schema
    .createTable('checkout_keys')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    // The unique key decides between concurrent checkouts with one key.
    .addPrimaryKeyConstraint('checkout_keys_pk', ['user_id', 'idempotency_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('checkout_keys').execute();
  await db.schema.dropTable('sagas').execute();
  await db.schema.dropTable('orders').execute();
}
