import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cart } from '@bazaar/contracts/cart';
import type { Product } from '@bazaar/contracts/catalog';
import { MAX_MONEY_AMOUNT } from '@bazaar/contracts/common';
import { MAX_LINES, cartVersion, revisionOfVersion } from '../src/domain/cart.ts';
import { sqliteCartStore } from '../src/store/index.ts';
import { bearer, products, startCart, startCatalogStandIn, type TestCart } from './helpers.ts';

const { lamp, mug, chair, pen } = products;

async function setup(t: { after: (fn: () => Promise<void>) => void }, initial?: Product[], catalogTimeoutMs?: number) {
  const catalog = await startCatalogStandIn(initial);
  const cart = await startCart({ catalogUrl: catalog.url, ...(catalogTimeoutMs === undefined ? {} : { catalogTimeoutMs }) });
  t.after(async () => {
    await cart.close();
    await catalog.close();
  });
  return { catalog, cart, alice: await cart.token('alice'), bob: await cart.token('bob') };
}

const put = (cart: TestCart, token: string, productId: string, quantity: unknown) =>
  cart.app.inject({ method: 'PUT', url: `/api/cart/items/${productId}`, headers: bearer(token), payload: { quantity } as Record<string, unknown> });
const del = (cart: TestCart, token: string, productId: string) => cart.app.inject({ method: 'DELETE', url: `/api/cart/items/${productId}`, headers: bearer(token) });
const get = (cart: TestCart, token: string) => cart.app.inject({ url: '/api/cart', headers: bearer(token) });
const withoutVersion = (c: Cart) => {
  const { version, ...rest } = c;
  assert.equal(typeof version, 'string');
  return rest;
};
const quantities = (c: Cart) => c.items.map((i) => [i.productId, i.quantity]);

test('an empty cart is priced without asking the catalog', async (t) => {
  const { cart, catalog, alice } = await setup(t);
  const res = await get(cart, alice);
  assert.equal(res.statusCode, 200);
  const { version, ...cartBody } = res.json() as Cart;
  assert.deepEqual(cartBody, { items: [], total: { amount: 0, currency: 'EUR' } });
  assert.equal(res.headers.etag, `"${version}"`);
  assert.equal(catalog.requested.length, 0);
});

test('removing the last line empties the cart without asking the catalog (the real catalog refuses an empty lookup: 502 in a busy-machine run)', async (t) => {
  const { cart, catalog, alice } = await setup(t);
  await put(cart, alice, lamp.id, 1);
  const asked = catalog.lookups;
  const res = await del(cart, alice, lamp.id);
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual((res.json() as Cart).items, []);
  assert.equal(catalog.lookups, asked, 'no lookup of zero products');
});

test('add, update, set to zero and delete: each answers the updated cart; lines keep the order they were added in', async (t) => {
  const { cart, alice } = await setup(t);
  const added = await put(cart, alice, lamp.id, 2);
  assert.equal(added.statusCode, 200);
  assert.deepEqual(withoutVersion(added.json()), {
    items: [{ productId: lamp.id, name: 'Desk Lamp', quantity: 2, unitPrice: { amount: 2599, currency: 'EUR' }, lineTotal: { amount: 5198, currency: 'EUR' } }],
    total: { amount: 5198, currency: 'EUR' },
  });
  assert.deepEqual(quantities((await put(cart, alice, mug.id, 3)).json()), [[lamp.id, 2], [mug.id, 3]]);
  assert.deepEqual(quantities((await put(cart, alice, lamp.id, 5)).json()), [[lamp.id, 5], [mug.id, 3]], 'an update keeps the line in place');
  assert.deepEqual(quantities((await put(cart, alice, mug.id, 0)).json()), [[lamp.id, 5]], 'quantity 0 removes the line');
  assert.deepEqual(quantities((await put(cart, alice, chair.id, 0)).json()), [[lamp.id, 5]], 'zeroing a line that is not there is fine');
  const deleted = await del(cart, alice, lamp.id);
  assert.equal(deleted.statusCode, 200);
  assert.deepEqual(withoutVersion(deleted.json()), { items: [], total: { amount: 0, currency: 'EUR' } });
  const again = await del(cart, alice, lamp.id);
  assert.equal(again.statusCode, 200, 'DELETE is idempotent');
  assert.deepEqual(again.json().items, []);
  assert.deepEqual((await get(cart, alice)).json().items, []);
});

