import type { Kysely } from 'kysely';

/**
 * The traceparent of the event handling that queued an email, so the SMTP
 * send (later, from the sender's loop) is a span of the same trace: the
 * checkout's story ends with its email. Rows queued before have none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('emails').addColumn('traceparent', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('emails').dropColumn('traceparent').execute();
}
