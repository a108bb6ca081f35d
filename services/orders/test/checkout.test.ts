import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '@bazaar/store/testing';
import type { OrderCancelledData, OrderConfirmedData } from '@bazaar/contracts/events';
import { DECLINED_CARD, NO_FUNDS_CARD } from './standins.ts';
import { DEADLINE_HEADER } from '@bazaar/kit';
import { cartETag, checkout, compensated, checkoutBody, eventually, getOrder, newKey, outboxEvents, settled, startOrders, testStore } from './helpers.ts';

for (const dialect of DIALECTS) {
  test(`${dialect}: happy path: 201 CONFIRMED, stock committed, exactly one capture, one order-confirmed event`, async (t) => {
    const h = await startOrders({ store: await testStore(dialect, t) });
    t.after(() => h.close());
    const etag = cartETag(h.app, h.alice);
    const res = await checkout(h.app, h.alice);
    assert.equal(res.statusCode, 201, res.body);
    const { orderId, status } = res.json();
    assert.equal(status, 'CONFIRMED');

    const order = await getOrder(h.app, h.alice, orderId);
    assert.equal(order.status, 'CONFIRMED');
    assert.equal(order.reason, undefined);
    assert.deepEqual(order.total, { amount: 2 * 2599 + 899, currency: 'EUR' });
    assert.deepEqual(order.items.map((i) => [i.productId, i.quantity]), [['p-lamp', 2], ['p-mug', 1]]);

    assert.equal(h.upstreams.count('capture', orderId), 1);
    assert.equal(h.upstreams.reservations.get(orderId)?.status, 'COMMITTED');
    assert.equal(h.upstreams.payments.get(orderId)?.status, 'CAPTURED');
    assert.equal(h.upstreams.stock.get('p-lamp'), 8);

    const events = await outboxEvents(h.app);
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event?.type, 'orders.order-confirmed');
    assert.equal(event?.source, 'orders');
    assert.equal(event?.subject, orderId);
    const data = event?.data as OrderConfirmedData;
    assert.equal(data.email, 'alice@example.test');
    assert.equal(data.userId, 'alice');
    assert.deepEqual(data.total, order.total);
    assert.deepEqual(data.items, order.items);
    // What fulfilment needs travels with the order: stored, returned and in the event (issue 11, first bullet).
    assert.deepEqual(order.shippingAddress, checkoutBody().shippingAddress);
    assert.deepEqual(order.customer, { email: 'alice@example.test', name: 'Alice Example' });
    assert.deepEqual(data.shippingAddress, checkoutBody().shippingAddress);
    assert.equal(data.customerName, 'Alice Example');
    // The cart version checked out travels too: the cart leaves alone what the shopper changed after it (issue 12).
    assert.equal(`"${data.cartVersion}"`, etag);
    // Before answering, orders told the cart once, with the same version and lines (the stand-in recorded it on arrival).
    assert.deepEqual(h.upstreams.ordered, [
      { userId: 'alice', orderId, cartVersion: data.cartVersion, items: [{ productId: 'p-lamp', quantity: 2 }, { productId: 'p-mug', quantity: 1 }] },
    ]);
    // The saga's calls and the event carry the checkout's trace.
    assert.match(event?.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: a declined card: CANCELLED with the reason, reservation released, nothing captured`, async (t) => {
    const h = await startOrders({ store: await testStore(dialect, t) });
    t.after(() => h.close());
    for (const [number, code] of [[DECLINED_CARD, 'card_declined'], [NO_FUNDS_CARD, 'insufficient_funds']] as const) {
      const res = await checkout(h.app, h.alice, { body: checkoutBody({ number }) });
      assert.equal(res.statusCode, 201, res.body);
      const { orderId, status } = res.json();
      assert.equal(status, 'CANCELLED');
      assert.equal((await getOrder(h.app, h.alice, orderId)).reason, `payment declined: ${code}`);
      await compensated(h, orderId);
      assert.equal(h.upstreams.count('release', orderId), 1);
      assert.equal(h.upstreams.reservations.get(orderId)?.status, 'RELEASED');
      assert.equal(h.upstreams.count('capture', orderId), 0);
    }
    assert.equal(h.upstreams.stock.get('p-lamp'), 10, 'all stock is back');
    const events = await outboxEvents(h.app);
    assert.deepEqual(events.map((e) => e.type), ['orders.order-cancelled', 'orders.order-cancelled']);
    const data = events[0]?.data as OrderCancelledData;
    assert.equal(data.reason, 'payment declined: card_declined');
    assert.equal(data.email, 'alice@example.test');
  });
}

test('insufficient stock: CANCELLED naming the product, payments never called', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  h.upstreams.stock.set('p-mug', 0);
  const res = await checkout(h.app, h.alice);
  assert.equal(res.statusCode, 201, res.body);
  const { orderId, status } = res.json();
  assert.equal(status, 'CANCELLED');
  assert.equal((await getOrder(h.app, h.alice, orderId)).reason, 'insufficient stock: Blue Mug');
  assert.equal(h.upstreams.calls.filter((c) => ['authorize', 'capture', 'void', 'refund'].includes(c.op)).length, 0);
  assert.equal(h.upstreams.stock.get('p-lamp'), 10);
  assert.deepEqual((await outboxEvents(h.app)).map((e) => e.type), ['orders.order-cancelled']);
});

test('payments down, then back within the deadline: retried with backoff and CONFIRMED', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  h.upstreams.faults.authorize = { fail: 3 };
  h.upstreams.faults.capture = { fail: 2 };
  const res = await checkout(h.app, h.alice);
  const { orderId } = res.json();
  const order = await settled(h.app, h.alice, orderId);
  assert.equal(order.status, 'CONFIRMED');
  assert.equal(h.upstreams.count('authorize', orderId), 4);
  assert.equal(h.upstreams.count('capture', orderId), 3);
  assert.equal(h.upstreams.payments.get(orderId)?.status, 'CAPTURED');
  assert.equal(h.upstreams.count('void', orderId), 0);
});

test('inventory down past the deadline: CANCELLED in time, the reservation released in case it happened unseen', async (t) => {
  // The checkout may wait a minute for the saga and inventory never recovers: only the 200 ms saga deadline can
  // end the saga, so a final CANCELLED (not a 202 PENDING) shows it ended in time, without timing the call.
  const h = await startOrders({ settings: { sagaDeadlineMs: 200, checkoutWaitMs: 60_000 } });
  t.after(() => h.close());
  h.upstreams.faults.reserve = { fail: Infinity };
  const res = await checkout(h.app, h.alice);
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().status, 'CANCELLED');
  const order = await getOrder(h.app, h.alice, res.json().orderId);
  assert.equal(order.reason, 'payment could not be completed in time');
  await compensated(h, res.json().orderId);
  assert.ok(h.upstreams.count('release') >= 1);
  assert.equal(h.upstreams.count('authorize'), 0);
});

test('payments down past the deadline: void and release, CANCELLED "payment could not be completed in time"', async (t) => {
  // 2 s, not 300 ms: on a loaded machine 300 ms left room for a single authorize attempt, and the test checks it was retried.
  const h = await startOrders({ settings: { sagaDeadlineMs: 2000 } });
  t.after(() => h.close());
  h.upstreams.faults.authorize = { fail: Infinity };
  const res = await checkout(h.app, h.alice);
  const { orderId } = res.json();
  const order = await settled(h.app, h.alice, orderId);
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reason, 'payment could not be completed in time');
  assert.ok(h.upstreams.count('authorize', orderId) >= 2, 'authorize was retried');
  await compensated(h, orderId);
  assert.ok(h.upstreams.count('void', orderId) >= 1, 'void was called');
  assert.equal(h.upstreams.reservations.get(orderId)?.status, 'RELEASED');
  assert.equal(h.upstreams.count('capture', orderId), 0);
  assert.equal(h.upstreams.stock.get('p-lamp'), 10);
  const events = await outboxEvents(h.app);
  assert.deepEqual(events.map((e) => e.type), ['orders.order-cancelled']);
});

test('a capture that timed out but went through, past the deadline: the order stays CANCELLED and the capture is refunded', async (t) => {
  // The deadline leaves reserve and authorize room on a loaded machine; every capture still times out (100 ms < 150 ms).
  const h = await startOrders({ settings: { sagaDeadlineMs: 2000, upstreamTimeoutMs: 100 } });
  t.after(() => h.close());
  // Every capture is slower than the client's timeout, but the stand-in still captures.
  h.upstreams.faults.capture = { delayMs: 150 };
  const { orderId } = (await checkout(h.app, h.alice)).json();
  const order = await settled(h.app, h.alice, orderId);
  // The customer was told CANCELLED at the deadline; a final answer never changes afterwards.
  assert.equal(order.status, 'CANCELLED', order.reason ?? '');
  await compensated(h, orderId);
  // The void found the payment captured: the money goes back, the stock too.
  assert.ok(h.upstreams.count('void', orderId) >= 1);
  assert.ok(h.upstreams.count('payment', orderId) >= 1);
  assert.equal(h.upstreams.payments.get(orderId)?.status, 'REFUNDED');
  assert.equal(h.upstreams.reservations.get(orderId)?.status, 'RELEASED');
  assert.equal((await getOrder(h.app, h.alice, orderId)).status, 'CANCELLED');
});

test('after the capture the saga only moves forward: commit is retried until inventory answers', async (t) => {
  // Inventory refuses every commit until well past the saga's deadline (a deadline long enough for the saga to
  // capture first on a busy machine; with 150 ms it could expire before the capture and cancel instead).
  const deadlineMs = 1500;
  const h = await startOrders({ settings: { sagaDeadlineMs: deadlineMs, checkoutWaitMs: 0 } });
  t.after(() => h.close());
  h.upstreams.faults.commit = { fail: Infinity };
  const { orderId } = (await checkout(h.app, h.alice)).json();
  await eventually('the first commit attempt', () => h.upstreams.count('commit', orderId) > 0);
  await new Promise((r) => setTimeout(r, deadlineMs + 500));
  const tried = h.upstreams.count('commit', orderId);
  assert.ok(tried > 1, `commit retried past the deadline (${tried} attempts)`);
  h.upstreams.faults.commit = {};
  const order = await settled(h.app, h.alice, orderId);
  assert.equal(order.status, 'CONFIRMED');
  assert.ok(h.upstreams.count('commit', orderId) > tried, 'committed after the refusals');
  assert.equal(h.upstreams.count('void', orderId), 0);
  assert.equal(h.upstreams.count('refund', orderId), 0);
});

test('a reservation released before commit (expired) refunds the captured payment and cancels', async (t) => {
  const h = await startOrders({ settings: { checkoutWaitMs: 0 } });
  t.after(() => h.close());
  h.upstreams.faults.commit = { fail: Infinity };
  const res = await checkout(h.app, h.alice);
  const { orderId } = res.json();
  await eventually('the commit call', () => h.upstreams.count('commit', orderId) > 0);
  const reservation = h.upstreams.reservations.get(orderId);
  assert.ok(reservation);
  reservation.status = 'RELEASED';
  h.upstreams.faults.commit = {};
  const order = await settled(h.app, h.alice, orderId);
  assert.equal(order.status, 'CANCELLED');
  assert.match(order.reason ?? '', /refunded/);
  await compensated(h, orderId);
  assert.equal(h.upstreams.payments.get(orderId)?.status, 'REFUNDED');
});

test('202 PENDING when the saga outlasts CHECKOUT_WAIT_MS; it finishes in the background', async (t) => {
  const h = await startOrders({ settings: { checkoutWaitMs: 50, upstreamTimeoutMs: 1000, sagaDeadlineMs: 3000 } });
  t.after(() => h.close());
  h.upstreams.faults.authorize = { delayMs: 300 };
  const res = await checkout(h.app, h.alice);
  assert.equal(res.statusCode, 202, res.body);
  assert.equal(res.json().status, 'PENDING');
  assert.equal(res.headers.location, `/api/orders/${res.json().orderId}`);
  assert.equal(res.headers['retry-after'], '1');
  assert.equal((await getOrder(h.app, h.alice, res.json().orderId)).status, 'PENDING');
  assert.equal((await settled(h.app, h.alice, res.json().orderId)).status, 'CONFIRMED');
});

test("checkout answers within the caller's deadline budget: 202 + Location before the budget runs out, never the caller's timeout (issue 11)", async (t) => {
  const h = await startOrders({ settings: { checkoutWaitMs: 10_000, upstreamTimeoutMs: 2000, sagaDeadlineMs: 5000 } });
  t.after(() => h.close());
  h.upstreams.faults.authorize = { delayMs: 1500 };
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/checkout',
    headers: { authorization: `Bearer ${h.alice}`, 'idempotency-key': newKey(), 'if-match': cartETag(h.app, h.alice), [DEADLINE_HEADER]: '800' },
    payload: checkoutBody(),
  });
  // Waiting its 10 s would have ended at the final status (201: the authorization answers after 1.5 s); the 202 is
  // the answer of the 800 ms budget. (No wall-clock assertion: on a busy machine the request alone may take longer.)
  assert.equal(res.statusCode, 202, res.body);
  // The long-poll answers as soon as the order is final, within its wait.
  const polled = await h.app.inject({ url: `${res.headers.location as string}?wait=10`, headers: { authorization: `Bearer ${h.alice}` } });
  assert.equal(polled.statusCode, 200);
  assert.equal(polled.json().status, 'CONFIRMED');
});

test('a long-poll on a PENDING order answers PENDING when its wait (or the caller budget) runs out', async (t) => {
  const h = await startOrders({ settings: { checkoutWaitMs: 0, upstreamTimeoutMs: 5000, sagaDeadlineMs: 8000 } });
  t.after(() => h.close());
  h.upstreams.faults.authorize = { delayMs: 3000 };
  const { orderId } = (await checkout(h.app, h.alice)).json();
  const polled = await h.app.inject({ url: `/api/orders/${orderId}?wait=20`, headers: { authorization: `Bearer ${h.alice}`, [DEADLINE_HEADER]: '600' } });
  // Waiting out its 20 s would have ended at the order's final status (the authorization answers after 3 s): PENDING
  // is the answer of the 600 ms budget. (No wall-clock assertion: a busy machine once took longer than 600 ms to run
  // the request at all.)
  assert.equal(polled.json().status, 'PENDING');
  assert.equal((await h.app.inject({ url: `/api/orders/${orderId}?wait=21`, headers: { authorization: `Bearer ${h.alice}` } })).statusCode, 400);
});

test('a permanent refusal (a 4xx other than 408/429) cancels at once with its true reason, not at the deadline (issue 11)', async (t) => {
  const h = await startOrders({ settings: { sagaDeadlineMs: 60_000 } });
  t.after(() => h.close());
  h.upstreams.faults.authorize = { refuse: 400 };
  const res = await checkout(h.app, h.alice);
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().status, 'CANCELLED');
  const order = await getOrder(h.app, h.alice, res.json().orderId);
  assert.equal(order.reason, 'payments refused the order: REFUSED');
  assert.equal(h.upstreams.count('authorize'), 1, 'not retried');
  // The compensations run after the final answer (issue 12).
  await eventually('the reservation to be released', () => h.upstreams.reservations.get(order.id)?.status === 'RELEASED');
});

test('an empty cart is 409 CART_EMPTY and creates no order', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const res = await checkout(h.app, h.bob);
  assert.equal(res.statusCode, 409);
  assert.equal(res.json().code, 'CART_EMPTY');
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.deepEqual((await h.app.inject({ url: '/api/orders', headers: { authorization: `Bearer ${h.bob}` } })).json(), { items: [], nextCursor: null });
});

test('cart failing: 502/503 and no order', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  h.upstreams.faults.cart = { fail: Infinity };
  const res = await checkout(h.app, h.alice);
  assert.ok([502, 503].includes(res.statusCode), `${res.statusCode} ${res.body}`);
  assert.equal((await h.app.inject({ url: '/api/orders', headers: { authorization: `Bearer ${h.alice}` } })).json().items.length, 0);
});

test('checkout needs a user token and a valid body', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const anon = await h.app.inject({ method: 'POST', url: '/api/checkout', headers: { 'idempotency-key': 'k' }, payload: checkoutBody() });
  assert.equal(anon.statusCode, 401);
  const bad = await checkout(h.app, h.alice, { body: { ...checkoutBody(), card: { ...checkoutBody().card, number: '42' } } });
  assert.equal(bad.statusCode, 400);
  assert.equal(h.upstreams.calls.length, 0);
});