test('totals are integer sums of unit price × quantity, priced from the catalog at read time', async (t) => {
  const { cart, catalog, alice } = await setup(t);
  await put(cart, alice, lamp.id, 3);
  await put(cart, alice, mug.id, 7);
  await put(cart, alice, pen.id, 100);
  const priced = (await get(cart, alice)).json() as Cart;
  assert.deepEqual(priced.items.map((i) => i.lineTotal.amount), [7797, 6293, 100]);
  assert.deepEqual(priced.total, { amount: 14190, currency: 'EUR' });
  for (const item of priced.items) {
    assert.ok(Number.isInteger(item.unitPrice.amount) && Number.isInteger(item.lineTotal.amount));
    assert.equal(item.lineTotal.amount, item.unitPrice.amount * item.quantity);
  }
  // The catalog changes a price and a name: the next read shows them.
  catalog.products.set(mug.id, { ...mug, name: 'Big Coffee Mug', price: { amount: 1000, currency: 'EUR' } });
  const repriced = (await get(cart, alice)).json() as Cart;
  assert.deepEqual(repriced.items[1], { productId: mug.id, name: 'Big Coffee Mug', quantity: 7, unitPrice: { amount: 1000, currency: 'EUR' }, lineTotal: { amount: 7000, currency: 'EUR' } });
  assert.equal(repriced.total.amount, 7797 + 7000 + 100);
});

test("a user only ever sees and changes their own cart", async (t) => {
  const { cart, alice, bob } = await setup(t);
  await put(cart, alice, lamp.id, 1);
  await put(cart, bob, mug.id, 2);
  assert.deepEqual(quantities((await get(cart, alice)).json()), [[lamp.id, 1]]);
  assert.deepEqual(quantities((await get(cart, bob)).json()), [[mug.id, 2]]);
  // Bob removing "the lamp" touches only Bob's cart.
  assert.deepEqual(quantities((await del(cart, bob, lamp.id)).json()), [[mug.id, 2]]);
  assert.deepEqual(quantities((await get(cart, alice)).json()), [[lamp.id, 1]]);
  // There is no URL naming a user's cart on the public API.
  assert.equal((await cart.app.inject({ url: '/api/cart/alice', headers: bearer(bob) })).statusCode, 404);
});

test('401 problem+json without a token or with a bad or expired one', async (t) => {
  const { cart, alice } = await setup(t);
  const tampered = `${alice.slice(0, -4)}AAAA`;
  for (const headers of [{}, bearer(tampered), { authorization: 'Basic abc' }]) {
    for (const req of [
      { method: 'GET' as const, url: '/api/cart' },
      { method: 'PUT' as const, url: `/api/cart/items/${lamp.id}`, payload: { quantity: 1 } },
      { method: 'DELETE' as const, url: `/api/cart/items/${lamp.id}` },
    ]) {
      const res = await cart.app.inject({ ...req, headers });
      assert.equal(res.statusCode, 401, `${req.method} ${req.url}`);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      assert.equal(res.json().code, 'UNAUTHENTICATED');
    }
  }
});

test('adding a product the catalog does not have is 404 PRODUCT_NOT_FOUND and changes nothing', async (t) => {
  const { cart, alice } = await setup(t);
  await put(cart, alice, lamp.id, 1);
  const res = await put(cart, alice, 'no-such-product', 1);
  assert.equal(res.statusCode, 404);
  assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
  assert.equal(res.json().code, 'PRODUCT_NOT_FOUND');
  assert.match(res.json().detail, /no-such-product/);
  assert.deepEqual(quantities((await get(cart, alice)).json()), [[lamp.id, 1]]);
});

test('an archived product cannot be added or set (409 PRODUCT_ARCHIVED, cart unchanged); removing it is fine', async (t) => {
  const { cart, catalog, alice } = await setup(t);
  await put(cart, alice, lamp.id, 2);
  await put(cart, alice, mug.id, 1);
  catalog.products.set(lamp.id, { ...lamp, archived: true });
  catalog.products.set(mug.id, { ...mug, archived: true });
  const stored = sqliteCartStore(cart.store.db, { maxLines: MAX_LINES });
  for (const [id, quantity] of [[mug.id, 3], [lamp.id, 1]] as const) {
    const res = await put(cart, alice, id, quantity);
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().code, 'PRODUCT_ARCHIVED');
    assert.match(res.json().detail, /no longer sold/);
  }
  assert.deepEqual(await stored.getLines('alice'), [{ productId: lamp.id, quantity: 2 }, { productId: mug.id, quantity: 1 }], 'refused writes changed nothing');
  assert.equal((await del(cart, alice, lamp.id)).statusCode, 200);
});

