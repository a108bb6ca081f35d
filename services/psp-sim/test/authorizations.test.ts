import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PspAuthorization, PspAuthorizationList } from '@bazaar/contracts/psp';
import { TEST_CARDS } from '@bazaar/contracts/psp';
import { luhnValid } from '../src/domain/cards.ts';
import { authorize, newKey, startPsp } from './helpers.ts';

test('4242… approves: 201 authorized, last four only, no captures yet', async () => {
  const app = startPsp();
  const res = await authorize(app, { key: newKey() });
  assert.equal(res.statusCode, 201);
  const auth = res.json() as PspAuthorization;
  assert.equal(auth.status, 'authorized');
  assert.equal(auth.last4, '4242');
  assert.equal(auth.amount, 2599);
  assert.equal(auth.currency, 'EUR');
  assert.equal(auth.captures, 0);
  assert.ok(!res.body.includes('4242424242424242'), 'the full number never comes back');
  assert.deepEqual((await app.inject(`/v1/authorizations/${auth.id}`)).json(), auth);
  await app.close();
});

test('Idempotency-Key is required: 400 without it', async () => {
  const app = startPsp();
  const res = await authorize(app, { key: undefined });
  assert.equal(res.statusCode, 400);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(res.json().code, 'idempotency_key_required');
  assert.equal((await app.inject('/admin/authorizations')).json().items.length, 0);
  await app.close();
});

test('the same key returns the same authorization, also ten at once; a different body under it is 422', async () => {
  const app = startPsp();
  const key = newKey();
  const first = await authorize(app, { key });
  const again = await authorize(app, { key });
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().id, first.json().id);
  const burst = await Promise.all(Array.from({ length: 10 }, () => authorize(app, { key: 'burst' })));
  assert.equal(new Set(burst.map((r) => r.json().id)).size, 1);
  assert.deepEqual(burst.map((r) => r.statusCode).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
  const other = await authorize(app, { key, amount: 1 });
  assert.equal(other.statusCode, 422);
  assert.equal(other.json().code, 'idempotency_key_reused');
  const otherCard = await authorize(app, { key, number: '5555555555554444' });
  assert.equal(otherCard.statusCode, 422);
  const list = (await app.inject('/admin/authorizations')).json() as PspAuthorizationList;
  assert.equal(list.items.length, 2, 'one per key, never a second one');
  assert.deepEqual((await app.inject(`/admin/authorizations?idempotencyKey=${key}`)).json().items.map((a: { id: string }) => a.id), [first.json().id]);
  await app.close();
});

test('test cards: declined and insufficient funds are 402 with the decline recorded; the key replays the decline', async () => {
  const app = startPsp();
  for (const [number, code] of [[TEST_CARDS.declined, 'card_declined'], [TEST_CARDS.insufficientFunds, 'insufficient_funds']] as const) {
    const key = newKey();
    const res = await authorize(app, { key, number });
    assert.equal(res.statusCode, 402, code);
    const problem = res.json();
    assert.equal(problem.code, code);
    assert.equal(problem.declineCode, code);
    const recorded = (await app.inject(`/v1/authorizations/${problem.authorizationId}`)).json() as PspAuthorization;
    assert.equal(recorded.status, 'declined');
    assert.equal(recorded.declineCode, code);
    const replay = await authorize(app, { key, number });
    assert.equal(replay.statusCode, 402);
    assert.equal(replay.json().authorizationId, problem.authorizationId);
  }
  assert.equal((await app.inject('/admin/authorizations')).json().items.length, 2);
  await app.close();
});

test('any other Luhn-valid number approves; a Luhn failure is 400 invalid_number and records nothing', async () => {
  const app = startPsp();
  assert.equal((await authorize(app, { key: newKey(), number: '5555555555554444' })).statusCode, 201);
  assert.equal((await authorize(app, { key: newKey(), number: '378282246310005' })).statusCode, 201);
  const bad = await authorize(app, { key: 'k-bad', number: '4242424242424241' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'invalid_number');
  assert.equal((await app.inject('/admin/authorizations?idempotencyKey=k-bad')).json().items.length, 0);
  // Not a card at all: the schema refuses it before the network sees it.
  const letters = await app.inject({ method: 'POST', url: '/v1/authorizations', headers: { 'idempotency-key': newKey() }, payload: { amount: 1, currency: 'EUR', card: { number: 'abcd', expMonth: 1, expYear: 2099, cvc: '1' } } });
  assert.equal(letters.statusCode, 400);
  assert.equal(letters.json().code, 'VALIDATION_FAILED');
  assert.ok(luhnValid('4000000000000002') && luhnValid('4000000000009995') && !luhnValid('1234567812345678'));
  await app.close();
});

test('an expired card is 402 expired_card; the current month still works', async () => {
  const app = startPsp({ now: () => new Date('2030-06-15T12:00:00Z') });
  const expired = await authorize(app, { key: newKey(), exp: { expMonth: 5, expYear: 2030 } });
  assert.equal(expired.statusCode, 402);
  assert.equal(expired.json().code, 'expired_card');
  assert.equal((await authorize(app, { key: newKey(), exp: { expMonth: 12, expYear: 2029 } })).json().code, 'expired_card');
  assert.equal((await authorize(app, { key: newKey(), exp: { expMonth: 6, expYear: 2030 } })).statusCode, 201);
  await app.close();
});

test('capture is idempotent (captures stays 1); void only from authorized; refund only from captured', async () => {
  const app = startPsp();
  const post = (id: string, action: string) => app.inject({ method: 'POST', url: `/v1/authorizations/${id}/${action}` });
  const a = (await authorize(app, { key: newKey() })).json() as PspAuthorization;
  assert.equal((await post(a.id, 'refund')).statusCode, 409, 'refund needs a capture');
  const captured = await post(a.id, 'capture');
  assert.equal(captured.statusCode, 200);
  assert.deepEqual([captured.json().status, captured.json().captures], ['captured', 1]);
  const twice = await post(a.id, 'capture');
  assert.deepEqual(twice.json(), captured.json(), 'a second capture moves no money');
  const voidCaptured = await post(a.id, 'void');
  assert.equal(voidCaptured.statusCode, 409);
  assert.equal(voidCaptured.json().code, 'invalid_state');
  assert.equal(voidCaptured.json().authorizationStatus, 'captured');
  assert.equal((await post(a.id, 'refund')).json().status, 'refunded');
  assert.equal((await post(a.id, 'refund')).statusCode, 200, 'refund is idempotent');
  assert.equal((await post(a.id, 'capture')).statusCode, 409);

  const b = (await authorize(app, { key: newKey() })).json() as PspAuthorization;
  assert.equal((await post(b.id, 'void')).json().status, 'voided');
  assert.equal((await post(b.id, 'void')).statusCode, 200, 'void is idempotent');
  assert.equal((await post(b.id, 'capture')).statusCode, 409);
  assert.equal((await app.inject(`/v1/authorizations/${b.id}`)).json().captures, 0);

  const d = await authorize(app, { key: newKey(), number: TEST_CARDS.declined });
  assert.equal((await post(d.json().authorizationId, 'capture')).statusCode, 409);
  assert.equal((await post('auth_nope', 'capture')).statusCode, 404);
  assert.equal((await app.inject('/v1/authorizations/auth_nope')).json().code, 'authorization_not_found');
  await app.close();
});
