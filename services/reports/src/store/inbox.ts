import type { CursorStore } from '@bazaar/messaging';
import { sqlTimestamp } from '../domain/time.ts';
import { num, type Duck, type Tx } from './duck.ts';

/**
 * The inbox and the feed cursors, in DuckDB: the same semantics as
 * @bazaar/messaging's (Kysely-based) inbox, which cannot run on DuckDB.
 * A stream is "<source>/<consumer>", as the HTTP feed transport names it.
 */

/** Move a stream's cursor, in the caller's transaction. */
export async function saveCursor(tx: Tx, stream: string, position: number): Promise<void> {
  await tx.run(
    `INSERT INTO event_cursors VALUES ($stream, $position, $at::TIMESTAMP)
     ON CONFLICT (stream) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    { stream, position, at: sqlTimestamp(new Date()) },
  );
}

/**
 * Apply `effect` for an event exactly once, in one transaction with the
 * inbox entry and the cursor moving past the event: a redelivered event
 * finds itself in the inbox and changes nothing but the cursor; a crash
 * before the commit leaves none of the three, so the redelivery applies it.
 */
export function handleOnce(
  duck: Duck,
  opts: { event: { id: string; source: string; type: string; sequence: number }; stream: string; effect: (tx: Tx) => Promise<void> },
): Promise<'handled' | 'duplicate'> {
  const { event } = opts;
  return duck.transaction(async (tx) => {
    const seen = await tx.all('SELECT 1 FROM inbox WHERE event_id = $id', { id: event.id });
    if (seen.length === 0) {
      await opts.effect(tx);
      await tx.run('INSERT INTO inbox VALUES ($id, $source, $type, $at::TIMESTAMP)', { id: event.id, source: event.source, type: event.type, at: sqlTimestamp(new Date()) });
    }
    await saveCursor(tx, opts.stream, event.sequence);
    return seen.length === 0 ? 'handled' : 'duplicate';
  });
}

/** Durable read positions per stream, for the HTTP feed transport (it saves after each acknowledged event). */
export function duckCursorStore(duck: Duck): CursorStore {
  return {
    async load(stream) {
      const [row] = await duck.read('SELECT position FROM event_cursors WHERE stream = $stream', { stream });
      return num(row?.position);
    },
    async save(stream, position) {
      await duck.transaction((tx) => saveCursor(tx, stream, position));
    },
  };
}
