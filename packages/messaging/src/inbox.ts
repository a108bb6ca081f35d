import type { Kysely, Transaction } from 'kysely';
import type { Migration } from '@bazaar/store';

/** The tables a consuming service has in its own database. */
export interface InboxTables {
  inbox: { event_id: string; source: string; type: string; handled_at: string };
  event_cursors: { stream: string; position: number; updated_at: string };
}

/** Add to a consumer's migrations (name it e.g. '0002_inbox'). Runs on SQLite and PostgreSQL. */
export const inboxMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('inbox')
      .addColumn('event_id', 'text', (c) => c.primaryKey())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('handled_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('event_cursors')
      .addColumn('stream', 'text', (c) => c.primaryKey())
      // bigint: a position is a producer's outbox seq (BIGINT on PostgreSQL; SQLite integers are 64-bit anyway).
      .addColumn('position', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};

/**
 * Run `effect` for an event exactly once: in one transaction, skip it if the
 * inbox already holds the event id, otherwise apply the effect and record the
 * id. A crash before commit leaves neither, so the redelivery applies it.
 */
export async function handleOnce<DB extends InboxTables>(
  db: Kysely<DB>,
  event: { id: string; source: string; type: string },
  effect: (trx: Transaction<DB>) => Promise<void>,
): Promise<'handled' | 'duplicate'> {
  return db.transaction().execute(async (trx) => {
    const t = trx as unknown as Transaction<InboxTables>;
    const seen = await t.selectFrom('inbox').select('event_id').where('event_id', '=', event.id).executeTakeFirst();
    if (seen) return 'duplicate';
    await effect(trx);
    await t.insertInto('inbox').values({ event_id: event.id, source: event.source, type: event.type, handled_at: new Date().toISOString() }).execute();
    return 'handled';
  });
}

/** Durable read positions per stream (source and consumer), for transports that pull (the embedded feed). */
export function cursorStore<DB extends InboxTables>(db: Kysely<DB>) {
  const k = db as unknown as Kysely<InboxTables>;
  return {
    async load(stream: string): Promise<number> {
      const row = await k.selectFrom('event_cursors').select('position').where('stream', '=', stream).executeTakeFirst();
      return Number(row?.position ?? 0);
    },
    async save(stream: string, position: number): Promise<void> {
      const now = new Date().toISOString();
      await k
        .insertInto('event_cursors')
        .values({ stream, position, updated_at: now })
        .onConflict((oc) => oc.column('stream').doUpdateSet({ position, updated_at: now }))
        .execute();
    },
  };
}

export type CursorStore = ReturnType<typeof cursorStore>;
