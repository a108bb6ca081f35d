// The orders repository on both dialects: money past 2^31, JSON columns, the key race, the final event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '@bazaar/store/testing';
import { readOutbox } from '@bazaar/messaging';
import { newLeaseOwner, orderRepository } from '../src/store/index.ts';
import type { OrderRecord, SagaRecord } from '../src/domain/model.ts';
import { testStore } from './helpers.ts';

const at = '2026-03-01T10:00:00.000Z';
// The contracts allow totals up to 10^11 minor units: past PostgreSQL's 4-byte integer.
const bigTotal = 100_000_000_000;

const order = (id: string, amount = bigTotal): OrderRecord => ({
  id,
  userId: 'alice',
  email: 'alice@example.test',
  status: 'PENDING',
  items: [{ productId: 'p-yacht', name: 'Yacht', quantity: 1, unitPrice: { amount, currency: 'EUR' }, lineTotal: { amount, currency: 'EUR' } }],
  total: { amount, currency: 'EUR' },
  reason: null,
  createdAt: at,
});

const saga = (orderId: string): SagaRecord => ({
  orderId,
  step: 'RESERVING',
  deadlineAt: Date.parse(at) + 15_000,
  nextAttemptAt: Date.parse(at),
  attempts: 0,
  lastError: null,
  reason: null,
  compensations: ['release'],
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
});

for (const dialect of DIALECTS) {
  test(`${dialect}: an order keeps a total past 2^31 exactly, as a number; its saga and key read back`, async (t) => {
    const store = await testStore(dialect, t);
    t.after(() => store.close());
    const repo = orderRepository(store.db, { owner: newLeaseOwner(), ms: 5000 });
    assert.equal(await repo.create({ order: order('o1'), saga: saga('o1'), key: 'k1', requestHash: 'h1' }), 'created');
    const back = await repo.get('o1');
    assert.deepEqual(back?.total, { amount: bigTotal, currency: 'EUR' });
    assert.deepEqual(back?.items, order('o1').items);
    assert.deepEqual(await repo.saga('o1'), saga('o1'));
    assert.deepEqual(await repo.findKey('alice', 'k1'), { orderId: 'o1', requestHash: 'h1' });
    assert.deepEqual(await repo.dueSagas(Date.parse(at), 10), ['o1']);
  });

  test(`${dialect}: racing creates with one key: exactly one wins, the loser leaves no order behind`, async (t) => {
    const store = await testStore(dialect, t);
    t.after(() => store.close());
    const repo = orderRepository(store.db, { owner: newLeaseOwner(), ms: 5000 });
    const outcomes = await Promise.all(['a', 'b', 'c', 'd'].map((id) => repo.create({ order: order(id, 100), saga: saga(id), key: 'same', requestHash: 'h' })));
    assert.deepEqual([...outcomes].sort(), ['created', 'key-taken', 'key-taken', 'key-taken']);
    assert.equal((await repo.listByUser('alice')).length, 1);
  });

  test(`${dialect}: finishing an order writes its event once`, async (t) => {
    const store = await testStore(dialect, t);
    t.after(() => store.close());
    const repo = orderRepository(store.db, { owner: newLeaseOwner(), ms: 5000 });
    await repo.create({ order: order('o1'), saga: saga('o1'), key: 'k1', requestHash: 'h1' });
    const outcomes = await Promise.all([repo.finish('o1', { status: 'CONFIRMED' }, at), repo.finish('o1', { status: 'CONFIRMED' }, at)]);
    assert.deepEqual([...outcomes].sort(), [false, true]);
    const events = await readOutbox(store.db, 0, 10);
    assert.deepEqual(events.map((e) => [e.type, e.sequence]), [['orders.order-confirmed', 1]]);
    assert.equal((await repo.saga('o1'))?.step, 'DONE');
  });
}
