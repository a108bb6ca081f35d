// The HTTP surface through inject(): the search route and its 400s, readiness,
// and the internal endpoints' credential check. The read model is a real
// ProductIndex behind a small stand-in for the indexer's lifecycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testLogger, testCredentials, callAs } from '@bazaar/kit/testing';
import { buildApp } from '../src/app.ts';
import { ProductIndex } from '../src/domain/product-index.ts';
import type { IndexerStatus, SearchReadModel } from '../src/indexer.ts';
import { internal, product } from './helpers.ts';

function setup() {
  const index = ProductIndex.empty();
  const names = ['Zephyrine Studio Headphones', 'Sonora Wireless Headphones', 'Auralis Hi-Fi Turntable', 'Voltix Smart Camera', 'Inkwell Pocket Atlas'];
  const categories = ['audio', 'audio', 'audio', 'electronics', 'books'];
  names.forEach((name, i) => {
    index.upsertProduct(product({ id: `id-${i}`, name, category: categories[i] ?? 'audio', price: { amount: 1000 * (i + 1), currency: 'EUR' } }));
    index.setStock(`id-${i}`, i % 2);
  });
  let phase: IndexerStatus['phase'] = 'ready';
  const rebuilds: string[] = [];
  const status = (): IndexerStatus => ({ phase, rebuildReason: rebuilds.at(-1) ?? null, products: index.productCount, eventsApplied: 0, sources: { catalog: { position: 5, caughtUp: true }, inventory: { position: 5, caughtUp: true } }, lastSnapshotAt: null });
  const model: SearchReadModel = {
    search: (params) => index.search(params),
    status,
    checkReady: () => {
      if (phase !== 'ready') throw new Error('rebuilding (test): 3 events applied');
    },
    rebuild: async (reason) => {
      rebuilds.push(reason);
      phase = 'rebuilding';
    },
  };
  const app = buildApp({ model, logger: testLogger(), credentials: testCredentials('search'), defaultMetrics: false });
  return { app, rebuilds, setPhase: (p: IndexerStatus['phase']) => (phase = p) };
}

test('GET /api/search answers items, total, facets and a cursor', async () => {
  const { app } = setup();
  const res = await app.inject({ url: '/api/search?q=headphnes' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.total, 2);
  assert.deepEqual(body.facets, { category: { audio: 2 } });
  assert.deepEqual(Object.keys(body.items[0]).sort(), ['available', 'category', 'id', 'name', 'price', 'score']);
  assert.equal(body.nextCursor, null);

  const filtered = (await app.inject({ url: '/api/search?q=&category=audio&minPrice=2000&maxPrice=3000&inStock=true' })).json();
  assert.deepEqual(filtered.items.map((i: { id: string }) => i.id), ['id-1']);
  assert.deepEqual(filtered.facets.category, { audio: 1 });

  const first = (await app.inject({ url: '/api/search?limit=2' })).json();
  assert.equal(first.items.length, 2);
  assert.equal(first.total, 5);
  assert.equal(typeof first.nextCursor, 'string');
  const second = (await app.inject({ url: `/api/search?limit=2&cursor=${first.nextCursor}` })).json();
  assert.equal(second.items.length, 2);
  assert.notDeepEqual(second.items, first.items);
  await app.close();
});

test('bad parameters are a 400 problem naming what is wrong', async () => {
  const { app } = setup();
  const cases: [string, RegExp][] = [
    ['inStock=maybe', /inStock/],
    ['limit=0', /limit/],
    ['limit=101', /limit/],
    ['minPrice=-1', /minPrice/],
    ['maxPrice=cheap', /maxPrice/],
    ['category=Not%20A%20Slug', /category/],
    ['colour=red', /colour/],
    [`q=${'x'.repeat(201)}`, /q/],
    ['cursor=garbage!', /cursor/i],
    [`cursor=${Buffer.from('p:123').toString('base64url')}`, /nextCursor/],
    ['minPrice=5000&maxPrice=100', /minPrice \(5000\) is above maxPrice \(100\)/],
  ];
  for (const [query, detail] of cases) {
    const res = await app.inject({ url: `/api/search?${query}` });
    assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
    assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
    const problem = res.json();
    assert.match(problem.detail, detail, `${query}: ${problem.detail}`);
    assert.ok(['VALIDATION_FAILED', 'INVALID_CURSOR', 'INVALID_PRICE_RANGE'].includes(problem.code), problem.code);
  }
  await app.close();
});

test('readyz is 503 with the rebuild progress while rebuilding, 200 once ready', async () => {
  const { app, setPhase } = setup();
  setPhase('rebuilding');
  const rebuilding = await app.inject({ url: '/readyz' });
  assert.equal(rebuilding.statusCode, 503);
  assert.match(rebuilding.json().checks.index, /^rebuilding .*3 events applied/);
  // Search answers meanwhile, from what is indexed so far.
  assert.equal((await app.inject({ url: '/api/search?q=atlas' })).statusCode, 200);
  setPhase('ready');
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json().checks, { index: 'ok' });
  await app.close();
});

test('the internal rebuild and status need the service credential', async () => {
  const { app, rebuilds } = setup();
  assert.equal((await app.inject({ method: 'POST', url: '/internal/search/rebuild' })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/internal/search/rebuild', headers: callAs('search', 'operator', 'wrong-secret-0123456789') })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/internal/search/rebuild', headers: callAs('search', 'orders') })).statusCode, 403, 'a service may not rebuild; the operator may');
  assert.equal((await app.inject({ url: '/internal/search/status' })).statusCode, 401);
  assert.deepEqual(rebuilds, []);
  const res = await app.inject({ method: 'POST', url: '/internal/search/rebuild', headers: internal });
  assert.equal(res.statusCode, 202);
  assert.equal(res.json().phase, 'rebuilding');
  assert.equal(rebuilds.length, 1);
  const status = await app.inject({ url: '/internal/search/status', headers: internal });
  assert.equal(status.statusCode, 200);
  assert.equal(status.json().products, 5);
  await app.close();
});

test('the OpenAPI document describes GET /api/search from the shared contract', async () => {
  const { app } = setup();
  await app.ready();
  const doc = (await app.inject({ url: '/openapi.json' })).json();
  const op = doc.paths['/api/search'].get;
  assert.deepEqual(op.parameters.map((p: { name: string }) => p.name).sort(), ['category', 'cursor', 'inStock', 'limit', 'maxPrice', 'minPrice', 'q']);
  await app.close();
});
