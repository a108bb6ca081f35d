// The payments repository on both dialects: amounts past 2^31, first-writer-wins, one event per status change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, recordQueries, sqlitePlan, testLocation } from '@bazaar/store/testing';
import { readOutbox } from '@bazaar/messaging';
import { openPaymentsStore, paymentRepository } from '../src/store/index.ts';
import type { PaymentRecord } from '../src/domain/model.ts';

const at = '2026-03-01T10:00:00.000Z';
// The contracts allow amounts up to 10^11 minor units: past PostgreSQL's 4-byte integer.
const big = 100_000_000_000;

const payment = (paymentId: string, orderId = 'o1'): PaymentRecord => ({
  paymentId,
  orderId,
  amount: big,
  currency: 'EUR',
  status: 'AUTHORIZED',
  pspAuthorizationId: `psp-${paymentId}`,
  cardLast4: '4242',
  declineCode: null,
  createdAt: at,
  updatedAt: at,
});

for (const dialect of DIALECTS) {
  test(`${dialect}: racing first results for one order: one is kept, every caller gets it, amounts exact`, async (t) => {
    const store = await openPaymentsStore(await testLocation(dialect, 'payments', t));
    t.after(() => store.close());
    const repo = paymentRepository(store.db);
    const stored = await Promise.all(['a', 'b', 'c'].map((id) => repo.insertOnce(payment(id))));
    assert.equal(new Set(stored.map((p) => p.paymentId)).size, 1);
    assert.deepEqual(await repo.byOrder('o1'), stored[0]);
    assert.equal(stored[0]?.amount, big);
  });

  test(`${dialect}: racing status changes: one moves it and publishes; the other sees the result and publishes nothing`, async (t) => {
    const store = await openPaymentsStore(await testLocation(dialect, 'payments', t));
    t.after(() => store.close());
    const repo = paymentRepository(store.db);
    await repo.insertOnce(payment('p1'));
    const data = { paymentId: 'p1', orderId: 'o1', amount: { amount: big, currency: 'EUR' }, status: 'CAPTURED' as const };
    const move = () => repo.moveStatus({ orderId: 'o1', from: 'AUTHORIZED', to: 'CAPTURED', events: [{ type: 'payments.payment-captured', data }], now: at });
    const results = await Promise.all([move(), move(), move()]);
    assert.deepEqual(results.map((r) => r.status), ['CAPTURED', 'CAPTURED', 'CAPTURED']);
    const events = await readOutbox(store.db, 0, 10);
    assert.deepEqual(events.map((e) => [e.type, e.subject, e.sequence]), [['payments.payment-captured', 'o1', 1]]);
    assert.deepEqual(events[0]?.data, data);
  });
}

// The reconciliation sweep runs every PAYMENTS_RECONCILE_INTERVAL_MS and every payment ever taken stays in the table:
// the PENDING intents past their age must come from an index of their own, in order, not from reading every payment.
test('sqlite: the reconciliation sweep reads the pending intents through an index, never every payment ever', async (t) => {
  const store = await openPaymentsStore(await testLocation('sqlite', 'payments', t));
  t.after(() => store.close());
  const recorded = recordQueries(store.db);
  const repo = paymentRepository(recorded.db);
  await repo.insertOnce({ ...payment('p-old', 'o-old'), status: 'PENDING', createdAt: '2026-03-01T09:00:00.000Z' });
  await repo.insertOnce({ ...payment('p-older', 'o-older'), status: 'PENDING', createdAt: '2026-03-01T08:00:00.000Z' });
  await repo.insertOnce({ ...payment('p-new', 'o-new'), status: 'PENDING', createdAt: '2026-03-01T11:00:00.000Z' });
  await repo.insertOnce(payment('p-done', 'o-done'));

  recorded.statements.length = 0;
  assert.deepEqual((await repo.pendingBefore(at, 10)).map((p) => p.paymentId), ['p-older', 'p-old'], 'pending before the age, oldest first, nothing else');
  assert.equal(recorded.statements.length, 1);
  const plan = await sqlitePlan(store.db, recorded.statements[0] as string);
  assert.ok(plan.some((step) => /^SEARCH payments USING INDEX payments_pending_created /.test(step)), `read through the index of pending intents: ${plan.join(' | ')}`);
  assert.ok(!plan.some((step) => step.startsWith('SCAN') || step.includes('TEMP B-TREE')), `neither reads the whole table nor sorts it: ${plan.join(' | ')}`);
});
