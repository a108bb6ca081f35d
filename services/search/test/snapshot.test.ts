// The snapshot file: atomic round trip, and what happens when it is missing
// or damaged (the indexer rebuilds from the producers' event history).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@bazaar/kit/testing';
import { ProductIndex } from '../src/domain/product-index.ts';
import { snapshotStore } from '../src/store/snapshot.ts';
import { created, product, startProducer, startSearch, stock, tempDir } from './helpers.ts';

test('a snapshot round-trips: same answers, same cursors, no temp file left', async () => {
  const tmp = tempDir();
  try {
    const store = snapshotStore(tmp.dir);
    assert.deepEqual(await store.load(), { kind: 'missing' });
    const index = ProductIndex.empty();
    index.upsertProduct(product({ id: 'z', name: 'Zephyrine Studio Headphones' }));
    index.upsertProduct(product({ id: 'y', name: 'Sonora Wireless Headphones' }));
    index.setStock('z', 4);
    await store.save({ takenAt: '2026-01-01T00:00:00.000Z', cursors: { 'catalog/search': 2, 'inventory/search': 1 }, state: index.toState() });
    // A second save replaces the first whole.
    index.setStock('y', 9);
    await store.save({ takenAt: '2026-01-01T00:00:01.000Z', cursors: { 'catalog/search': 2, 'inventory/search': 2 }, state: index.toState() });
    assert.deepEqual(readdirSync(tmp.dir), ['snapshot.json']);
    const loaded = await store.load();
    assert.equal(loaded.kind, 'ok');
    if (loaded.kind !== 'ok') return;
    assert.deepEqual(loaded.snapshot.cursors, { 'catalog/search': 2, 'inventory/search': 2 });
    const restored = ProductIndex.fromState(loaded.snapshot.state);
    const q = { q: 'headphnes', limit: 10, offset: 0 };
    assert.deepEqual(restored.search(q), index.search(q));
    assert.equal(restored.available('y'), 9);
    await store.remove();
    assert.deepEqual(await store.load(), { kind: 'missing' });
  } finally {
    tmp.remove();
  }
});

test('a damaged snapshot file is reported unreadable, with the reason', async () => {
  const tmp = tempDir();
  try {
    const store = snapshotStore(tmp.dir);
    writeFileSync(join(tmp.dir, 'snapshot.json'), '{"format":1,"takenAt":"x","curs');
    const truncated = await store.load();
    assert.equal(truncated.kind, 'unreadable');
    assert.match(truncated.kind === 'unreadable' ? truncated.reason : '', /not JSON/);
    writeFileSync(join(tmp.dir, 'snapshot.json'), JSON.stringify({ format: 99, takenAt: 'x', cursors: {}, products: [], stock: [], fullText: { serializationVersion: 2 } }));
    const wrongFormat = await store.load();
    assert.equal(wrongFormat.kind, 'unreadable');
    assert.match(wrongFormat.kind === 'unreadable' ? wrongFormat.reason : '', /\/format/);
  } finally {
    tmp.remove();
  }
});

for (const [name, content] of [
  ['garbage bytes', 'this is not a snapshot \u0000\u0001'],
  ['valid JSON whose index does not match its products', 'MISMATCH'],
] as const) {
  test(`a corrupt snapshot (${name}) makes search rebuild from position 0 of every feed`, async () => {
    const tmp = tempDir();
    const catalog = await startProducer('catalog');
    const inventory = await startProducer('inventory');
    try {
      const zeph = product({ name: 'Zephyrine Studio Headphones' });
      await catalog.publishAll([created(zeph), created(product({ name: 'Hearth Cast-Iron Skillet', category: 'home-kitchen' }))]);
      await inventory.publishAll([stock(zeph.id, 5)]);
      if (content === 'MISMATCH') {
        // An index of one product, saved with positions that claim everything was seen.
        const other = ProductIndex.empty();
        other.upsertProduct(product({ name: 'Stale Product' }));
        const state = other.toState();
        state.products = [];
        await snapshotStore(tmp.dir).save({ takenAt: new Date().toISOString(), cursors: { 'catalog/search': 2, 'inventory/search': 1 }, state });
      } else {
        writeFileSync(join(tmp.dir, 'snapshot.json'), content);
      }
      const search = await startSearch({ dir: tmp.dir, catalog, inventory });
      try {
        assert.match(search.indexer.status().rebuildReason ?? '', /snapshot unreadable/);
        await waitFor('the rebuild to finish', () => search.indexer.status().phase === 'ready');
        const page = await search.search('q=zephyrine');
        assert.equal(page.items[0]?.id, zeph.id);
        assert.equal(page.items[0]?.available, 5);
        assert.equal((await search.search('')).total, 2);
        // The rebuilt index was saved at once, so the next start needs no rebuild.
        const saved = await search.snapshots.load();
        assert.equal(saved.kind, 'ok');
        assert.deepEqual(saved.kind === 'ok' ? saved.snapshot.cursors : {}, { 'catalog/search': 2, 'inventory/search': 1 });
      } finally {
        await search.stop();
      }
    } finally {
      await catalog.close();
      await inventory.close();
      tmp.remove();
    }
  });
}
