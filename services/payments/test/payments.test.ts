import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { MAX_MONEY_AMOUNT } from '@bazaar/contracts/common';
import { TEST_CARDS } from '@bazaar/contracts/psp';
import { Payment } from '@bazaar/contracts/payments';
import { PaymentEventData } from '@bazaar/contracts/events';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { openPaymentsStore } from '../src/store/index.ts';
import { act, authorize, internal, newOrderId, outbox, startPayments, startPspSim, type PspSim } from './helpers.ts';
import { callAs } from '@bazaar/kit/testing';

let psp: PspSim;
before(async () => {
  psp = await startPspSim();
});
// psp is unset when before() failed: stopping it then must not throw over the real error.
after(async () => psp?.stop());

test('approve: authorize 201 AUTHORIZED, then capture, refund; GET follows; the PSP holds one authorization', async () => {
  const { app, close } = await startPayments({ pspUrl: psp.url });
  const orderId = newOrderId();
  const res = await authorize(app, { orderId });
  assert.equal(res.statusCode, 201);
  const payment = res.json() as Payment;
  assert.ok(Value.Check(Payment, payment));
  assert.equal(payment.status, 'AUTHORIZED');
  assert.equal(payment.orderId, orderId);
  assert.deepEqual(payment.amount, { amount: 4999, currency: 'EUR' });
  assert.equal(payment.cardLast4, '4242');
  assert.equal(payment.declineCode, undefined);
  assert.ok(!res.body.includes('4242424242424242'));

  const captured = await act(app, orderId, 'capture');
  assert.equal(captured.statusCode, 200);
  assert.equal(captured.json().status, 'CAPTURED');
  assert.equal(captured.json().paymentId, payment.paymentId);
  const again = await act(app, orderId, 'capture');
  assert.equal(again.statusCode, 200, 'capture is idempotent');
  assert.equal(again.json().status, 'CAPTURED');
  const [atPsp] = await psp.authorizations(orderId);
  assert.deepEqual([atPsp?.status, atPsp?.captures, atPsp?.amount], ['captured', 1, 4999], 'money moved once');

  assert.equal((await act(app, orderId, 'void')).statusCode, 409, 'a captured payment cannot be voided');
  const refunded = await act(app, orderId, 'refund');
  assert.equal(refunded.json().status, 'REFUNDED');
  assert.equal((await act(app, orderId, 'refund')).statusCode, 200, 'refund is idempotent');
  assert.equal((await psp.authorizations(orderId))[0]?.status, 'refunded');

  const got = await app.inject({ url: `/internal/payments/${orderId}`, headers: internal });
  assert.equal(got.statusCode, 200);
  assert.equal(got.json().status, 'REFUNDED');
  assert.equal((await psp.authorizations(orderId)).length, 1);
  await close();
});

test('void: AUTHORIZED → VOIDED; again is a no-op; capture after void is 409; unknown order is 404', async () => {
  const { app, close } = await startPayments({ pspUrl: psp.url });
  const orderId = newOrderId();
  await authorize(app, { orderId });
  assert.equal((await act(app, orderId, 'refund')).statusCode, 409, 'refund needs a capture');
  const voided = await act(app, orderId, 'void');
  assert.equal(voided.statusCode, 200);
  assert.equal(voided.json().status, 'VOIDED');
  assert.equal((await act(app, orderId, 'void')).json().status, 'VOIDED');
  const capture = await act(app, orderId, 'capture');
  assert.equal(capture.statusCode, 409);
  assert.equal(capture.json().code, 'INVALID_TRANSITION');
  assert.deepEqual([(await psp.authorizations(orderId))[0]?.status, (await psp.authorizations(orderId))[0]?.captures], ['voided', 0]);

  for (const action of ['void', 'capture', 'refund'] as const) {
    const res = await act(app, 'no-such-order', action);
    assert.equal(res.statusCode, 404, action);
    assert.equal(res.json().code, 'PAYMENT_NOT_FOUND');
  }
  assert.equal((await app.inject({ url: '/internal/payments/no-such-order', headers: internal })).statusCode, 404);
  await close();
});

