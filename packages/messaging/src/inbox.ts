import type { Kysely, Transaction } from 'kysely';
import { prepare, prepareCommand, type Migration } from '@bazaar/store';

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
  const statements = inboxStatements(db as unknown as Kysely<InboxTables>);
  return db.transaction().execute(async (trx) => {
    const t = trx as unknown as Transaction<InboxTables>;
    const [seen] = await statements.seen({ id: event.id }, t);
    if (seen) return 'duplicate';
    await effect(trx);
    await statements.record({ id: event.id, source: event.source, type: event.type, at: new Date().toISOString() }, t);
    return 'handled';
  });
}

/** The inbox's two statements, compiled once per database (prepare): every event a consumer handles runs both. */
const compiledInboxes = new WeakMap<object, ReturnType<typeof compileInbox>>();

function inboxStatements(db: Kysely<InboxTables>) {
  let statements = compiledInboxes.get(db);
  if (statements === undefined) compiledInboxes.set(db, (statements = compileInbox(db)));
  return statements;
}

function compileInbox(db: Kysely<InboxTables>) {
  return {
    seen: prepare(db, ['id'], (d, p) => d.selectFrom('inbox').select('event_id').where('event_id', '=', p.id)),
    record: prepareCommand(db, ['id', 'source', 'type', 'at'], (d, p) => d.insertInto('inbox').values({ event_id: p.id, source: p.source, type: p.type, handled_at: p.at })),
  };
}

/** Durable read positions per stream (source and consumer), for transports that pull (the embedded feed). */
export function cursorStore<DB extends InboxTables>(db: Kysely<DB>) {
  const k = db as unknown as Kysely<InboxTables>;
  const load = prepare(k, ['stream'], (d, p) => d.selectFrom('event_cursors').select('position').where('stream', '=', p.stream));
  const save = prepareCommand(k, ['stream', 'position', 'at'], (d, p) =>
    d
      .insertInto('event_cursors')
      .values({ stream: p.stream, position: p.position, updated_at: p.at })
      .onConflict((oc) => oc.column('stream').doUpdateSet({ position: p.position, updated_at: p.at })),
  );
  return {
    async load(stream: string): Promise<number> {
      const [row] = await load({ stream });
      return Number(row?.position ?? 0);
    },
    async save(stream: string, position: number): Promise<void> {
      await save({ stream, position, at: new Date().toISOString() });
    },
  };
}

export type CursorStore = ReturnType<typeof cursorStore>;
