import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testLogger } from '@bazaar/kit/testing';
import { generateSeedCatalog, SEED_CATEGORIES } from '../src/domain/seed.ts';
import { openCatalogStore, productRepository } from '../src/store/index.ts';
import { seedCatalog } from '../src/seed.ts';

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

test('a file store is seeded exactly once, and keeps products across reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-catalog-'));
  try {
    const first = await openCatalogStore({ dataDir: dir });
    assert.equal(await seedCatalog({ store: first, currency: 'EUR', enabled: true, logger: testLogger() }), 600);
    const repo = productRepository(first.db);
    const some = (await repo.page({ limit: 1 })).items[0];
    assert.ok(some);
    await repo.update(some.id, { name: 'Renamed' }, new Date().toISOString());
    await first.close();

    const second = await openCatalogStore({ dataDir: dir });
    assert.deepEqual(second.applied, []);
    assert.equal(await seedCatalog({ store: second, currency: 'EUR', enabled: true, logger: testLogger() }), 0, 'not seeded again');
    const again = productRepository(second.db);
    assert.equal((await again.get(some.id))?.name, 'Renamed', 'changes survive a restart and are not overwritten');
    const counts = await again.categories();
    assert.equal(counts.reduce((n, c) => n + c.productCount, 0), 600);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with seeding off, the categories still exist but no products', async () => {
  const store = await openCatalogStore({ dataDir: '', inMemory: true });
  assert.equal(await seedCatalog({ store, currency: 'EUR', enabled: false, logger: testLogger() }), 0);
  const repo = productRepository(store.db);
  assert.equal((await repo.categories()).length, SEED_CATEGORIES.length);
  assert.equal((await repo.page({ limit: 10 })).items.length, 0);
  await store.close();
});
