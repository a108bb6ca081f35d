// Issue 12, defect 2: authorizations of cancelled orders were left open at the
// PSP. payments now records an intent (PENDING) before it calls the PSP, voids
// by reference (the orderId) when it never saw the PSP's answer, and a
// reconciliation sweep voids intents that never got a final state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Payment } from '@bazaar/contracts/payments';
import { act, authorize, card, internal, newOrderId, startPayments, startPspSim, type PspSim } from './helpers.ts';

let psp: PspSim;
before(async () => {
  psp = await startPspSim();
});
after(async () => psp.stop());

const get = async (app: Awaited<ReturnType<typeof startPayments>>['app'], orderId: string) =>
  app.inject({ url: `/internal/payments/${encodeURIComponent(orderId)}`, headers: internal });

async function until(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a void that arrives while the authorize is still at the PSP leaves nothing authorized there', async () => {
  const { app, close } = await startPayments({ pspUrl: psp.url, timeoutMs: 3000 });
  const orderId = newOrderId();
  await psp.setConfig({ latencyMs: 600, failureRate: 0 });
  try {
    const authorizing = authorize(app, { orderId });
    // The intent is recorded before the PSP is called.
    await until('the PENDING intent', async () => (await get(app, orderId)).json().status === 'PENDING');
    const voided = await act(app, orderId, 'void');
    assert.equal(voided.statusCode, 200, voided.body);
    assert.equal((voided.json() as Payment).status, 'VOIDED');
    // The authorize's own answer may say AUTHORIZED (it was, until the void landed) or VOIDED: never a 5xx.
    assert.ok([201, 402].includes((await authorizing).statusCode));
  } finally {
    await psp.setConfig({ latencyMs: 0, failureRate: 0 });
  }
  await until('the PSP to settle the authorization', async () => (await psp.authorizations(orderId)).every((a) => a.status !== 'authorized'));
  assert.deepEqual((await psp.authorizations(orderId)).filter((a) => a.status === 'authorized'), []);
  assert.equal((await get(app, orderId)).json().status, 'VOIDED');
  await close();
});

test('a void for an order payments never saw cancels the reference at the PSP: a late authorize is refused, nothing is held', async () => {
  const { app, close } = await startPayments({ pspUrl: psp.url });
  const orderId = newOrderId();
  const voided = await act(app, orderId, 'void');
  assert.equal(voided.statusCode, 404);
  assert.equal(voided.json().code, 'PAYMENT_NOT_FOUND');
  assert.equal(voided.json().pspChecked, true, 'the 404 says the PSP holds nothing under the order id');
  // The authorize request that was stuck behind a frozen payments arrives afterwards.
  const late = await authorize(app, { orderId });
  assert.equal(late.statusCode, 402, late.body);
  assert.equal(late.json().declineCode, 'reference_cancelled');
  assert.deepEqual(await psp.authorizations(orderId), []);
  await close();
});

test('crash between the PSP answer and the commit: the reconciliation sweep voids the orphan authorization', async () => {
  const { app, store, payments, close } = await startPayments({ pspUrl: psp.url });
  const orderId = newOrderId();
  // What a kill -9 right after the PSP answered leaves: the intent, and an authorization only the PSP knows.
  await store.db
    .insertInto('payments')
    .values({ payment_id: `p-${orderId}`, order_id: orderId, amount: 4999, currency: 'EUR', status: 'PENDING', psp_authorization_id: null, card_last4: '4242', decline_code: null, created_at: new Date(Date.now() - 120_000).toISOString(), updated_at: new Date().toISOString() })
    .execute();
  const res = await fetch(`${psp.url}/v1/authorizations`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': orderId }, body: JSON.stringify({ amount: 4999, currency: 'EUR', card: card() }) });
  assert.equal(res.status, 201);
  const swept = await payments.reconcile({ olderThanMs: 60_000 });
  assert.equal(swept.voided, 1);
  assert.equal((await psp.authorizations(orderId))[0]?.status, 'voided');
  assert.equal((await get(app, orderId)).json().status, 'VOIDED');
  // A young intent (an authorize may still be on its way) is left alone.
  const young = newOrderId();
  await store.db
    .insertInto('payments')
    .values({ payment_id: `p-${young}`, order_id: young, amount: 100, currency: 'EUR', status: 'PENDING', psp_authorization_id: null, card_last4: '4242', decline_code: null, created_at: new Date().toISOString(), updated_at: new Date().toISOString() })
    .execute();
  assert.equal((await payments.reconcile({ olderThanMs: 60_000 })).voided, 0);
  assert.equal((await get(app, young)).json().status, 'PENDING');
  await close();
});

test('an authorize retried after a crash left the intent PENDING completes it with the PSP first answer', async () => {
  const { app, store, close } = await startPayments({ pspUrl: psp.url });
  const orderId = newOrderId();
  await store.db
    .insertInto('payments')
    .values({ payment_id: `p-${orderId}`, order_id: orderId, amount: 4999, currency: 'EUR', status: 'PENDING', psp_authorization_id: null, card_last4: '4242', decline_code: null, created_at: new Date().toISOString(), updated_at: new Date().toISOString() })
    .execute();
  const res = await authorize(app, { orderId });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().status, 'AUTHORIZED');
  assert.equal(res.json().paymentId, `p-${orderId}`);
  assert.equal((await psp.authorizations(orderId)).length, 1);
  await close();
});
