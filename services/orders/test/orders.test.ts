import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '@bazaar/store/testing';
import type { Order } from '@bazaar/contracts/orders';
import { bearer, checkout, startOrders, testStore } from './helpers.ts';

for (const dialect of DIALECTS) {
  test(`${dialect}: users list their own orders, newest first; another user sees none of them`, async (t) => {
    const h = await startOrders({ store: await testStore(dialect, t) });
    t.after(() => h.close());
    const first = (await checkout(h.app, h.alice)).json().orderId;
    // The cart is filled again (a new version) before the second order.
    h.upstreams.fillCart('alice', [{ productId: 'p-mug', name: 'Blue Mug', quantity: 1, price: 899 }]);
    const second = (await checkout(h.app, h.alice)).json().orderId;
    const mine = (await h.app.inject({ url: '/api/orders', headers: bearer(h.alice) })).json() as { items: Order[] };
    assert.deepEqual(mine.items.map((o) => o.id), [second, first]);
    assert.deepEqual(Object.keys(mine.items[0] ?? {}).sort(), ['createdAt', 'customer', 'id', 'items', 'shippingAddress', 'status', 'total']);
    const bobs = (await h.app.inject({ url: '/api/orders', headers: bearer(h.bob) })).json();
    assert.deepEqual(bobs, { items: [] });
  });
}

test("another user's order is 404, not 403; an admin can read any order", async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const { orderId } = (await checkout(h.app, h.alice)).json();
  const asBob = await h.app.inject({ url: `/api/orders/${orderId}`, headers: bearer(h.bob) });
  assert.equal(asBob.statusCode, 404);
  assert.equal(asBob.json().code, 'ORDER_NOT_FOUND');
  const missing = await h.app.inject({ url: '/api/orders/no-such-order', headers: bearer(h.bob) });
  assert.deepEqual([missing.statusCode, missing.json().title], [404, asBob.json().title]);
  const asAdmin = await h.app.inject({ url: `/api/orders/${orderId}`, headers: bearer(h.admin) });
  assert.equal(asAdmin.statusCode, 200);
  assert.equal(asAdmin.json().id, orderId);
});

test('orders need a token; the event feed needs the service credential', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  assert.equal((await h.app.inject({ url: '/api/orders' })).statusCode, 401);
  assert.equal((await h.app.inject({ url: '/api/orders/x' })).statusCode, 401);
  assert.equal((await h.app.inject({ url: '/internal/events' })).statusCode, 401);
});

test('the OpenAPI document lists checkout and orders', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const doc = (await h.app.inject('/openapi.json')).json() as { paths: Record<string, unknown> };
  assert.ok(doc.paths['/api/checkout']);
  assert.ok(doc.paths['/api/orders']);
  assert.ok(doc.paths['/api/orders/{id}']);
});
