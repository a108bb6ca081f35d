import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import type { AnyCloudEvent } from '@bazaar/messaging';
import type { CategoryList, Product, ProductPage } from '@bazaar/contracts/catalog';
import { callAs } from '@bazaar/kit/testing';
import { bearer, lamp, startCatalog } from './helpers.ts';

type App = Awaited<ReturnType<typeof startCatalog>>['app'];

const listIds = async (app: App, query = '') => ((await app.inject({ url: `/api/catalog/products?limit=100${query}` })).json() as ProductPage).items.map((p) => p.id);
const count = async (app: App, slug: string) => ((await app.inject({ url: '/api/catalog/categories' })).json() as CategoryList).items.find((c) => c.slug === slug)?.productCount;
const events = async (app: App) => ((await app.inject({ url: '/internal/events?after=0&limit=500', headers: callAs('catalog') })).json() as { events: AnyCloudEvent[] }).events;

for (const dialect of DIALECTS) {
  test(`${dialect}: archiving hides a product from listings and category counts, keeps it readable by id, and is idempotent both ways`, async (t) => {
    const { app, admin } = await startCatalog({ seed: false, where: await testLocation(dialect, 'catalog', t) });
    const created = (await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp })).json() as Product;
    assert.equal(created.archived, false);
    assert.equal(await count(app, 'home-kitchen'), 1);

    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'POST', url: `/api/catalog/products/${created.id}/archive`, headers: bearer(admin) });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { ...created, archived: true });
    }
    assert.deepEqual(await listIds(app), []);
    assert.deepEqual(await listIds(app, '&category=home-kitchen'), []);
    assert.equal(await count(app, 'home-kitchen'), 0);
    assert.deepEqual(await listIds(app, '&archived=true'), [created.id], 'the back office finds archived products');
    const byId = await app.inject({ url: `/api/catalog/products/${created.id}` });
    assert.equal(byId.statusCode, 200);
    assert.equal(byId.json().archived, true);
    const lookup = await app.inject({ method: 'POST', url: '/internal/catalog/products/lookup', headers: callAs('catalog', 'cart'), payload: { ids: [created.id] } });
    assert.equal(lookup.json().items[0].archived, true, 'the cart learns it is archived');

    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'POST', url: `/api/catalog/products/${created.id}/unarchive`, headers: bearer(admin) });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().archived, false);
    }
    assert.deepEqual(await listIds(app, '&category=home-kitchen'), [created.id]);
    assert.deepEqual(await listIds(app, '&archived=true'), []);

    // One event per real change, each the product as it now is (search drops and re-adds it).
    const published = await events(app);
    assert.deepEqual(published.map((e) => [e.type, (e.data as { archived?: boolean }).archived]), [
      ['catalog.product-created', false],
      ['catalog.product-updated', true],
      ['catalog.product-updated', false],
    ]);
    await app.close();
  });
}

test('archive and unarchive: unknown id 404, anonymous 401, customer 403 (and nothing changes)', async () => {
  const { app, admin, customer } = await startCatalog({ seed: false });
  const created = (await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp })).json() as Product;
  for (const action of ['archive', 'unarchive']) {
    const url = `/api/catalog/products/${created.id}/${action}`;
    assert.equal((await app.inject({ method: 'POST', url })).statusCode, 401, url);
    assert.equal((await app.inject({ method: 'POST', url, headers: bearer(customer) })).statusCode, 403, url);
    const missing = await app.inject({ method: 'POST', url: `/api/catalog/products/nope/${action}`, headers: bearer(admin) });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'PRODUCT_NOT_FOUND');
  }
  assert.deepEqual(await listIds(app), [created.id]);
  await app.close();
});