test('declined and insufficient funds: 402 PAYMENT_DECLINED with declineCode, recorded as DECLINED, replayed without the PSP', async () => {
  const { app, close } = await startPayments({ pspUrl: psp.url });
  for (const [number, code] of [[TEST_CARDS.declined, 'card_declined'], [TEST_CARDS.insufficientFunds, 'insufficient_funds']] as const) {
    const orderId = newOrderId();
    const res = await authorize(app, { orderId, number });
    assert.equal(res.statusCode, 402, code);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(res.json().code, 'PAYMENT_DECLINED');
    assert.equal(res.json().declineCode, code);
    const recorded = (await app.inject({ url: `/internal/payments/${orderId}`, headers: internal })).json() as Payment;
    assert.deepEqual([recorded.status, recorded.declineCode, recorded.cardLast4], ['DECLINED', code, number.slice(-4)]);

    const replay = await authorize(app, { orderId, number });
    assert.equal(replay.statusCode, 402);
    assert.equal(replay.json().paymentId, res.json().paymentId);
    assert.equal((await psp.authorizations(orderId)).length, 1, 'the decline is recorded once at the PSP');

    assert.equal((await act(app, orderId, 'void')).json().status, 'DECLINED', 'voiding a declined payment is a no-op');
    assert.equal((await act(app, orderId, 'capture')).statusCode, 409, 'a declined payment cannot be captured');
  }
  // A number that fails the network's check is a refusal too (the saga cancels), not a 400 about our request.
  const bad = await authorize(app, { orderId: newOrderId(), number: '4242424242424241' });
  assert.equal(bad.statusCode, 402);
  assert.equal(bad.json().declineCode, 'invalid_number');
  await close();
});

