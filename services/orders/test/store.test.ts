// The orders repository on both dialects: money past 2^31, JSON columns, the key race, the final event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, recordQueries, sqlitePlan } from '@bazaar/store/testing';
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

// Every order keeps its saga, DONE, for good; the sweep (twice a second) and the lease heartbeat ask for the open ones.
// Reading the whole table cost 19 ms of CPU a pass with 200,000 past orders, and grew with every order
// (docs/performance.md, "Periodic queries that read every saga ever"). Whatever the table holds, each must find the
// open sagas through an index: SQLite's plan says so before any row is read.
test('sqlite: the saga sweep, the lease heartbeat and the release read the open sagas through an index, never every saga ever', async (t) => {
  const store = await testStore('sqlite', t);
  t.after(() => store.close());
  const lease = { owner: newLeaseOwner(), ms: 5000 };
  const recorded = recordQueries(store.db);
  const repo = orderRepository(recorded.db, lease);
  for (const id of ['done-1', 'done-2', 'open']) await repo.create({ order: order(id, 100), saga: saga(id), key: id, requestHash: 'h' });
  for (const id of ['done-1', 'done-2']) assert.equal(await repo.finish(id, { status: 'CONFIRMED' }, at), true);
  const now = Date.parse(at) + 1000;
  assert.ok(await repo.claimSaga('open', now), 'this instance holds the open saga');

  recorded.statements.length = 0;
  assert.deepEqual(await repo.dueSagas(now, 10), ['open'], 'the sweep finds the open saga, not the DONE ones');
  await repo.renewLeases(now + 10_000);
  assert.equal((await repo.saga('open'))?.step, 'RESERVING');
  const renewed = await store.db.selectFrom('sagas').select(['order_id', 'lease_until']).where('owner', '=', lease.owner).execute();
  assert.deepEqual(renewed.map((r) => [r.order_id, Number(r.lease_until)]), [['open', now + 10_000 + lease.ms]], 'the heartbeat renewed the open saga it holds');
  await repo.releaseLeases();
  assert.equal((await repo.saga('open'))?.orderId, 'open');

  const examined = recorded.statements.filter((s) => /^(select|update) "order_id" from "sagas"|^update "sagas"/.test(s) && !/where "order_id" = \?$/.test(s));
  assert.equal(examined.length, 3, `the sweep, the heartbeat and the release each ran one statement on sagas: ${examined.join(' ; ')}`);
  for (const statement of examined) {
    const plan = await sqlitePlan(store.db, statement);
    assert.ok(plan.some((step) => /^SEARCH sagas USING INDEX sagas_(open_due|owned) /.test(step)), `${statement}\n  reads through an index: ${plan.join(' | ')}`);
    assert.ok(!plan.some((step) => step.startsWith('SCAN') || step.includes('TEMP B-TREE')), `${statement}\n  neither reads the whole table nor sorts it: ${plan.join(' | ')}`);
  }
});
