import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Product, ProductPage } from '@bazaar/contracts/catalog';
import type { ServiceApp } from '@bazaar/kit';
import { bearer, lamp, startCatalog } from './helpers.ts';

async function pageThrough(app: ServiceApp, query: string, from: string | null = null): Promise<Product[]> {
  const all: Product[] = [];
  let cursor: string | null = from;
  do {
    const res: { statusCode: number; json: () => unknown } = await app.inject({ url: `/api/catalog/products?limit=100${query}${cursor ? `&cursor=${cursor}` : ''}` });
    assert.equal(res.statusCode, 200);
    const page = res.json() as ProductPage;
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

test('the first page has 20 products and a cursor', async () => {
  const { app } = await startCatalog();
  const res = await app.inject({ url: '/api/catalog/products' });
  assert.equal(res.statusCode, 200);
  const page = res.json() as ProductPage;
  assert.equal(page.items.length, 20);
  assert.equal(typeof page.nextCursor, 'string');
  const p = page.items[0] as Product;
  assert.ok(Number.isInteger(p.price.amount));
  assert.equal(p.price.currency, 'EUR');
  assert.deepEqual(Object.keys(p).sort(), ['category', 'description', 'id', 'name', 'price', 'sku']);
  await app.close();
});

test('paging through everything yields every product exactly once, also with a product created mid-way', async () => {
  const { app, admin } = await startCatalog();
  const before = new Set((await pageThrough(app, '')).map((p) => p.id));
  assert.equal(before.size, 600);
  const first = (await app.inject({ url: '/api/catalog/products?limit=100' })).json() as ProductPage;
  // A product created between pages must not shift or repeat the pages.
  const created = (await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp })).json() as Product;
  const rest = await pageThrough(app, '', first.nextCursor);
  const ids = [...first.items, ...rest].map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'no product twice');
  for (const id of before) assert.ok(ids.includes(id), `product ${id} was skipped`);
  // The new product shows up exactly when its id sorts after the cursor.
  const lastOfFirst = first.items.at(-1)?.id ?? '';
  assert.equal(ids.includes(created.id), created.id > lastOfFirst);
  await app.close();
});

test('a category filter pages through only that category', async () => {
  const { app } = await startCatalog();
  const audio = await pageThrough(app, '&category=audio');
  assert.equal(audio.length, 60);
  assert.ok(audio.every((p) => p.category === 'audio'));
  assert.ok(audio.some((p) => p.name.includes('Headphones')));
  const none = await app.inject({ url: '/api/catalog/products?category=no-such-thing' });
  assert.equal(none.statusCode, 200);
  assert.deepEqual(none.json(), { items: [], nextCursor: null });
  await app.close();
});

test('limit must be 1..100; a malformed cursor is 400 INVALID_CURSOR', async () => {
  const { app } = await startCatalog();
  for (const limit of ['0', '101', 'ten']) {
    const res = await app.inject({ url: `/api/catalog/products?limit=${limit}` });
    assert.equal(res.statusCode, 400, `limit=${limit}`);
    assert.equal(res.json().code, 'VALIDATION_FAILED');
  }
  for (const cursor of ['!!!', 'bm90LWEtY3Vyc29y']) {
    const res = await app.inject({ url: `/api/catalog/products?cursor=${cursor}` });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'INVALID_CURSOR');
  }
  await app.close();
});

test('get by id, and 404 problem+json for an unknown id', async () => {
  const { app } = await startCatalog();
  const some = ((await app.inject({ url: '/api/catalog/products?limit=1' })).json() as ProductPage).items[0] as Product;
  const res = await app.inject({ url: `/api/catalog/products/${some.id}` });
  assert.deepEqual(res.json(), some);
  const missing = await app.inject({ url: '/api/catalog/products/nope' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'PRODUCT_NOT_FOUND');
  assert.match(missing.headers['content-type'] as string, /problem\+json/);
  await app.close();
});

test('categories: at least 8, sorted by name, counts add up to the catalog', async () => {
  const { app } = await startCatalog();
  const items = (await app.inject({ url: '/api/catalog/categories' })).json().items as { slug: string; name: string; productCount: number }[];
  assert.ok(items.length >= 8);
  assert.deepEqual(items.map((c) => c.name), [...items.map((c) => c.name)].sort());
  assert.equal(items.reduce((n, c) => n + c.productCount, 0), (await pageThrough(app, '')).length);
  await app.close();
});

test('admins create products; 401 without or with a bad token; 403 for a customer', async () => {
  const { app, admin, customer, keys } = await startCatalog();
  assert.equal((await app.inject({ method: 'POST', url: '/api/catalog/products', payload: lamp })).statusCode, 401);
  const tampered = `${admin.slice(0, -4)}AAAA`;
  assert.equal((await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(tampered), payload: lamp })).statusCode, 401);
  const forbidden = await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(customer), payload: lamp });
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.json().code, 'FORBIDDEN');
  const expired = await keys.sign({ sub: 'a', roles: ['admin'] }, { expiresIn: '-1s' });
  assert.equal((await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(expired), payload: lamp })).statusCode, 401);

  const created = await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp });
  assert.equal(created.statusCode, 201);
  const product = created.json() as Product;
  assert.match(product.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual({ ...product, id: undefined }, { ...lamp, id: undefined });
  assert.deepEqual((await app.inject({ url: `/api/catalog/products/${product.id}` })).json(), product);
  await app.close();
});

