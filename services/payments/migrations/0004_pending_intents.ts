import { sql, type Kysely } from 'kysely';

/**
 * The reconciliation sweep (every PAYMENTS_RECONCILE_INTERVAL_MS) asks for the
 * intents still PENDING past an age, oldest first, and every payment ever
 * taken stays in the table. Without an index it read and sorted the whole
 * table each pass. A payment is PENDING only between its intent and the PSP's
 * answer, so an index of the PENDING rows alone stays a handful of entries
 * however many payments were taken, and it gives the sweep its order too. The
 * query names 'PENDING' as a literal, which is what lets SQLite match it to the
 * index's condition.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('payments_pending_created').on('payments').column('created_at').where(sql.ref('status'), '=', sql.lit('PENDING')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('payments_pending_created').execute();
}