test('a product archived while in a cart leaves the cart: not shown, not priced, not checked out', async (t) => {
  const { cart, catalog, alice } = await setup(t);
  await put(cart, alice, lamp.id, 1);
  const before = (await put(cart, alice, mug.id, 2)).json() as Cart;
  catalog.products.set(lamp.id, { ...lamp, archived: true });
  const res = (await get(cart, alice)).json() as Cart;
  assert.deepEqual(quantities(res), [[mug.id, 2]]);
  assert.equal(res.total.amount, 2 * 899);
  assert.notEqual(res.version, before.version, 'the version changes, so a checkout with the old If-Match gets 412 and the cart without it');
  const lines = await sqliteCartStore(cart.store.db, { maxLines: MAX_LINES }).getLines('alice');
  assert.deepEqual(lines, [{ productId: mug.id, quantity: 2 }], 'the archived line is gone from the store');
});

test('a product that left the catalog is dropped from the answer and from the cart', async (t) => {
  const { cart, catalog, alice } = await setup(t);
  await put(cart, alice, lamp.id, 1);
  await put(cart, alice, mug.id, 2);
  catalog.products.delete(lamp.id);
  const res = (await get(cart, alice)).json() as Cart;
  assert.deepEqual(quantities(res), [[mug.id, 2]]);
  assert.equal(res.total.amount, 2 * 899);
  const lines = await sqliteCartStore(cart.store.db, { maxLines: MAX_LINES }).getLines('alice');
  assert.deepEqual(lines, [{ productId: mug.id, quantity: 2 }], 'the stale line is gone from the store');
});

test('quantities are whole numbers 0..100 and a cart holds at most 50 products (400 otherwise)', async (t) => {
  const many: Product[] = Array.from({ length: MAX_LINES + 1 }, (_, i) => ({ ...pen, id: `p-${String(i).padStart(2, '0')}`, sku: `GEN-${String(i).padStart(4, '0')}` }));
  const { cart, alice } = await setup(t, [...Object.values(products), ...many]);
  for (const bad of [101, -1, 1.5, '2', null]) {
    const res = await put(cart, alice, lamp.id, bad);
    assert.equal(res.statusCode, 400, `quantity ${String(bad)}`);
    assert.equal(res.json().code, 'VALIDATION_FAILED');
  }
  const extra = await cart.app.inject({ method: 'PUT', url: `/api/cart/items/${lamp.id}`, headers: bearer(alice), payload: { quantity: 1, price: 0 } });
  assert.equal(extra.statusCode, 400);
  assert.equal((await put(cart, alice, lamp.id, 100)).statusCode, 200, '100 is allowed');
  const longId = await put(cart, alice, 'x'.repeat(101), 1);
  assert.equal(longId.statusCode, 414, 'product ids are at most 100 characters (fastify refuses longer path parameters)');

  const store = sqliteCartStore(cart.store.db, { maxLines: MAX_LINES });
  for (const p of many.slice(0, MAX_LINES - 1)) await store.setQuantity('alice', p.id, 1);
  const full = await put(cart, alice, many[MAX_LINES]?.id as string, 1);
  assert.equal(full.statusCode, 400);
  assert.equal(full.json().code, 'CART_FULL');
  assert.equal(full.json().maxLines, MAX_LINES);
  const update = await put(cart, alice, lamp.id, 3);
  assert.equal(update.statusCode, 200, 'a full cart still takes changes to its lines');
  assert.equal(update.json().items.length, MAX_LINES);
});

test('pricing a cart costs one catalog call however many lines it holds, for reads and writes (issue 11)', async (t) => {
  const { cart, catalog, alice } = await setup(t);
  for (const p of Object.values(products)) await put(cart, alice, p.id, 1);
  catalog.lookups = 0;
  assert.equal((await get(cart, alice)).json().items.length, 4);
  assert.equal(catalog.lookups, 1, 'a read of four lines is one lookup');
  assert.equal((await put(cart, alice, lamp.id, 3)).statusCode, 200);
  assert.equal(catalog.lookups, 2, 'a write of a four-line cart is one more lookup');
});

test('every answer carries the cart version as its ETag: it changes with a line or a price, not with a re-read', async (t) => {
  const { cart, catalog, alice } = await setup(t);
  const written = await put(cart, alice, lamp.id, 2);
  const etag = written.headers.etag as string;
  assert.equal(etag, `"${written.json().version}"`);
  const read = await get(cart, alice);
  assert.equal(read.headers.etag, etag, 'the write answered the version a read then sees');
  assert.equal((await get(cart, alice)).headers.etag, etag);
  catalog.products.set(lamp.id, { ...lamp, price: { amount: 5000, currency: 'EUR' } });
  const repriced = await get(cart, alice);
  assert.notEqual(repriced.headers.etag, etag, 'a price change is a new version');
  const changed = await put(cart, alice, lamp.id, 3);
  assert.notEqual(changed.headers.etag, repriced.headers.etag);
  // Emptied and filled again with the same line at the same price: still a new version (it may not be ordered twice).
  await del(cart, alice, lamp.id);
  const refilled = await put(cart, alice, lamp.id, 3);
  assert.notEqual(refilled.headers.etag, changed.headers.etag);
});

