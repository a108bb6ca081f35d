import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testLogger, callAs, testCredentials } from '@bazaar/kit/testing';
import type { NewEvent } from '@bazaar/messaging';
import { startTestProducer, type TestProducer } from '@bazaar/messaging/testing';
import type { ProductChangedData } from '@bazaar/contracts/events';
import type { IndexedProduct } from '../src/domain/product-index.ts';
import { buildApp } from '../src/app.ts';
import { httpFeeds } from '../src/upstream/feeds.ts';
import { createIndexer, type Indexer } from '../src/indexer.ts';
import { snapshotStore } from '../src/store/snapshot.ts';

export const internal = callAs('search');

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
 * A stand-in producer (catalog or inventory): a real outbox served by the
 * real event feed on a local port, which can be stopped and started again as
 * the real service would be; `listen: false` starts it down.
 */
export const startProducer = (source: 'catalog' | 'inventory', opts: { listen?: boolean } = {}): Promise<TestProducer> =>
  startTestProducer({ source, credentials: testCredentials(source), ...opts });
export type Producer = TestProducer;

export const created = (data: ProductChangedData): NewEvent => ({ type: 'catalog.product-created', subject: data.id, data });
export const updated = (data: ProductChangedData): NewEvent => ({ type: 'catalog.product-updated', subject: data.id, data });
export const stock = (productId: string, available: number): NewEvent => ({ type: 'inventory.stock-changed', subject: productId, data: { productId, available } });

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
    feeds: httpFeeds({ urls: { catalog: opts.catalog.url, inventory: opts.inventory.url }, credentials: testCredentials('search'), logger, waitMs: 1000 }),
    snapshots,
    logger,
    snapshotIntervalMs: opts.snapshotIntervalMs ?? 60_000,
    catchUpCheckMs: 50,
  });
  await indexer.start();
  const app = buildApp({ model: indexer, logger, credentials: testCredentials('search'), defaultMetrics: false });
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
