import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testLogger } from '@bazaar/kit/testing';
import { outboxHead } from '@bazaar/messaging';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { generateSeedCatalog, SEED_CATEGORIES } from '../src/domain/seed.ts';
import { openCatalogStore, productRepository } from '../src/store/index.ts';
import { seedCatalog } from '../src/seed.ts';
import type { ProductPage } from '@bazaar/contracts/catalog';
import { startCatalog } from './helpers.ts';

test('the seed is deterministic, realistic and large enough', () => {
  const a = generateSeedCatalog();
  const b = generateSeedCatalog();
  assert.deepEqual(a, b);
  assert.ok(a.length >= 500);
  assert.ok(SEED_CATEGORIES.length >= 8);
  assert.equal(new Set(a.map((p) => p.id)).size, a.length);
  assert.equal(new Set(a.map((p) => p.sku)).size, a.length);
  assert.ok(a.every((p) => Number.isInteger(p.priceAmount) && p.priceAmount > 0));
  assert.ok(a.some((p) => /Headphones/.test(p.name)));
  assert.ok(a.every((p) => p.description.length > 20));
});

test('two fresh in-memory catalogs serve identical pages and categories', async () => {
  const [a, b] = await Promise.all([startCatalog(), startCatalog()]);
  for (const url of ['/api/catalog/products', '/api/catalog/products?limit=100&category=audio', '/api/catalog/categories']) {
    const [x, y] = await Promise.all([a.app.inject({ url }), b.app.inject({ url })]);
    assert.equal(x.statusCode, 200);
    assert.deepEqual(x.json(), y.json(), url);
  }
  const first = (await a.app.inject({ url: '/api/catalog/products' })).json() as ProductPage;
  assert.equal(first.items.length, 20);
  await Promise.all([a.app.close(), b.app.close()]);
});

for (const dialect of DIALECTS) {
  test(`${dialect}: a durable store is seeded exactly once, and keeps products across reopen`, async (t) => {
    const where = await testLocation(dialect, 'catalog', t, { file: true });
    const first = await openCatalogStore(where);
    const lines: string[] = [];
    const started = performance.now();
    assert.equal(await seedCatalog({ store: first, currency: 'EUR', enabled: true, logger: testLogger(lines) }), 600);
    // The brief wants seeding well under 2 s (it is ~100 ms on an idle machine): reported, not asserted, since a busy
    // machine stretches wall time at will (docs/testing.md).
    t.diagnostic(`${dialect}: seeding 600 products took ${Math.round(performance.now() - started)} ms`);
    assert.ok(lines.some((l) => JSON.parse(l).msg === 'catalog seeded' && JSON.parse(l).products === 600), 'logs how many products were seeded');
    const repo = productRepository(first.db);
    const some = (await repo.page({ limit: 1 })).items[0];
    assert.ok(some);
    await repo.update(some.id, { name: 'Renamed' }, new Date().toISOString());
    await first.close();

    const second = await openCatalogStore(where);
    t.after(() => second.close());
    assert.deepEqual(second.applied, []);
    assert.equal(await seedCatalog({ store: second, currency: 'EUR', enabled: true, logger: testLogger() }), 0, 'not seeded again');
    const again = productRepository(second.db);
    assert.equal((await again.get(some.id))?.name, 'Renamed', 'changes survive a restart and are not overwritten');
    const counts = await again.categories();
    assert.equal(counts.reduce((n, c) => n + c.productCount, 0), 600);
  });
}

test('postgres: instances starting at once on one database seed it exactly once', async (t) => {
  const where = await testLocation('postgres', 'catalog', t);
  const stores = await Promise.all([1, 2, 3].map(() => openCatalogStore(where)));
  t.after(() => Promise.all(stores.map((s) => s.close())));
  const seeded = await Promise.all(stores.map((store) => seedCatalog({ store, currency: 'EUR', enabled: true, logger: testLogger() })));
  assert.deepEqual([...seeded].sort((a, b) => a - b), [0, 0, 600]);
  const repo = productRepository(stores[0]!.db);
  assert.equal((await repo.categories()).reduce((n, c) => n + c.productCount, 0), 600);
  assert.equal(await outboxHead(stores[1]!.db), 600, 'one product-created event per product');
});

test('with seeding off, the categories still exist but no products', async () => {
  const store = await openCatalogStore({ dataDir: '', inMemory: true });
  assert.equal(await seedCatalog({ store, currency: 'EUR', enabled: false, logger: testLogger() }), 0);
  const repo = productRepository(store.db);
  assert.equal((await repo.categories()).length, SEED_CATEGORIES.length);
  assert.equal((await repo.page({ limit: 10 })).items.length, 0);
  await store.close();
});