test('a line that would take the total past the money bound is 400 CART_TOTAL_TOO_LARGE and changes nothing', async (t) => {
  const dear: Product = { ...lamp, id: 'p-dear', sku: 'DEAR-0001', name: 'Diamond', price: { amount: MAX_MONEY_AMOUNT - 1000, currency: 'EUR' } };
  const { cart, alice } = await setup(t, [...Object.values(products), dear]);
  assert.equal((await put(cart, alice, dear.id, 1)).statusCode, 200, 'one is within the bound');
  const before = (await get(cart, alice)).json() as Cart;
  const res = await put(cart, alice, lamp.id, 1);
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().code, 'CART_TOTAL_TOO_LARGE');
  assert.deepEqual(res.json().maxTotal, { amount: MAX_MONEY_AMOUNT, currency: 'EUR' });
  assert.equal((await put(cart, alice, dear.id, 2)).json().code, 'CART_TOTAL_TOO_LARGE');
  assert.deepEqual((await get(cart, alice)).json(), before);
});

test('50 concurrent writes by one user: every answer is a success or a clean refusal, and the cart holds exactly what succeeded', async (t) => {
  const many: Product[] = Array.from({ length: 50 }, (_, i) => ({ ...pen, id: `p-burst-${i}`, sku: `BURST-${String(i).padStart(4, '0')}` }));
  const { cart, alice } = await setup(t, many);
  const results = await Promise.all(many.map((p) => put(cart, alice, p.id, 1)));
  const ok = many.filter((_, i) => results[i]?.statusCode === 200);
  for (const r of results) assert.ok(r.statusCode === 200 || (r.statusCode >= 400 && r.statusCode < 500), `${r.statusCode} ${r.body}`);
  const stored = await sqliteCartStore(cart.store.db, { maxLines: MAX_LINES }).getLines('alice');
  assert.deepEqual(stored.map((l) => l.productId).sort(), ok.map((p) => p.id).sort());
  assert.equal(ok.length, 50, 'queued per user, none needed to be refused');
});

test('catalog down (refused connections) is 503 problem+json quickly, for reads and writes, and the cart is unharmed', async (t) => {
  // "Quickly": the catalog timeout is far beyond the test's timeout, so only seeing the refusal can end a call.
  const { cart, catalog, alice } = await setup(t, undefined, 600_000);
  await put(cart, alice, lamp.id, 2);
  await catalog.close();
  const res = await get(cart, alice);
  assert.equal(res.statusCode, 503);
  assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
  assert.equal(res.json().code, 'UPSTREAM_UNAVAILABLE');
  assert.match(res.json().detail, /catalog/);
  const write = await put(cart, alice, mug.id, 1);
  assert.equal(write.statusCode, 503);
  const lines = await sqliteCartStore(cart.store.db, { maxLines: MAX_LINES }).getLines('alice');
  assert.deepEqual(lines, [{ productId: lamp.id, quantity: 2 }], 'nothing was dropped or added while the catalog was down');
});

test('a hung catalog is 503 once the catalog timeout runs out, not a 500 and not a hang', async (t) => {
  const { cart, catalog, alice } = await setup(t, undefined, 800);
  await put(cart, alice, lamp.id, 1);
  catalog.hang = true;
  // The hung catalog never answers, so only cart's catalog timeout can end the read.
  const res = await get(cart, alice);
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().code, 'UPSTREAM_UNAVAILABLE');
});

test('the OpenAPI document lists the cart routes; readyz checks the store', async (t) => {
  const { cart } = await setup(t);
  const doc = (await cart.app.inject({ url: '/openapi.json' })).json();
  assert.ok(doc.paths['/api/cart'].get);
  assert.ok(doc.paths['/api/cart/items/{productId}'].put);
  assert.ok(doc.paths['/api/cart/items/{productId}'].delete);
  assert.ok(doc.paths['/internal/carts/{userId}'].get);
  assert.equal((await cart.app.inject({ url: '/readyz' })).json().checks.store, 'ok');
});

test('the cart reads the revision back out of a version it made, and of nothing else (versions from before it carried one)', () => {
  const empty = { items: [], total: { amount: 0, currency: 'EUR' } };
  assert.equal(revisionOfVersion(cartVersion(41, empty)), 41);
  assert.equal(revisionOfVersion(cartVersion(0, empty)), 0);
  // The bare hash versions were before the revision was part of them, and anything else a client could send.
  for (const other of [cartVersion(41, empty).split('.')[1], undefined, '', '41', '41.', 'x.abc', `-1.${'a'.repeat(27)}`, `${'9'.repeat(16)}.${'a'.repeat(27)}`]) {
    assert.equal(revisionOfVersion(other), undefined, String(other));
  }
});
