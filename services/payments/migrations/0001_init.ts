import type { Kysely } from 'kysely';

/** One payment per order (order_id unique). Card data: the last four digits only. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('payments')
    .addColumn('payment_id', 'text', (c) => c.primaryKey())
    // The unique index is what makes authorize idempotent by order, also under concurrency.
    .addColumn('order_id', 'text', (c) => c.notNull().unique())
    // bigint: amounts go up to 10^11 minor units (contracts' Money), past PostgreSQL's 4-byte integer; on SQLite it is the same 64-bit INTEGER.
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // Null only for a card the PSP refused to read (invalid number): nothing was recorded there.
    .addColumn('psp_authorization_id', 'text')
    .addColumn('card_last4', 'text', (c) => c.notNull())
    .addColumn('decline_code', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('payments').execute();
}
