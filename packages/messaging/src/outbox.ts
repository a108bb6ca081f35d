import { randomUUID } from 'node:crypto';
import { sql, type Generated, type Kysely, type Transaction } from 'kysely';
import type { Migration } from '@bazaar/store';
import { currentContext, formatTraceparent } from '@bazaar/kit';
import type { AnyCloudEvent, NewEvent } from './types.ts';

/** The outbox table every producing service has in its own database. */
export interface OutboxTables {
  outbox: {
    seq: Generated<number>;
    id: string;
    type: string;
    source: string;
    subject: string | null;
    time: string;
    data: string;
    traceparent: string | null;
  };
}

/** Add to a producer's migrations (name it e.g. '0002_outbox'). */
export const outboxMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('outbox')
      // A strictly increasing, never reused position: the feed's cursor.
      .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('traceparent', 'text')
      .execute();
  },
};

type AnyDb<T> = Kysely<T> | Transaction<T>;

/**
 * Write an event in the caller's transaction, so it is published if and only
 * if the state change commits (the transactional outbox pattern).
 */
export async function appendEvent<DB extends OutboxTables>(trx: AnyDb<DB>, source: string, event: NewEvent): Promise<string> {
  const db = trx as unknown as Kysely<OutboxTables>;
  const ctx = currentContext();
  const id = randomUUID();
  await db
    .insertInto('outbox')
    .values({
      id,
      type: event.type,
      source,
      subject: event.subject ?? null,
      time: new Date().toISOString(),
      data: JSON.stringify(event.data),
      traceparent: ctx ? formatTraceparent(ctx.traceId, ctx.spanId) : null,
    })
    .execute();
  return id;
}

/** Events after `after`, oldest first, as CloudEvents. */
export async function readOutbox<DB extends OutboxTables>(db: Kysely<DB>, after: number, limit: number): Promise<AnyCloudEvent[]> {
  const rows = await (db as unknown as Kysely<OutboxTables>)
    .selectFrom('outbox')
    .selectAll()
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    specversion: '1.0' as const,
    id: r.id,
    source: r.source,
    type: r.type,
    ...(r.subject === null ? {} : { subject: r.subject }),
    time: r.time,
    datacontenttype: 'application/json' as const,
    ...(r.traceparent === null ? {} : { traceparent: r.traceparent }),
    sequence: r.seq,
    data: JSON.parse(r.data) as unknown,
  }));
}

/** The newest position in the outbox (0 when empty). */
export async function outboxHead<DB extends OutboxTables>(db: Kysely<DB>): Promise<number> {
  const row = await (db as unknown as Kysely<OutboxTables>)
    .selectFrom('outbox')
    .select(sql<number | null>`max(seq)`.as('head'))
    .executeTakeFirst();
  return Number(row?.head ?? 0);
}
