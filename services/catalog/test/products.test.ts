import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import type { Product, ProductPage } from '@bazaar/contracts/catalog';
import type { ServiceApp } from '@bazaar/kit';
import { MAX_MONEY_AMOUNT } from '@bazaar/contracts/common';
import { callAs, createTestKeys } from '@bazaar/kit/testing';
import { MAX_PRICE_AMOUNT } from '../src/domain/products.ts';
import { bearer, lamp, startCatalog } from './helpers.ts';

async function pageThrough(app: ServiceApp, query: string, from: string | null = null, limit = 100): Promise<Product[]> {
  const all: Product[] = [];
  let cursor: string | null = from;
  do {
    const res: { statusCode: number; json: () => unknown } = await app.inject({ url: `/api/catalog/products?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}` });
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
  assert.deepEqual(Object.keys(p).sort(), ['archived', 'category', 'description', 'id', 'name', 'price', 'sku']);
  assert.equal(p.archived, false);
  await app.close();
});

for (const dialect of DIALECTS) {
  test(`${dialect}: paging through everything yields every product exactly once, also with a product created mid-way`, async (t) => {
    const { app, admin } = await startCatalog({ where: await testLocation(dialect, 'catalog', t) });
    const everything = await pageThrough(app, '');
    assert.equal(everything.length, 600);
    const before = new Set(everything.map((p) => p.id));
    assert.equal(before.size, everything.length, 'no product twice');
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
}

test('a category filter pages through only that category', async () => {
  const { app } = await startCatalog();
  const audio = await pageThrough(app, '&category=audio');
  assert.equal(audio.length, 60);
  assert.equal(new Set(audio.map((p) => p.id)).size, audio.length, 'no product twice');
  assert.ok(audio.every((p) => p.category === 'audio'));
  assert.ok(audio.some((p) => p.name.includes('Headphones')));
  // Small pages too: the cursor must carry across many page boundaries within a category.
  assert.deepEqual((await pageThrough(app, '&category=audio', null, 7)).map((p) => p.id), audio.map((p) => p.id));
  // Every category paged on its own covers the whole catalog exactly once.
  const slugs = ((await app.inject({ url: '/api/catalog/categories' })).json().items as { slug: string }[]).map((c) => c.slug);
  const byCategory = (await Promise.all(slugs.map((slug) => pageThrough(app, `&category=${slug}`)))).flat().map((p) => p.id);
  assert.equal(byCategory.length, 600);
  assert.equal(new Set(byCategory).size, 600);
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

for (const dialect of DIALECTS) {
  test(`${dialect}: categories: at least 8, sorted by name, counts add up to the catalog`, async (t) => {
    const { app } = await startCatalog({ where: await testLocation(dialect, 'catalog', t) });
    const items = (await app.inject({ url: '/api/catalog/categories' })).json().items as { slug: string; name: string; productCount: number }[];
    assert.ok(items.length >= 8);
    assert.deepEqual(items.map((c) => c.name), [...items.map((c) => c.name)].sort());
    assert.equal(items.reduce((n, c) => n + c.productCount, 0), (await pageThrough(app, '')).length);
    await app.close();
  });
}

test('admins create products; 401 without or with a bad token; 403 for a customer', async () => {
  const { app, admin, customer, keys } = await startCatalog();
  assert.equal((await app.inject({ method: 'POST', url: '/api/catalog/products', payload: lamp })).statusCode, 401);
  const tampered = `${admin.slice(0, -4)}AAAA`;
  assert.equal((await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(tampered), payload: lamp })).statusCode, 401);
  // A customer rewriting their own token's payload to claim admin keeps a signature that no longer matches.
  const [header, body, signature] = customer.split('.') as [string, string, string];
  const claims = { ...JSON.parse(Buffer.from(body, 'base64url').toString('utf8')), roles: ['admin'] };
  const escalated = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
  const escalation = await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(escalated), payload: lamp });
  assert.equal(escalation.statusCode, 401);
  assert.equal(escalation.json().code, 'UNAUTHENTICATED');
  // A well-formed admin token signed by someone else's key.
  const foreign = await (await createTestKeys()).sign({ sub: 'mallory', roles: ['admin'] });
  assert.equal((await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(foreign), payload: lamp })).statusCode, 401);
  const forbidden = await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(customer), payload: lamp });
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.json().code, 'FORBIDDEN');
  const expired = await keys.sign({ sub: 'a', roles: ['admin'] }, { expiresIn: '-1s' });
  assert.equal((await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(expired), payload: lamp })).statusCode, 401);

  const created = await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp });
  assert.equal(created.statusCode, 201);
  const product = created.json() as Product;
  assert.match(product.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual({ ...product, id: undefined }, { ...lamp, id: undefined, archived: false });
  assert.deepEqual((await app.inject({ url: `/api/catalog/products/${product.id}` })).json(), product);
  await app.close();
});