for (const dialect of DIALECTS) {
  test(`${dialect}: idempotent by orderId: a second call returns the recorded payment without calling the PSP; another amount is 409`, async (t) => {
    const { app, close } = await startPayments({ pspUrl: psp.url, store: await openPaymentsStore(await testLocation(dialect, 'payments', t)) });
    const orderId = newOrderId();
    const first = (await authorize(app, { orderId })).json() as Payment;
    // Make the PSP fail every call: a replay that reached it would fail.
    await psp.setConfig({ latencyMs: 0, failureRate: 1 });
    try {
      const second = await authorize(app, { orderId });
      assert.equal(second.statusCode, 201);
      assert.deepEqual(second.json(), first);
    } finally {
      await psp.setConfig({ latencyMs: 0, failureRate: 0 });
    }
    const other = await authorize(app, { orderId, amount: 5000 });
    assert.equal(other.statusCode, 409);
    assert.equal(other.json().code, 'PAYMENT_MISMATCH');
    assert.equal((await psp.authorizations(orderId)).length, 1);

    // Ten at once for a fresh order: one payment, one PSP authorization.
    const burstId = newOrderId();
    const burst = await Promise.all(Array.from({ length: 10 }, () => authorize(app, { orderId: burstId })));
    assert.deepEqual(new Set(burst.map((r) => r.statusCode)), new Set([201]));
    assert.equal(new Set(burst.map((r) => r.json().paymentId)).size, 1);
    assert.equal((await psp.authorizations(burstId)).length, 1);
    await close();
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: events: capture, void and refund append payments.* to the outbox, once each; no-ops and refusals append nothing`, async (t) => {
    const { app, close } = await startPayments({ pspUrl: psp.url, store: await openPaymentsStore(await testLocation(dialect, 'payments', t)) });
    const a = newOrderId();
    const b = newOrderId();
    const paymentA = (await authorize(app, { orderId: a })).json() as Payment;
    await authorize(app, { orderId: b, amount: 100 });
    assert.deepEqual(await outbox(app), [], 'authorizing publishes nothing');
    await act(app, a, 'capture');
    await act(app, a, 'capture');
    await act(app, a, 'void');
    await act(app, b, 'void');
    await act(app, b, 'void');
    await act(app, a, 'refund');
    const events = await outbox(app);
    assert.deepEqual(events.map((e) => [e.type, e.subject]), [
      ['payments.payment-captured', a],
      ['payments.payment-voided', b],
      ['payments.payment-refunded', a],
    ]);
    for (const e of events) {
      assert.equal(e.source, 'payments');
      assert.ok(Value.Check(PaymentEventData, e.data), e.type);
    }
    assert.deepEqual(events[0]?.data, { paymentId: paymentA.paymentId, orderId: a, amount: { amount: 4999, currency: 'EUR' }, status: 'CAPTURED' });
    await close();
  });
}

test('catching up: a capture the PSP did that payments never recorded is learned (with its event) when a void is refused', async () => {
  const { app, close } = await startPayments({ pspUrl: psp.url });
  const orderId = newOrderId();
  await authorize(app, { orderId });
  const [auth] = await psp.authorizations(orderId);
  assert.equal((await psp.post(`/v1/authorizations/${auth?.id}/capture`)).status, 200);
  const voided = await act(app, orderId, 'void');
  assert.equal(voided.statusCode, 409);
  assert.equal(voided.json().paymentStatus, 'CAPTURED');
  assert.equal((await app.inject({ url: `/internal/payments/${orderId}`, headers: internal })).json().status, 'CAPTURED');
  assert.deepEqual((await outbox(app)).map((e) => e.type), ['payments.payment-captured']);
  await close();
});

test('internal only: 401 without the service credential, 403 with a wrong one; bad input is 400', async () => {
  const { app, close } = await startPayments({ pspUrl: psp.url });
  const body = { orderId: 'o-1', amount: { amount: 1, currency: 'EUR' }, card: { number: '4242424242424242', expMonth: 1, expYear: 2099, cvc: '123' } };
  const none = await app.inject({ method: 'POST', url: '/internal/payments/authorize', payload: body });
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().code, 'UNAUTHENTICATED');
  assert.equal((await app.inject({ url: '/internal/payments/o-1' })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/internal/payments/o-1/capture' })).statusCode, 401);
  assert.equal((await app.inject({ url: '/internal/events' })).statusCode, 401);
  const wrong = await app.inject({ method: 'POST', url: '/internal/payments/authorize', headers: callAs('payments', 'orders', 'not-the-right-secret-at-all'), payload: body });
  assert.equal(wrong.statusCode, 401);
  // Issue 13, item 12: a valid credential of a service the route does not name cannot move money.
  for (const path of ['/internal/payments/authorize', '/internal/payments/o-1/capture', '/internal/payments/o-1/refund', '/internal/payments/o-1/void']) {
    for (const caller of ['cart', 'operator']) {
      assert.equal((await app.inject({ method: 'POST', url: path, headers: callAs('payments', caller), payload: body })).statusCode, 403, `${caller} on ${path}`);
    }
  }

  const fractional = await app.inject({ method: 'POST', url: '/internal/payments/authorize', headers: internal, payload: { ...body, amount: { amount: 1.5, currency: 'EUR' } } });
  assert.equal(fractional.statusCode, 400);
  const zero = await app.inject({ method: 'POST', url: '/internal/payments/authorize', headers: internal, payload: { ...body, amount: { amount: 0, currency: 'EUR' } } });
  assert.equal(zero.statusCode, 400);
  // The contract's PositiveMoney refuses it before the handler runs (one money bound, issue 11).
  assert.equal(zero.json().code, 'VALIDATION_FAILED');
  const huge = await app.inject({ method: 'POST', url: '/internal/payments/authorize', headers: internal, payload: { ...body, amount: { amount: MAX_MONEY_AMOUNT + 1, currency: 'EUR' } } });
  assert.equal(huge.statusCode, 400);
  await close();
});
