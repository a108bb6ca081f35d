import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { openOrdersStore } from '../src/store/index.ts';
import { migrations } from '../migrations/index.ts';
import { startUpstreams } from './standins.ts';
import { checkout, compensated, eventually, getOrder, outboxEvents, settled, startOrders } from './helpers.ts';

for (const dialect of DIALECTS) {
  test(`${dialect}: a restart mid-saga: the saga resumes, cancels for the lost card, releases the stock and captures nothing`, async (t) => {
    const where = await testLocation(dialect, 'orders', t, { file: true });
    const upstreams = await startUpstreams();
    t.after(() => upstreams.close());
    upstreams.fillCart('alice', [{ productId: 'p-lamp', name: 'Desk Lamp', quantity: 3, price: 2599 }]);
    upstreams.faults.authorize = { hang: true };

    const first = await startOrders({ store: await openOrdersStore(where), upstreams, settings: { checkoutWaitMs: 50, sagaDeadlineMs: 10_000, upstreamTimeoutMs: 200 } });
    const res = await checkout(first.app, first.alice);
    assert.equal(res.statusCode, 202, res.body);
    const { orderId } = res.json();
    await eventually('the saga to call authorize', () => upstreams.count('authorize', orderId) > 0);
    assert.equal(upstreams.stock.get('p-lamp'), 7, 'stock is reserved');
    await first.close();
    // The first process may have retried its hanging authorize (200 ms timeouts) before it closed: that one had the card.
    const authorizesWithCard = upstreams.count('authorize', orderId);

    // The card lived only in the first process's memory. Payments works again: nothing may reach it but a void.
    upstreams.faults.authorize = {};
    const second = await startOrders({ store: await openOrdersStore(where), upstreams, keys: first.keys });
    t.after(() => second.close());
    const order = await settled(second.app, second.alice, orderId);
    assert.equal(order.status, 'CANCELLED');
    assert.equal(order.reason, 'payment details were lost in a restart; please check out again');
    await compensated(second, orderId);
    assert.equal(upstreams.reservations.get(orderId)?.status, 'RELEASED');
    assert.equal(upstreams.stock.get('p-lamp'), 10);
    assert.equal(upstreams.count('capture'), 0);
    assert.equal(upstreams.count('authorize', orderId), authorizesWithCard, 'authorize is never retried without the card');
    assert.ok(upstreams.count('void', orderId) >= 1, 'a possibly unseen authorization is voided');
    const events = await outboxEvents(second.app);
    assert.deepEqual(events.map((e) => [e.type, e.subject]), [['orders.order-cancelled', orderId]]);
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: orders, keys and events survive a reopen of the store; migrations run once`, async (t) => {
    const where = await testLocation(dialect, 'orders', t, { file: true });
    const upstreams = await startUpstreams();
    t.after(() => upstreams.close());
    upstreams.fillCart('alice', [{ productId: 'p-mug', name: 'Blue Mug', quantity: 1, price: 899 }]);

    const firstStore = await openOrdersStore(where);
    assert.deepEqual(firstStore.applied, Object.keys(migrations));
    const first = await startOrders({ store: firstStore, upstreams });
    const key = 'restart-key';
    const created = (await checkout(first.app, first.alice, { key })).json();
    assert.equal(created.status, 'CONFIRMED');
    await first.close();

    const secondStore = await openOrdersStore(where);
    assert.deepEqual(secondStore.applied, []);
    const second = await startOrders({ store: secondStore, upstreams, keys: first.keys });
    t.after(() => second.close());
    assert.equal((await getOrder(second.app, second.alice, created.orderId)).status, 'CONFIRMED');
    const replay = await checkout(second.app, second.alice, { key });
    assert.deepEqual(replay.json(), created);
    assert.equal(upstreams.count('capture'), 1);
    assert.deepEqual((await outboxEvents(second.app)).map((e) => e.type), ['orders.order-confirmed']);
  });
}
