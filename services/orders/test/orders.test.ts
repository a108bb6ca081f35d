import { test } from 'node:test';
import { DECLINED_CARD } from './standins.ts';
import assert from 'node:assert/strict';
import { DIALECTS } from '@bazaar/store/testing';
import type { Order } from '@bazaar/contracts/orders';
import { bearer, checkout, checkoutBody, goodCard, startOrders, testStore } from './helpers.ts';
import { createOrderQueries } from '../src/domain/orders.ts';
import type { OrderRecord, OrderRepository } from '../src/domain/model.ts';

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
    assert.deepEqual(bobs, { items: [], nextCursor: null });
  });
}

test('order history pages: newest first, a cursor, a status filter; a foreign cursor is 400 (issue 11)', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    h.upstreams.fillCart('alice', [{ productId: 'p-mug', name: 'Blue Mug', quantity: 1, price: 899 + i }]);
    const number = i === 2 ? DECLINED_CARD : goodCard.number;
    ids.push((await checkout(h.app, h.alice, { body: checkoutBody({ number }) })).json().orderId as string);
  }
  const page = (query: string) => h.app.inject({ url: `/api/orders${query}`, headers: bearer(h.alice) });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await page(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { items: Order[]; nextCursor: string | null };
    assert.ok(body.items.length <= 2);
    seen.push(...body.items.map((o) => o.id));
    cursor = body.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, [...ids].reverse(), 'every order once, newest first');
  const cancelled = (await page('?status=CANCELLED')).json() as { items: Order[] };
  assert.deepEqual(cancelled.items.map((o) => o.id), [ids[2]]);
  assert.equal((await page('?cursor=not-ours')).json().code, 'INVALID_CURSOR');
  assert.equal((await page('?limit=101')).statusCode, 400);
  // Bob's pages never show Alice's orders, whatever the cursor.
  const first = (await page('?limit=1')).json() as { nextCursor: string };
  const bobs = await h.app.inject({ url: `/api/orders?cursor=${first.nextCursor}`, headers: bearer(h.bob) });
  assert.deepEqual(bobs.json().items, []);
});

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

test('a long-poll answers at once with the status it has when the instance shuts down, instead of asking the store until its wait runs out', async () => {
  // Time stands still (a manual now) and the waiter answers at once, as the runner's does once it is stopping:
  // a loop that ignored "stopping" would ask the store forever; here it is cut off after 50 rounds.
  const pending: OrderRecord = { id: 'o1', userId: 'u1', email: 'u1@example.com', status: 'PENDING', items: [], total: { amount: 100, currency: 'EUR' }, reason: null, createdAt: '2026-12-05T00:00:00.000Z' };
  let reads = 0;
  let waits = 0;
  const orders = { get: async () => ((reads += 1), pending) } as unknown as OrderRepository;
  const queries = createOrderQueries({
    orders,
    now: () => 1_000,
    waitFor: async () => {
      waits += 1;
      if (waits > 50) throw new Error('the long-poll kept asking the store while the instance was stopping');
      return false;
    },
  });
  const order = await queries.get('o1', { id: 'u1', roles: [] }, 21_000);
  assert.equal(order.status, 'PENDING');
  assert.equal(waits, 1, 'one wait, ended by the shutdown');
  assert.equal(reads, 2, 'the order read once more after the wait, then answered');
});
