// A feed page in one DuckDB transaction: facts, inbox entries and the cursor
// commit together, a redelivered page counts nothing twice, and a page whose
// work fails leaves nothing behind (real DuckDB, in memory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrations } from '../migrations/index.ts';
import { migrateDuck, openDuck } from '../src/store/duck.ts';
import { recordFacts } from '../src/store/facts.ts';
import { handleBatchOnce } from '../src/store/inbox.ts';
import { openReportsStore } from '../src/store/index.ts';
import type { Fact } from '../src/domain/facts.ts';

const at = new Date('2026-03-02T10:00:00Z');
const confirmed = (orderId: string): Fact => ({
  kind: 'order-confirmed',
  orderId,
  userId: 'u1',
  currency: 'EUR',
  total: 1000,
  at,
  lines: [{ productId: 'p1', name: 'Pen', quantity: 2, unitAmount: 500, lineAmount: 1000, currency: 'EUR' }],
});
const ev = (id: string, sequence: number, type = 'orders.order-confirmed') => ({ id, source: 'orders', type, sequence });
const window = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z') };

test('a batch records its facts, inbox entries and the cursor past its last event; the same batch again counts nothing twice', async (t) => {
  const store = await openReportsStore({ dataDir: '', inMemory: true });
  t.after(() => store.close());
  const items = [
    { event: ev('e1', 1), fact: confirmed('o1') },
    { event: ev('e2', 2, 'orders.order-created') },
    { event: ev('e3', 3), fact: confirmed('o2') },
  ];
  assert.deepEqual(await store.applyBatch({ stream: 'orders/reports', items }), { handled: 2, duplicates: 0 });
  assert.deepEqual(await store.applyBatch({ stream: 'orders/reports', items }), { handled: 0, duplicates: 2 });
  // An event applied on its own before, then again inside a batch, also counts once.
  assert.equal(await store.apply({ event: ev('e4', 4), stream: 'orders/reports', fact: confirmed('o3') }), 'handled');
  assert.deepEqual(await store.applyBatch({ stream: 'orders/reports', items: [{ event: ev('e4', 4), fact: confirmed('o3') }, { event: ev('e5', 5), fact: confirmed('o4') }] }), { handled: 1, duplicates: 1 });
  // The same event twice in one batch (a producer's retry): the first one counts, once.
  assert.deepEqual(await store.applyBatch({ stream: 'orders/reports', items: [{ event: ev('e6', 6), fact: confirmed('o5') }, { event: ev('e6', 6), fact: confirmed('o5') }] }), { handled: 1, duplicates: 1 });
  const progress = await store.progress();
  assert.equal(progress.events, 5);
  assert.deepEqual(progress.positions, { 'orders/reports': 6 });
  const figures = await store.sales({ window, currency: 'EUR', top: 5 });
  assert.equal(figures.orders, 5);
  assert.equal(await store.cursors.load('orders/reports'), 6);
});

test('a batch whose work fails leaves no fact, no inbox entry and the cursor where it was', async (t) => {
  const duck = await openDuck({});
  t.after(() => duck.close());
  await migrateDuck(duck, migrations);
  await handleBatchOnce(duck, { stream: 'orders/reports', items: [{ event: ev('e1', 1), fact: confirmed('o1') }], record: recordFacts });
  await assert.rejects(
    handleBatchOnce(duck, {
      stream: 'orders/reports',
      items: [
        { event: ev('e2', 2), fact: confirmed('o2') },
        { event: ev('e3', 3), fact: confirmed('o3') },
      ],
      // The facts are written, then the disk fills up before the commit.
      record: async (tx, facts) => {
        await recordFacts(tx, facts);
        throw new Error('disk full');
      },
    }),
    /disk full/,
  );
  assert.deepEqual((await duck.read('SELECT event_id FROM inbox ORDER BY event_id')).map((r) => r.event_id), ['e1']);
  assert.deepEqual((await duck.read('SELECT order_id FROM orders ORDER BY order_id')).map((r) => r.order_id), ['o1']);
  assert.deepEqual((await duck.read('SELECT position FROM event_cursors')).map((r) => Number(r.position)), [1]);
});

test('within one batch the last event wins, as one by one: confirm then cancel of an order, and a payment status announced twice counts once', async (t) => {
  const store = await openReportsStore({ dataDir: '', inMemory: true });
  t.after(() => store.close());
  const cancel: Fact = { kind: 'order-cancelled', orderId: 'o1', userId: 'u1', currency: 'EUR', total: 1000, at, reason: 'changed their mind' };
  const captured = (paymentId: string): Fact => ({ kind: 'payment', paymentId, orderId: 'o2', status: 'CAPTURED', amount: 1000, currency: 'EUR', at });
  const result = await store.applyBatch({
    stream: 'orders/reports',
    items: [
      { event: ev('e1', 1), fact: confirmed('o1') },
      { event: ev('e2', 2, 'orders.order-cancelled'), fact: cancel },
      { event: ev('e3', 3), fact: confirmed('o2') },
      { event: ev('e4', 4, 'payments.payment-captured'), fact: captured('pay-2') },
      { event: ev('e5', 5, 'payments.payment-captured'), fact: captured('pay-2') },
    ],
  });
  assert.deepEqual(result, { handled: 5, duplicates: 0 });
  const figures = await store.sales({ window, currency: 'EUR', top: 5 });
  assert.equal(figures.orders, 1);
  assert.deepEqual(figures.cancelled, [{ reason: 'changed their mind', count: 1 }]);
  assert.equal(figures.payments.CAPTURED.count, 1);
});