test('writes check the caller before the body (regression: an anonymous POST of {} got 400 schema feedback, not 401)', async () => {
  const { app, customer } = await startCatalog({ seed: false });
  for (const [method, url] of [['POST', '/api/catalog/products'], ['PATCH', '/api/catalog/products/any']] as const) {
    const anonymous = await app.inject({ method, url, payload: {} });
    assert.equal(anonymous.statusCode, 401, `${method} anonymous`);
    assert.equal(anonymous.json().code, 'UNAUTHENTICATED');
    const notJson = await app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: '{oops' });
    assert.equal(notJson.statusCode, 401, `${method} anonymous, malformed body`);
    assert.equal((await app.inject({ method, url, headers: bearer(customer), payload: {} })).statusCode, 403, `${method} customer`);
  }
  await app.close();
});

for (const dialect of DIALECTS) {
  test(`${dialect}: a duplicate SKU is 409; bad money and unknown categories are 400 with a helpful detail`, async (t) => {
    const { app, admin } = await startCatalog({ where: await testLocation(dialect, 'catalog', t) });
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
}

for (const dialect of DIALECTS) {
  test(`${dialect}: PATCH changes only the given fields; 404 for an unknown id; 409 on a SKU clash; empty patch 400`, async (t) => {
    const { app, admin, customer } = await startCatalog({ where: await testLocation(dialect, 'catalog', t) });
    const product = (await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp })).json() as Product;
    const patch = (id: string, payload: Record<string, unknown>, token = admin) => app.inject({ method: 'PATCH', url: `/api/catalog/products/${id}`, headers: bearer(token), payload });
    const res = await patch(product.id, { price: { amount: 1999, currency: 'EUR' } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { ...product, price: { amount: 1999, currency: 'EUR' } });
    assert.equal((await app.inject({ url: `/api/catalog/products/${product.id}` })).json().price.amount, 1999);
    const missing = await patch('nope', { name: 'x' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'PRODUCT_NOT_FOUND');
    assert.equal((await patch(product.id, { sku: 'AUD-000001' })).json().code, 'SKU_TAKEN');
    assert.equal((await patch(product.id, {})).statusCode, 400);
    assert.equal((await patch(product.id, { category: 'spaceships' })).json().code, 'UNKNOWN_CATEGORY');
    assert.equal((await patch(product.id, { price: { amount: 100, currency: 'USD' } })).json().code, 'WRONG_CURRENCY');
    assert.equal((await patch(product.id, { price: { amount: 12.5, currency: 'EUR' } })).statusCode, 400);
    assert.equal((await patch(product.id, { name: '   ' })).statusCode, 400);
    assert.equal((await patch(product.id, { name: 'x' }, customer)).statusCode, 403);
    assert.equal((await app.inject({ method: 'PATCH', url: `/api/catalog/products/${product.id}`, payload: { name: 'x' } })).statusCode, 401);
    // None of the refused PATCHes changed anything.
    assert.deepEqual((await app.inject({ url: `/api/catalog/products/${product.id}` })).json(), { ...product, price: { amount: 1999, currency: 'EUR' } });
    await app.close();
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: a price above MAX_PRICE_AMOUNT is 400 (regression: 2^53+2 was stored, then every page holding it answered 500)`, async (t) => {
    const { app, admin } = await startCatalog({ seed: false, where: await testLocation(dialect, 'catalog', t) });
    const post = (sku: string, amount: number) =>
      app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: { ...lamp, sku, price: { amount, currency: 'EUR' } } });
    // The one money bound (contracts' MAX_MONEY_AMOUNT) and the one-minor-unit floor (issue 11: a product priced 0 could never be paid).
    assert.equal(MAX_PRICE_AMOUNT, MAX_MONEY_AMOUNT);
    for (const amount of [2 ** 53 + 2, 1e20, MAX_PRICE_AMOUNT + 1, 0, -1]) {
      const res = await post('HUGE-1', amount);
      assert.equal(res.statusCode, 400, `amount ${amount}`);
      assert.ok(['PRICE_OUT_OF_RANGE', 'VALIDATION_FAILED'].includes(res.json().code), res.json().code);
    }
    assert.equal((await post('HUGE-2', MAX_PRICE_AMOUNT)).statusCode, 201);
    const created = (await post('CHEAP-1', 1)).json() as Product;
    const patched = await app.inject({ method: 'PATCH', url: `/api/catalog/products/${created.id}`, headers: bearer(admin), payload: { price: { amount: 2 ** 53 + 2, currency: 'EUR' } } });
    assert.equal(patched.statusCode, 400);
    const page = await app.inject({ url: '/api/catalog/products' });
    assert.equal(page.statusCode, 200);
    assert.deepEqual((page.json() as ProductPage).items.map((p) => p.price.amount).sort((a, b) => a - b), [1, MAX_PRICE_AMOUNT]);
    const zero = await app.inject({ method: 'PATCH', url: `/api/catalog/products/${created.id}`, headers: bearer(admin), payload: { price: { amount: 0, currency: 'EUR' } } });
    assert.equal(zero.statusCode, 400);
    await app.close();
  });
}

test('POST /internal/catalog/products/lookup: many products in one call, unknown ids left out; the service credential only', async () => {
  const { app, admin, customer } = await startCatalog({ seed: false });
  const created = [];
  for (const sku of ['LOOK-1', 'LOOK-2']) {
    created.push((await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: { ...lamp, sku } })).json() as Product);
  }
  const [a, b] = created as [Product, Product];
  const lookup = (headers: Record<string, string>, ids: string[] = [b.id, 'missing', a.id]) =>
    app.inject({ method: 'POST', url: '/internal/catalog/products/lookup', headers, payload: { ids } });
  const res = await lookup(callAs('catalog', 'cart'));
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json().items, [b, a]);
  assert.equal((await lookup({})).statusCode, 401, 'anonymous');
  assert.equal((await lookup(bearer(customer))).statusCode, 401, 'a customer token is no service credential');
  assert.equal((await lookup(bearer(admin))).statusCode, 401, 'nor is an admin token');
  // Auth before validation: an anonymous bad body is 401, not 400.
  assert.equal((await app.inject({ method: 'POST', url: '/internal/catalog/products/lookup', payload: { ids: 'x' } })).statusCode, 401);
  assert.equal((await lookup(callAs('catalog', 'orders'))).statusCode, 403, 'a service the route does not name');
  assert.equal((await lookup(callAs('catalog', 'cart'), [])).statusCode, 400);
  await app.close();
});

test('a blank name is 400, and names are stored trimmed', async () => {
  const { app, admin } = await startCatalog({ seed: false });
  const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload });
  const blank = await post({ ...lamp, name: '  \t ' });
  assert.equal(blank.statusCode, 400);
  assert.deepEqual(blank.json().errors, [{ field: 'body.name', message: 'must not be blank' }]);
  assert.equal(((await post({ ...lamp, name: '  Desk Lamp ' })).json() as Product).name, 'Desk Lamp');
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

for (const dialect of DIALECTS) {
  test(`${dialect}: concurrent PATCHes of different fields all survive (regression: read-modify-write lost updates)`, async (t) => {
    const { app, admin } = await startCatalog({ seed: false, where: await testLocation(dialect, 'catalog', t) });
    const product = (await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp })).json() as Product;
    const patch = (payload: Record<string, unknown>) => app.inject({ method: 'PATCH', url: `/api/catalog/products/${product.id}`, headers: bearer(admin), payload });
    await Promise.all([patch({ name: 'Renamed' }), patch({ price: { amount: 1, currency: 'EUR' } }), patch({ description: 'D' }), patch({ category: 'garden' })]);
    const now = (await app.inject({ url: `/api/catalog/products/${product.id}` })).json() as Product;
    assert.deepEqual({ name: now.name, amount: now.price.amount, description: now.description, category: now.category }, { name: 'Renamed', amount: 1, description: 'D', category: 'garden' });
    await app.close();
  });
}
