// Regressions found by the chaos suite (issue 12): each test is named after the defect it pins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ELAPSED_HEADER } from '@bazaar/kit';
import { bearer, cartETag, checkout, checkoutBody, compensated, eventually, getOrder, newKey, settled, startOrders } from './helpers.ts';
import { newLeaseOwner, orderRepository } from '../src/store/index.ts';
import { DECLINED_CARD } from './standins.ts';

test('defect 3: payments frozen past the deadline: the customer gets CANCELLED at the deadline while the void goes on in the background', async (t) => {
  // The deadline leaves room for the saga to reach payments on a busy machine (with 300 ms the
  // deadline could pass before authorize was ever tried, and then there is nothing to void).
  const h = await startOrders({ settings: { sagaDeadlineMs: 2000, upstreamTimeoutMs: 100, checkoutWaitMs: 0 } });
  t.after(() => h.close());
  // A frozen payments: every call hangs (the client times out), the void included.
  h.upstreams.faults.authorize = { hang: true };
  h.upstreams.faults.void = { hang: true };
  const { orderId } = (await checkout(h.app, h.alice)).json();
  const order = await settled(h.app, h.alice, orderId);
  assert.ok(h.upstreams.count('authorize', orderId) > 0, 'the saga tried to authorize before its deadline');
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reason, 'payment could not be completed in time');
  // Final for the customer although nothing is compensated yet: the void has not gone through.
  const saga = await orderRepository(h.store.db, { owner: newLeaseOwner(), ms: 5000 }).saga(orderId);
  assert.equal(saga?.step, 'COMPENSATING');
  assert.deepEqual(saga?.compensations, ['void', 'release']);
  await eventually('a void attempt', () => h.upstreams.count('void', orderId) > 0);
  // payments thaws: the compensations finish on their own, and the answer the customer got stays.
  h.upstreams.faults.authorize = {};
  h.upstreams.faults.void = {};
  await compensated(h, orderId, 5000);
  assert.equal(h.upstreams.reservations.get(orderId)?.status, 'RELEASED');
  assert.equal((await getOrder(h.app, h.alice, orderId)).status, 'CANCELLED');
});

test('defect 2: a void answered 404 without the PSP checked is retried, not taken as "nothing to void"', async (t) => {
  // As above: a deadline the saga reaches payments within even on a busy machine, or no void is ever owed.
  const h = await startOrders({ settings: { sagaDeadlineMs: 2000, upstreamTimeoutMs: 100, checkoutWaitMs: 0 } });
  t.after(() => h.close());
  h.upstreams.faults.authorize = { fail: Infinity };
  h.upstreams.setLegacyVoidNotFound(true);
  const { orderId } = (await checkout(h.app, h.alice)).json();
  assert.equal((await settled(h.app, h.alice, orderId)).status, 'CANCELLED');
  assert.ok(h.upstreams.count('authorize', orderId) > 0, 'the saga tried to authorize before its deadline');
  await eventually('the void to be retried after a bare 404', () => h.upstreams.count('void', orderId) >= 3);
  assert.equal((await orderRepository(h.store.db, { owner: newLeaseOwner(), ms: 5000 }).saga(orderId))?.step, 'COMPENSATING', 'the saga keeps the void pending');
  // A payments that checks with the PSP: its 404 (pspChecked) means there is nothing, and never will be.
  h.upstreams.setLegacyVoidNotFound(false);
  await compensated(h, orderId, 5000);
});

test('defect 5: one orders instance: finished sagas log no "saga lease lost" warning', async () => {
  const lines: string[] = [];
  const h = await startOrders({ logLines: lines });
  const confirmed = (await checkout(h.app, h.alice)).json();
  assert.equal(confirmed.status, 'CONFIRMED');
  h.upstreams.fillCart('alice', [{ productId: 'p-lamp', name: 'Desk Lamp', quantity: 1, price: 2599 }]);
  const declined = (await checkout(h.app, h.alice, { body: checkoutBody({ number: DECLINED_CARD }) })).json();
  assert.equal(declined.status, 'CANCELLED');
  await compensated(h, declined.orderId);
  // Closing waits for every saga driver to return, so every line they would log is in.
  await h.close();
  const finished = lines.filter((l) => l.includes('"order finished"') || l.includes('order cancelled; saga compensating'));
  assert.ok(finished.length >= 2, 'the sagas ran and logged');
  assert.deepEqual(lines.filter((l) => l.includes('lease lost')), []);
});

