// The payments repository on both dialects: amounts past 2^31, first-writer-wins, one event per status change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
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
