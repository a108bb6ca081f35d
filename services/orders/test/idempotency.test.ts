import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '@bazaar/store/testing';
import { canonicalJson, requestHash } from '../src/domain/checkout.ts';
import { bearer, checkout, checkoutBody, eventually, newKey, startOrders, testStore } from './helpers.ts';

test('the same key and body return the same order, with its current status', async (t) => {
  const h = await startOrders({ settings: { checkoutWaitMs: 0 } });
  t.after(() => h.close());
  const key = newKey();
  const first = await checkout(h.app, h.alice, { key });
  assert.equal(first.statusCode, 202);
  const { orderId } = first.json();
  const again = await checkout(h.app, h.alice, { key });
  assert.equal(again.json().orderId, orderId);
  // Once the saga ended, a retry reports the final status (and the cart, emptied by then, does not matter).
  h.upstreams.carts.delete('alice');
  const final = await eventually('a retry with the same key to report the saga ended', async () => {
    const res = await checkout(h.app, h.alice, { key });
    assert.equal(res.json().orderId, orderId);
    return res.json().status !== 'PENDING' && res;
  });
  assert.equal(final.statusCode, 201);
  assert.equal(final.json().status, 'CONFIRMED');
  assert.equal(h.upstreams.count('authorize'), 1);
  assert.equal(h.upstreams.count('capture'), 1);
  const list = (await h.app.inject({ url: '/api/orders', headers: bearer(h.alice) })).json();
  assert.equal(list.items.length, 1);
});

for (const dialect of DIALECTS) {
  test(`${dialect}: 10 concurrent checkouts with one key make one order and one authorization`, async (t) => {
    const h = await startOrders({ store: await testStore(dialect, t) });
    t.after(() => h.close());
    const key = newKey();
    // Hold every cart read until all ten are in: each has looked the key up and found nothing, so the unique index,
    // not timing, must pick one. (Left to the scheduler, a busy machine once let the first finish before the others looked.)
    h.upstreams.faults.cart = { hang: true };
    const pending = Promise.all(Array.from({ length: 10 }, () => checkout(h.app, h.alice, { key })));
    await eventually('all ten checkouts reading the cart at once', () => h.upstreams.count('cart') === 10);
    delete h.upstreams.faults.cart;
    h.upstreams.releaseHanging();
    const results = await pending;
    const ids = new Set(results.map((r) => r.json().orderId));
    assert.equal(ids.size, 1, results.map((r) => `${r.statusCode} ${r.body}`).join('\n'));
    // The losers waited for the winner's saga like the winner did.
    for (const r of results) assert.deepEqual([r.statusCode, r.json().status], [201, 'CONFIRMED']);
    // They raced past the first look-up (each read the cart once); the unique index picked one.
    assert.equal(h.upstreams.count('cart'), 10);
    assert.equal(h.upstreams.count('authorize'), 1);
    assert.equal(h.upstreams.count('reserve'), 1);
    assert.equal(h.upstreams.count('capture'), 1);
    assert.equal((await h.app.inject({ url: '/api/orders', headers: bearer(h.alice) })).json().items.length, 1);
  });
}

test('a used key with a different body is 422 IDEMPOTENCY_KEY_REUSED', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const key = newKey();
  assert.equal((await checkout(h.app, h.alice, { key })).statusCode, 201);
  const other = checkoutBody();
  other.shippingAddress.city = 'Shelbyville';
  const res = await checkout(h.app, h.alice, { key, body: other });
  assert.equal(res.statusCode, 422);
  assert.equal(res.json().code, 'IDEMPOTENCY_KEY_REUSED');
  const otherCard = await checkout(h.app, h.alice, { key, body: checkoutBody({ number: '5555555555554444' }) });
  assert.equal(otherCard.statusCode, 422);
});

test('a missing Idempotency-Key is 400 (a required header, as the contract declares it); an over-long one is 400', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const res = await checkout(h.app, h.alice, { key: null });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 'VALIDATION_FAILED');
  assert.match(res.body, /idempotency-key/);
  assert.equal((await checkout(h.app, h.alice, { key: 'k'.repeat(201) })).statusCode, 400);
  assert.equal((await checkout(h.app, h.alice, { key: 'k'.repeat(200) })).statusCode, 201);
  assert.equal(h.upstreams.count('cart'), 1);
});

test('keys are scoped to the user: the same key from two users makes two orders', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  h.upstreams.fillCart('bob', [{ productId: 'p-book', name: 'Book', quantity: 1, price: 1500 }]);
  const key = newKey();
  const a = (await checkout(h.app, h.alice, { key })).json();
  const b = (await checkout(h.app, h.bob, { key })).json();
  assert.notEqual(a.orderId, b.orderId);
  assert.equal(b.status, 'CONFIRMED');
});

test('the request hash never depends on the full card number or the CVC, and ignores key order', () => {
  const body = checkoutBody();
  const sameLast4 = checkoutBody({ number: '4000056655664242', cvc: '999' });
  assert.equal(requestHash(body), requestHash(sameLast4));
  assert.notEqual(requestHash(body), requestHash(checkoutBody({ expYear: 2031 })));
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
});