test('a duplicate SKU is 409; bad money and unknown categories are 400 with a helpful detail', async () => {
  const { app, admin } = await startCatalog();
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: payload as Record<string, unknown> });
  assert.equal((await post(lamp)).statusCode, 201);
  const dup = await post({ ...lamp, name: 'Other' });
  assert.equal(dup.statusCode, 409);
  assert.equal(dup.json().code, 'SKU_TAKEN');
  for (const amount of [12.5, -1, '100']) {
    const res = await post({ ...lamp, sku: 'LAMP-0002', price: { amount, currency: 'EUR' } });
    assert.equal(res.statusCode, 400, `amount ${String(amount)}`);
  }
  const usd = await post({ ...lamp, sku: 'LAMP-0003', price: { amount: 100, currency: 'USD' } });
  assert.equal(usd.statusCode, 400);
  assert.equal(usd.json().code, 'WRONG_CURRENCY');
  const cat = await post({ ...lamp, sku: 'LAMP-0004', category: 'spaceships' });
  assert.equal(cat.statusCode, 400);
  assert.equal(cat.json().code, 'UNKNOWN_CATEGORY');
  assert.match(cat.json().detail, /audio/);
  await app.close();
});

test('PATCH changes only the given fields; 404 for an unknown id; 409 on a SKU clash; empty patch 400', async () => {
  const { app, admin, customer } = await startCatalog();
  const product = (await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp })).json() as Product;
  const patch = (id: string, payload: Record<string, unknown>, token = admin) => app.inject({ method: 'PATCH', url: `/api/catalog/products/${id}`, headers: bearer(token), payload });
  const res = await patch(product.id, { price: { amount: 1999, currency: 'EUR' } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { ...product, price: { amount: 1999, currency: 'EUR' } });
  assert.equal((await app.inject({ url: `/api/catalog/products/${product.id}` })).json().price.amount, 1999);
  assert.equal((await patch('nope', { name: 'x' })).statusCode, 404);
  assert.equal((await patch(product.id, { sku: 'AUD-000001' })).json().code, 'SKU_TAKEN');
  assert.equal((await patch(product.id, {})).statusCode, 400);
  assert.equal((await patch(product.id, { name: 'x' }, customer)).statusCode, 403);
  await app.close();
});

test('the OpenAPI document lists the catalog routes; readyz checks the store', async () => {
  const { app } = await startCatalog();
  const doc = (await app.inject({ url: '/openapi.json' })).json();
  assert.ok(doc.paths['/api/catalog/products'].get);
  assert.ok(doc.paths['/api/catalog/products'].post);
  assert.ok(doc.paths['/api/catalog/products/{id}'].patch);
  assert.equal((await app.inject({ url: '/readyz' })).json().checks.store, 'ok');
  await app.close();
});

test('concurrent PATCHes of different fields all survive (regression: read-modify-write lost updates)', async () => {
  const { app, admin } = await startCatalog({ seed: false });
  const product = (await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp })).json() as Product;
  const patch = (payload: Record<string, unknown>) => app.inject({ method: 'PATCH', url: `/api/catalog/products/${product.id}`, headers: bearer(admin), payload });
  await Promise.all([patch({ name: 'Renamed' }), patch({ price: { amount: 1, currency: 'EUR' } }), patch({ description: 'D' }), patch({ category: 'garden' })]);
  const now = (await app.inject({ url: `/api/catalog/products/${product.id}` })).json() as Product;
  assert.deepEqual({ name: now.name, amount: now.price.amount, description: now.description, category: now.category }, { name: 'Renamed', amount: 1, description: 'D', category: 'garden' });
  await app.close();
});
