// Integration: search over real HTTP event feeds (real outboxes served by the
// real feed routes on local ports), a real snapshot directory, and producers
// that go down and come back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@bazaar/kit/testing';
import { created, internal, product, startProducer, startSearch, stock, tempDir, updated } from './helpers.ts';

async function fixture(opts: { catalogUp?: boolean } = {}) {
  const tmp = tempDir();
  const catalog = await startProducer('catalog', { listen: opts.catalogUp ?? true });
  const inventory = await startProducer('inventory');
  return {
    dir: tmp.dir,
    catalog,
    inventory,
    async close() {
      await catalog.close();
      await inventory.close();
      tmp.remove();
    },
  };
}

/**
 * Wait until `probe` holds, print how long that took and return it. The latency is
 * reported, not asserted: a busy machine stretches wall time at will (docs/testing.md).
 */
async function timed(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<number> {
  const t0 = Date.now();
  await waitFor(what, probe, timeoutMs);
  const ms = Date.now() - t0;
  console.log(`# ${what}: ${ms} ms`);
  return ms;
}

test('rebuilding while catalog is unreachable, ready once caught up; changes become searchable (latency printed)', async () => {
  const f = await fixture({ catalogUp: false });
  const zeph = product({ name: 'Zephyrine Studio Headphones', description: 'Closed-back headphones for mixing.', price: { amount: 12_999, currency: 'EUR' } });
  const seeded = Array.from({ length: 40 }, (_, i) => product({ name: `Sonora Wireless Headphones ${i}`, category: i % 2 ? 'audio' : 'electronics' }));
  await f.catalog.publishAll(seeded.map(created));
  await f.inventory.publishAll(seeded.map((p) => stock(p.id, 10)));
  const search = await startSearch({ dir: f.dir, catalog: f.catalog, inventory: f.inventory });
  try {
    const rebuilding = await waitFor('readyz to report catalog unreachable', async () => {
      const r = await search.readyz();
      return r.status === 503 && /unreachable/.test(r.body.checks.index ?? '') && r;
    });
    assert.match(rebuilding.body.checks.index ?? '', /^rebuilding \(no snapshot\): \d+ events applied, 0 products indexed; catalog at position 0 \(catching up; unreachable/);

    await f.catalog.start();
    await waitFor('readyz 200 after catching up', async () => (await search.readyz()).status === 200);
    const all = await search.search('q=headphones&limit=100');
    assert.equal(all.total, 40);
    assert.deepEqual(all.facets.category, { audio: 20, electronics: 20 });
    assert.ok(all.items.every((i) => i.available === 10));

    await f.catalog.publishAll([created(zeph)]);
    await timed('the new product in search', async () => (await search.search('q=zephyrine%20headphnes')).items[0]?.id === zeph.id);

    await f.inventory.publishAll([stock(zeph.id, 7)]);
    await timed('the stock change in search', async () => (await search.search('q=zephyrine')).items[0]?.available === 7);
    assert.ok((await search.search('q=zephyrine&inStock=true')).items.some((i) => i.id === zeph.id));

    await f.catalog.publishAll([updated({ ...zeph, name: 'Zephyrine Reference Headphones', price: { amount: 9_999, currency: 'EUR' } })]);
    await timed('the rename in search', async () => (await search.search('q=reference')).items[0]?.id === zeph.id);
    assert.equal((await search.search('q=studio')).total, 0);
    assert.equal((await search.search('q=zephyrine')).items[0]?.price.amount, 9_999);

    // Stock for a product catalog has not announced yet, then the product.
    const early = product({ name: 'Trailhead Ultralight Tent', category: 'sports-outdoors' });
    await f.inventory.publishAll([stock(early.id, 3)]);
    await waitFor('inventory feed consumed', () => search.indexer.status().sources.inventory.position === 42);
    await f.catalog.publishAll([created(early)]);
    await timed('the early-stocked product', async () => (await search.search('q=tent')).items[0]?.available === 3);
  } finally {
    await search.stop();
    await f.close();
  }
});

test('restart: loads the snapshot, resumes from its positions, re-applies events after it (kill -9)', async () => {
  const f = await fixture();
  const a = product({ name: 'Voltix Smart Camera', category: 'electronics' });
  const b = product({ name: 'Nimbus Portable Projector', category: 'electronics' });
  await f.catalog.publishAll([created(a)]);
  await f.inventory.publishAll([stock(a.id, 1)]);
  const first = await startSearch({ dir: f.dir, catalog: f.catalog, inventory: f.inventory });
  await waitFor('first start ready', async () => (await first.readyz()).status === 200);
  await first.indexer.snapshot();
  // Keep the snapshot as it is now: a crash later would leave exactly this file.
  copyFileSync(join(f.dir, 'snapshot.json'), join(f.dir, 'at-crash.json'));
  await f.catalog.publishAll([created(b), updated({ ...a, name: 'Voltix Smart Camera Pro' })]);
  await f.inventory.publishAll([stock(a.id, 4), stock(b.id, 2)]);
  await waitFor('events after the snapshot applied', async () => (await first.search('q=pro')).items[0]?.available === 4 && (await first.search('q=projector')).total === 1);
  const before = await first.search('q=');
  await first.stop();

  // As if killed before the next snapshot: the older file, the newer events still in the feeds.
  copyFileSync(join(f.dir, 'at-crash.json'), join(f.dir, 'snapshot.json'));
  const second = await startSearch({ dir: f.dir, catalog: f.catalog, inventory: f.inventory });
  try {
    // Ready at once from the snapshot: no rebuild.
    assert.equal((await second.readyz()).status, 200);
    assert.equal(second.indexer.status().rebuildReason, null);
    await waitFor('the events after the snapshot applied again', async () => JSON.stringify(await second.search('q=')) === JSON.stringify(before));
    assert.deepEqual(second.indexer.status().sources, { catalog: { position: 3, caughtUp: true }, inventory: { position: 3, caughtUp: true } });
  } finally {
    await second.stop();
    await f.close();
  }
});

test('catalog down: search keeps answering and stays ready; it catches up when catalog is back', async () => {
  const f = await fixture();
  const a = product({ name: 'Hearth Cast-Iron Skillet', category: 'home-kitchen' });
  await f.catalog.publishAll([created(a)]);
  const search = await startSearch({ dir: f.dir, catalog: f.catalog, inventory: f.inventory });
  try {
    await waitFor('ready', async () => (await search.readyz()).status === 200);
    await f.catalog.stop();
    await f.inventory.stop();
    assert.equal((await search.readyz()).status, 200);
    assert.equal((await search.search('q=skillet')).items[0]?.id, a.id);
    const b = product({ name: 'Copperleaf Ceramic Kettle', category: 'home-kitchen' });
    await f.catalog.publishAll([created(b)]);
    await f.catalog.start();
    await f.inventory.start();
    await waitFor('the product written while catalog was unreachable', async () => (await search.search('q=kettle')).total === 1, 8000);
  } finally {
    await search.stop();
    await f.close();
  }
});

test('POST /internal/search/rebuild drops the index and rebuilds it from position 0', async () => {
  const f = await fixture();
  const items = Array.from({ length: 10 }, (_, i) => product({ name: `Inkwell Annotated Atlas ${i}`, category: 'books' }));
  await f.catalog.publishAll(items.map(created));
  await f.inventory.publishAll(items.map((p, i) => stock(p.id, i)));
  const search = await startSearch({ dir: f.dir, catalog: f.catalog, inventory: f.inventory });
  try {
    await waitFor('ready', async () => (await search.readyz()).status === 200);
    await waitFor('every stock applied', () => search.indexer.status().sources.inventory.position === 10);
    const before = await search.search('q=atlas&limit=100');
    const res = await search.app.inject({ method: 'POST', url: '/internal/search/rebuild', headers: internal });
    assert.equal(res.statusCode, 202);
    assert.equal(res.json().phase, 'rebuilding');
    assert.match(res.json().rebuildReason, /requested/);
    await waitFor('ready again', async () => (await search.readyz()).status === 200);
    await waitFor('the rebuilt index answering as before', async () => JSON.stringify(await search.search('q=atlas&limit=100')) === JSON.stringify(before));
  } finally {
    await search.stop();
    await f.close();
  }
});
