import type { CursorStore } from '@bazaar/messaging';
import { migrations } from '../../migrations/index.ts';
import type { Fact } from '../domain/facts.ts';
import type { SalesFigures } from '../domain/sales.ts';
import type { Window } from '../domain/window.ts';
import { duckFile, migrateDuck, num, openDuck, type Duck, type Tx } from './duck.ts';
import { recordFact, recordFacts } from './facts.ts';
import { duckCursorStore, handleBatchOnce, handleOnce } from './inbox.ts';
import { salesFigures } from './sales.ts';

const REBUILD_KEY = 'rebuild_started_at';

/** The reports read model: facts, inbox and cursors in one DuckDB database. */
export interface ReportsStore {
  /** The file, or ':memory:'. */
  location: string;
  /** Migrations applied by this open. */
  applied: string[];
  /** Feed positions, for the HTTP feed transport. */
  cursors: CursorStore;
  /** Throws when the database cannot answer; used by /readyz. */
  ping(): Promise<void>;
  /** Record an event's fact once: inbox entry, fact and cursor in one transaction. */
  apply(opts: { event: { id: string; source: string; type: string; sequence: number }; stream: string; fact: Fact }): Promise<'handled' | 'duplicate'>;
  /**
   * Record a batch of events (feed order) once, in one transaction: the facts
   * of new events, their inbox entries, and the cursor past the last event.
   * Events without a fact (ignored, invalid) only move the cursor.
   */
  applyBatch(opts: { stream: string; items: { event: { id: string; source: string; type: string; sequence: number }; fact?: Fact }[] }): Promise<{ handled: number; duplicates: number }>;
  sales(query: { window: Window; currency: string; top: number }): Promise<SalesFigures>;
  /** When the rebuild in progress started (ISO), if one is. */
  rebuildStartedAt(): Promise<string | undefined>;
  /** Forget every fact, inbox entry and position, and mark a rebuild as started: one transaction. */
  startRebuild(at: Date): Promise<string>;
  /** End the rebuild that started at `startedAt`; false when another one has started since. */
  finishRebuild(startedAt: string): Promise<boolean>;
  /** Events applied so far and the position in each stream. */
  progress(): Promise<{ events: number; positions: Record<string, number> }>;
  close(): Promise<void>;
}

async function markRebuild(tx: Tx, at: Date): Promise<string> {
  const value = at.toISOString();
  await tx.run('INSERT INTO meta VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value', { key: REBUILD_KEY, value });
  return value;
}

/**
 * Open (creating and migrating) `<dataDir>/reports.duckdb`, or an in-memory
 * database. A new database has seen no event yet: it is marked as
 * rebuilding, and fills from position 0 of every feed.
 */
export async function openReportsStore(opts: { dataDir: string; inMemory?: boolean }): Promise<ReportsStore> {
  const duck: Duck = await openDuck(opts.inMemory ? {} : { file: duckFile(opts.dataDir) });
  let applied: string[];
  try {
    const result = await migrateDuck(duck, migrations);
    applied = result.applied;
    if (result.fresh) await duck.transaction((tx) => markRebuild(tx, new Date()));
  } catch (error) {
    await duck.close();
    throw error;
  }
  // Positions committed by apply/applyBatch, so the transport's own save of the same position is skipped.
  const committed = new Map<string, number>();
  return {
    location: duck.location,
    applied,
    cursors: duckCursorStore(duck, committed),
    async ping() {
      await duck.read('SELECT 1');
    },
    async apply({ event, stream, fact }) {
      const outcome = await handleOnce(duck, { event, stream, effect: (tx) => recordFact(tx, fact) });
      committed.set(stream, event.sequence);
      return outcome;
    },
    async applyBatch({ stream, items }) {
      const result = await handleBatchOnce(duck, { stream, items, record: recordFacts });
      const last = items.at(-1);
      if (last) committed.set(stream, last.event.sequence);
      return result;
    },
    sales: (query) => salesFigures(duck, query),
    async rebuildStartedAt() {
      const [row] = await duck.read('SELECT value FROM meta WHERE key = $key', { key: REBUILD_KEY });
      return row === undefined ? undefined : String(row.value);
    },
    startRebuild(at) {
      committed.clear();
      return duck.transaction(async (tx) => {
        for (const table of ['order_lines', 'orders', 'payment_events', 'inbox', 'event_cursors']) await tx.run(`DELETE FROM ${table}`);
        return markRebuild(tx, at);
      });
    },
    async finishRebuild(startedAt) {
      const removed = await duck.transaction((tx) => tx.all('DELETE FROM meta WHERE key = $key AND value = $value RETURNING key', { key: REBUILD_KEY, value: startedAt }));
      return removed.length > 0;
    },
    progress() {
      return duck.snapshot(async (tx) => {
        const [events] = await tx.all('SELECT count(*) AS n FROM inbox');
        const cursors = await tx.all('SELECT stream, position FROM event_cursors ORDER BY stream');
        return { events: num(events?.n), positions: Object.fromEntries(cursors.map((c) => [String(c.stream), num(c.position)])) };
      });
    },
    close: () => duck.close(),
  };
}
