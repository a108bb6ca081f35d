import type { CursorStore } from '@bazaar/messaging';
import { sqlTimestamp } from '../domain/time.ts';
import { columns, num, type Duck, type Tx } from './duck.ts';

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

/** One event of a batch, and its fact if it has one (ignored and invalid events only move the cursor). */
export interface BatchItem<F> {
  event: { id: string; source: string; type: string; sequence: number };
  fact?: F;
}

/**
 * Apply a batch of events (in feed order) exactly once, in one transaction:
 * their inbox entries (one INSERT … ON CONFLICT DO NOTHING RETURNING: the rows
 * it returns are the events not seen before), the facts of those events
 * (`record`, given them in order), and the cursor moving past the last event. Events
 * already in the inbox (a redelivery) are skipped; a crash before the commit
 * leaves nothing of the batch, so the redelivery applies it. One transaction
 * and a few multi-row statements per batch instead of several statements and
 * a commit per event: on DuckDB each statement and commit costs far more
 * than the rows it carries.
 */
export function handleBatchOnce<F>(
  duck: Duck,
  opts: { stream: string; items: BatchItem<F>[]; record: (tx: Tx, facts: F[]) => Promise<void> },
): Promise<{ handled: number; duplicates: number }> {
  const last = opts.items.at(-1);
  if (!last) return Promise.resolve({ handled: 0, duplicates: 0 });
  return duck.transaction(async (tx) => {
    const withFact = opts.items.filter((i) => i.fact !== undefined);
    // A batch may hold the same event twice (a producer's retry): the first one counts.
    const ids = new Set<string>();
    const unique = withFact.filter((item) => !ids.has(item.event.id) && (ids.add(item.event.id), true));
    // The inbox rows first, in one statement that says which were new: only their facts are recorded.
    let fresh: BatchItem<F>[] = [];
    if (unique.length > 0) {
      const rows = columns('i', unique.map((item) => [item.event.id, item.event.source, item.event.type]), ['VARCHAR', 'VARCHAR', 'VARCHAR']);
      const inserted = await tx.all(`INSERT INTO inbox SELECT col0, col1, col2, $at::TIMESTAMP FROM (${rows.select}) ON CONFLICT DO NOTHING RETURNING event_id`, { ...rows.params, at: sqlTimestamp(new Date()) }, rows.types);
      const added = new Set(inserted.map((r) => String(r.event_id)));
      fresh = unique.filter((item) => added.has(item.event.id));
    }
    if (fresh.length > 0) await opts.record(tx, fresh.map((i) => i.fact as F));
    await saveCursor(tx, opts.stream, last.event.sequence);
    return { handled: fresh.length, duplicates: withFact.length - fresh.length };
  });
}

/**
 * Durable read positions per stream, for the HTTP feed transport (it saves
 * after each acknowledged event or page). `committed` holds the positions
 * the read model's own transactions already saved: saving one of those again
 * is skipped rather than costing a second transaction.
 */
export function duckCursorStore(duck: Duck, committed: Map<string, number> = new Map()): CursorStore {
  return {
    async load(stream) {
      const [row] = await duck.read('SELECT position FROM event_cursors WHERE stream = $stream', { stream });
      return num(row?.position);
    },
    async save(stream, position) {
      if (committed.get(stream) === position) return;
      await duck.transaction((tx) => saveCursor(tx, stream, position));
      committed.set(stream, position);
    },
  };
}