test('issue 12, the wait bound: the steps before the capture call with what is left of the saga deadline as their budget; the commit after it with none', async (t) => {
  const h = await startOrders({ settings: { sagaDeadlineMs: 15_000, checkoutWaitMs: 0 } });
  t.after(() => h.close());
  const { orderId } = (await checkout(h.app, h.alice)).json();
  assert.equal((await settled(h.app, h.alice, orderId)).status, 'CONFIRMED');
  const calls = h.upstreams.calls.filter((c) => c.orderId === orderId);
  for (const op of ['reserve', 'authorize', 'capture'] as const) {
    const call = calls.find((c) => c.op === op);
    assert.ok(call, `the saga called ${op}`);
    assert.ok(call.deadlineMs !== undefined && call.deadlineMs > 0 && call.deadlineMs <= 15_000, `${op} carried the saga's remaining time as its budget (got ${call.deadlineMs})`);
  }
  const commit = calls.find((c) => c.op === 'commit');
  assert.ok(commit, 'the saga committed the reservation');
  assert.equal(commit.deadlineMs, undefined, 'after the capture the saga only moves forward: no deadline');
});

test('issue 12, the wait bound: a call hanging across the deadline is cut at it, so CANCELLED comes at the deadline, not after the call\'s own timeout', async (t) => {
  // Each call to payments may take a minute; the saga has 1.5 s. Before the fix the authorize call ran its
  // whole minute past the deadline (the saga's calls carried no deadline), and the order stayed PENDING.
  const h = await startOrders({ settings: { sagaDeadlineMs: 1500, upstreamTimeoutMs: 60_000, checkoutWaitMs: 0 } });
  t.after(async () => {
    h.upstreams.faults.authorize = {};
    h.upstreams.faults.void = {};
    h.upstreams.releaseHanging();
    await h.close();
  });
  h.upstreams.faults.authorize = { hang: true };
  h.upstreams.faults.void = { hang: true };
  const { orderId } = (await checkout(h.app, h.alice)).json();
  const order = await settled(h.app, h.alice, orderId);
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reason, 'payment could not be completed in time');
  assert.ok(h.upstreams.count('authorize', orderId) > 0, 'the saga was inside its authorize call when the deadline came');
});

test('issue 12, the wait bound: a checkout the gateway sent to another instance first counts its saga deadline from the gateway\'s first receipt (bazaar-elapsed-ms), never less than half of it', async (t) => {
  const h = await startOrders({ settings: { sagaDeadlineMs: 10_000, checkoutWaitMs: 0 } });
  t.after(() => h.close());
  const repo = orderRepository(h.store.db, { owner: newLeaseOwner(), ms: 5000 });
  const deadlineAfterCreation = async (elapsed: string | undefined): Promise<{ created: number; deadline: number; before: number }> => {
    h.upstreams.fillCart('alice', [{ productId: 'p-mug', name: 'Blue Mug', quantity: 1, price: 500 }]);
    const before = Date.now();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/checkout',
      headers: { ...bearer(h.alice), 'idempotency-key': newKey(), 'if-match': cartETag(h.app, h.alice), ...(elapsed === undefined ? {} : { [ELAPSED_HEADER]: elapsed }) },
      payload: checkoutBody(),
    });
    assert.equal(res.statusCode, 202, res.body);
    const orderId = (res.json() as { orderId: string }).orderId;
    const created = Date.parse((await getOrder(h.app, h.alice, orderId)).createdAt);
    const saga = await repo.saga(orderId);
    assert.ok(saga);
    await settled(h.app, h.alice, orderId);
    return { created, deadline: saga.deadlineAt, before };
  };
  const direct = await deadlineAfterCreation(undefined);
  assert.equal(direct.deadline - direct.created, 10_000, 'received here first: the whole deadline from the order\'s creation');
  const passedOver = await deadlineAfterCreation('3000');
  assert.ok(passedOver.deadline >= passedOver.before + 7000 && passedOver.deadline <= passedOver.created + 7000, `3 s already spent: the deadline is 10 s after the gateway received it (${passedOver.deadline - passedOver.created} ms after the order)`);
  const implausible = await deadlineAfterCreation('9000');
  assert.equal(implausible.deadline - implausible.created, 5000, 'the saga keeps at least half of its deadline');
});
