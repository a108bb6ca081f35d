import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from '@bazaar/store';
import { waitFor, withoutWaiting } from '@bazaar/kit/testing';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import type { Payment } from '@bazaar/contracts/payments';
import { act, authorize, deadUrl, internal, newOrderId, outbox, startPayments, startPspSim, type PspSim } from './helpers.ts';
import { openPaymentsStore } from '../src/store/index.ts';

let psp: PspSim;
before(async () => {
  psp = await startPspSim();
});
// psp is unset when before() failed: stopping it then must not throw over the real error.
after(async () => psp?.stop());

test('PSP down: authorize answers 503 problem+json quickly, records only its intent (PENDING); with the breaker open it fails at once', async (t) => {
  // "Quickly": the per-attempt timeout is far beyond the test's timeout, so only seeing the refusal can end the call.
  const { app, close } = await startPayments({ pspUrl: await deadUrl(), timeoutMs: 600_000 });
  const orderId = newOrderId();
  const res = await authorize(app, { orderId });
  assert.equal(res.statusCode, 503);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(res.json().code, 'UPSTREAM_UNAVAILABLE');
  // The intent is recorded before the PSP is called, so a void (or the reconciliation sweep) can always settle it.
  assert.equal((await app.inject({ url: `/internal/payments/${orderId}`, headers: internal })).json().status, 'PENDING');
  // 3 attempts per call; the breaker opens after 5 consecutive failures.
  await authorize(app, { orderId });
  const open = await withoutWaiting(t, 'a call with the breaker open', () => authorize(app, { orderId }));
  assert.equal(open.statusCode, 503);
  assert.match(open.json().detail, /circuit open/);
  await close();
});

test('PSP failing (503s): payments answers 503; a later retry authorizes once, the failed calls did nothing', async () => {
  const { app, close } = await startPayments({ pspUrl: psp.url });
  const orderId = newOrderId();
  await psp.setConfig({ latencyMs: 0, failureRate: 1 });
  try {
    const res = await authorize(app, { orderId });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().code, 'UPSTREAM_UNAVAILABLE');
  } finally {
    await psp.setConfig({ latencyMs: 0, failureRate: 0 });
  }
  assert.equal((await psp.authorizations(orderId)).length, 0);
  assert.equal((await authorize(app, { orderId })).statusCode, 201);
  assert.equal((await psp.authorizations(orderId)).length, 1);
  await close();
});

test('PSP slower than PSP_TIMEOUT_MS: 504; the PSP authorized anyway, and a retry returns that single authorization', async () => {
  const slow = await startPayments({ pspUrl: psp.url, timeoutMs: 100 });
  const orderId = newOrderId();
  await psp.setConfig({ latencyMs: 300, failureRate: 0 });
  let timedOut;
  try {
    timedOut = await authorize(slow.app, { orderId });
  } finally {
    await psp.setConfig({ latencyMs: 0, failureRate: 0 });
  }
  assert.equal(timedOut.statusCode, 504);
  assert.equal(timedOut.json().code, 'UPSTREAM_TIMEOUT');
  assert.equal((await slow.app.inject({ url: `/internal/payments/${orderId}`, headers: internal })).json().status, 'PENDING', 'only the intent is recorded on a timeout');

  // The PSP finishes the timed-out attempts on its own; wait until it has (poll, with a deadline).
  await waitFor('the PSP to authorize the timed-out request', async () => (await psp.authorizations(orderId)).length > 0, 10_000);
  assert.equal((await psp.authorizations(orderId)).length, 1, 'the PSP authorized the timed-out request');

  // The caller retries, here through an instance with a timeout no busy machine reaches: the 100 ms one
  // above would time out again under load, which is not what this test is about.
  await slow.close({ keepStore: true });
  const { app, close } = await startPayments({ pspUrl: psp.url, timeoutMs: 30_000, store: slow.store });
  const retried = await authorize(app, { orderId });
  assert.equal(retried.statusCode, 201);
  assert.equal((retried.json() as Payment).status, 'AUTHORIZED');
  const atPsp = await psp.authorizations(orderId);
  assert.equal(atPsp.length, 1, 'never a second authorization');
  assert.equal((await act(app, orderId, 'capture')).json().status, 'CAPTURED');
  assert.equal((await psp.authorizations(orderId))[0]?.captures, 1);
  await close();
});

for (const dialect of DIALECTS) {
  test(`${dialect}: payments and their events survive a restart; the card number is never written`, async (t) => {
    const where = await testLocation(dialect, 'payments', t, { file: true });
    const orderId = newOrderId();

    const first = await startPayments({ pspUrl: psp.url, store: await openPaymentsStore(where) });
    assert.deepEqual(first.store.applied, ['0001_init', '0002_outbox', '0003_outbox_relay', '0004_pending_intents']);
    const authorized = (await authorize(first.app, { orderId, number: '5555555555554444' })).json() as Payment;
    assert.equal((await act(first.app, orderId, 'capture')).statusCode, 200);
    if (dialect === 'postgres') {
      // Every text the database holds for the order, as PostgreSQL renders whole rows.
      const rows = await sql<{ r: string }>`select p::text as r from payments p union all select o::text from outbox o`.execute(first.store.db);
      assert.equal(rows.rows.length, 2);
      for (const { r } of rows.rows) assert.ok(!r.includes('5555555555554444'), 'no row holds the card number');
    }
    await first.close();

    if (dialect === 'sqlite') {
      const files = readdirSync(where.dataDir);
      assert.deepEqual(files.filter((f) => f.endsWith('.sqlite')), ['payments.sqlite']);
      for (const f of files) assert.ok(!readFileSync(join(where.dataDir, f)).includes('5555555555554444'), `${f} holds no card number`);
    }

    const second = await startPayments({ pspUrl: psp.url, store: await openPaymentsStore(where) });
    assert.deepEqual(second.store.applied, [], 'migrations run once');
    const got = (await second.app.inject({ url: `/internal/payments/${orderId}`, headers: internal })).json() as Payment;
    assert.deepEqual(got, { ...authorized, status: 'CAPTURED' });
    assert.equal(got.cardLast4, '4444');
    assert.deepEqual((await outbox(second.app)).map((e) => e.type), ['payments.payment-captured']);
    // Still idempotent after the restart: no new PSP authorization.
    assert.equal((await authorize(second.app, { orderId, number: '5555555555554444' })).json().status, 'CAPTURED');
    assert.equal((await psp.authorizations(orderId)).length, 1);
    await second.close();
  });
}
