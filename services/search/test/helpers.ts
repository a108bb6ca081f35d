import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceApp, SERVICE_TOKEN_HEADER, type ServiceApp } from '@bazaar/kit';
import { freePort, testLogger } from '@bazaar/kit/testing';
import { openStore, type Store } from '@bazaar/store';
import { appendEvent, eventFeedRoutes, outboxMigration, type OutboxTables } from '@bazaar/messaging';
import type { ProductChangedData } from '@bazaar/contracts/events';
import type { IndexedProduct } from '../src/domain/product-index.ts';
import { buildApp } from '../src/app.ts';
import { httpFeeds } from '../src/feeds.ts';
import { createIndexer, type Indexer } from '../src/indexer.ts';
import { snapshotStore } from '../src/store/snapshot.ts';

export const SERVICE_TOKEN = 'test-service-token-0123456789';
export const internal = { [SERVICE_TOKEN_HEADER]: SERVICE_TOKEN };

/** Poll `probe` until it returns something truthy; fail naming `what` at the deadline. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let counter = 0;
/** A product as catalog's events carry it. */
export function product(overrides: Partial<IndexedProduct> & { name: string }): ProductChangedData {
  counter += 1;
  return {
    id: overrides.id ?? `p-${String(counter).padStart(4, '0')}`,
    sku: overrides.sku ?? `SKU-${String(counter).padStart(6, '0')}`,
    description: overrides.description ?? '',
    category: overrides.category ?? 'audio',
    price: overrides.price ?? { amount: 1999, currency: 'EUR' },
    name: overrides.name,
  };
}

/**
 * A stand-in producer (catalog or inventory): a real outbox in an in-memory
 * store served by the real event feed on a fixed local port, which can be
 * stopped and started again as the real service would be.
 */
export async function startProducer(source: 'catalog' | 'inventory', opts: { listen?: boolean } = {}) {
  const store: Store<OutboxTables> = await openStore<OutboxTables>({ service: source, dataDir: '', inMemory: true, migrations: { '0001_outbox': outboxMigration } });
  const port = await freePort();
  let app: ServiceApp | undefined;
  const producer = {
    url: `http://127.0.0.1:${port}`,
    async start() {
      app = createServiceApp({ name: source, logger: testLogger(), defaultMetrics: false });
      app.register(eventFeedRoutes({ db: store.db, serviceToken: SERVICE_TOKEN }));
      await app.listen({ host: '127.0.0.1', port });
    },
    async stop() {
      await app?.close();
      app = undefined;
    },
    /** Append events in one transaction, as the producer's store does. */
    async publish(...events: { type: string; data: unknown }[]): Promise<void> {
      await store.db.transaction().execute(async (trx) => {
        for (const e of events) await appendEvent(trx, source, { ...e, subject: (e.data as { id?: string; productId?: string }).id ?? (e.data as { productId?: string }).productId ?? '' });
      });
    },
    async close() {
      await producer.stop();
      await store.close();
    },
  };
  if (opts.listen !== false) await producer.start();
  return producer;
}
export type Producer = Awaited<ReturnType<typeof startProducer>>;

export const created = (data: ProductChangedData) => ({ type: 'catalog.product-created', data });
export const updated = (data: ProductChangedData) => ({ type: 'catalog.product-updated', data });
export const stock = (productId: string, available: number) => ({ type: 'inventory.stock-changed', data: { productId, available } });

/** A fresh data dir, removed by the returned cleanup. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-search-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Search as main.ts wires it (real feeds over HTTP, snapshot in `dir`), with fast timers. */
export async function startSearch(opts: { dir: string; catalog: Producer; inventory: Producer; snapshotIntervalMs?: number }) {
  const logger = testLogger();
  const snapshots = snapshotStore(opts.dir);
  const indexer: Indexer = createIndexer({
    feeds: httpFeeds({ urls: { catalog: opts.catalog.url, inventory: opts.inventory.url }, serviceToken: SERVICE_TOKEN, logger, waitMs: 1000 }),
    snapshots,
    logger,
    snapshotIntervalMs: opts.snapshotIntervalMs ?? 60_000,
    catchUpCheckMs: 50,
  });
  await indexer.start();
  const app = buildApp({ model: indexer, logger, serviceToken: SERVICE_TOKEN, defaultMetrics: false });
  app.addHook('onClose', async () => indexer.stop());
  return {
    app,
    indexer,
    snapshots,
    async search(query: string) {
      const res = await app.inject({ url: `/api/search?${query}` });
      if (res.statusCode !== 200) throw new Error(`GET /api/search?${query} answered ${res.statusCode}: ${res.body}`);
      return res.json() as { items: { id: string; name: string; category: string; available: number; score: number; price: { amount: number } }[]; total: number; facets: { category: Record<string, number> }; nextCursor: string | null };
    },
    async readyz() {
      const res = await app.inject({ url: '/readyz' });
      return { status: res.statusCode, body: res.json() as { status: string; checks: Record<string, string> } };
    },
    stop: () => app.close(),
  };
}
