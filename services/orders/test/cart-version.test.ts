// Issue 11, "the price the shopper saw" and "a cart version becomes at most one order".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '@bazaar/store/testing';
import { ifMatchAccepts } from '../src/domain/checkout.ts';
import { DECLINED_CARD } from './standins.ts';
import { bearer, cartETag, checkout, checkoutBody, getOrder, newKey, settled, startOrders, testStore } from './helpers.ts';

test('If-Match is compared strongly, as a list of entity tags; "*" and weak tags never match', () => {
  assert.ok(ifMatchAccepts('"v1"', 'v1'));
  assert.ok(ifMatchAccepts('"v0", "v1"', 'v1'));
  assert.ok(!ifMatchAccepts('W/"v1"', 'v1'));
  assert.ok(!ifMatchAccepts('*', 'v1'));
  assert.ok(!ifMatchAccepts('v1', 'v1'), 'an unquoted value is not an entity tag');
});

test('checkout without If-Match is 428 CART_VERSION_REQUIRED and reads nothing', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  for (const ifMatch of [null, '*']) {
    const res = await checkout(h.app, h.alice, { ifMatch });
    assert.equal(res.statusCode, 428, res.body);
    assert.equal(res.json().code, 'CART_VERSION_REQUIRED');
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
  assert.equal(h.upstreams.calls.length, 0);
});

test('a cart that changed since it was shown: 412 CART_CHANGED with the current cart; nothing reserved or charged', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const shown = cartETag(h.app, h.alice);
  // The admin raised the price meanwhile: the cart is priced anew, a new version.
  h.upstreams.fillCart('alice', [{ productId: 'p-lamp', name: 'Desk Lamp', quantity: 2, price: 5000 }]);
  const res = await checkout(h.app, h.alice, { ifMatch: shown });
  assert.equal(res.statusCode, 412, res.body);
  const problem = res.json();
  assert.equal(problem.code, 'CART_CHANGED');
  assert.deepEqual(problem.cart, h.upstreams.carts.get('alice'));
  assert.equal(h.upstreams.calls.filter((c) => c.op !== 'cart').length, 0, 'no reservation, no authorization');
  assert.deepEqual((await h.app.inject({ url: '/api/orders', headers: bearer(h.alice) })).json().items, []);

  // With the new version the order is made at exactly its prices.
  const again = await checkout(h.app, h.alice, { ifMatch: `"${problem.cart.version}"` });
  assert.equal(again.statusCode, 201, again.body);
  const order = await getOrder(h.app, h.alice, again.json().orderId);
  assert.deepEqual(order.items, problem.cart.items);
  assert.deepEqual(order.total, { amount: 10_000, currency: 'EUR' });
});

for (const dialect of DIALECTS) {
  test(`${dialect}: one cart version, five concurrent checkouts with different keys: one order, one charge; the others 409 naming it`, async (t) => {
    const h = await startOrders({ store: await testStore(dialect, t) });
    t.after(() => h.close());
    const results = await Promise.all(Array.from({ length: 5 }, () => checkout(h.app, h.alice, { key: newKey() })));
    const created = results.filter((r) => r.statusCode === 201 || r.statusCode === 202);
    assert.equal(created.length, 1, results.map((r) => `${r.statusCode} ${r.body}`).join('\n'));
    const orderId = created[0]?.json().orderId as string;
    for (const r of results.filter((x) => x !== created[0])) {
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(r.json().code, 'CART_ALREADY_ORDERED');
      assert.equal(r.json().orderId, orderId);
    }
    await settled(h.app, h.alice, orderId);
    assert.equal(h.upstreams.count('authorize'), 1);
    assert.equal(h.upstreams.count('capture'), 1);
    // A retry with a fresh key after a lost answer (the 504 case) buys nothing twice.
    const retry = await checkout(h.app, h.alice, { key: newKey() });
    assert.equal(retry.statusCode, 409);
    assert.equal(retry.json().orderId, orderId);
    assert.equal((await h.app.inject({ url: '/api/orders', headers: bearer(h.alice) })).json().items.length, 1);
  });
}

test('a checkout of a version that became an order meanwhile is 409 naming it, also once the cart was emptied or changed (not CART_EMPTY, not 412)', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const shown = cartETag(h.app, h.alice);
  const first = await checkout(h.app, h.alice, { ifMatch: shown });
  assert.equal(first.statusCode, 201, first.body);
  const orderId = first.json().orderId as string;
  // A concurrent checkout of the same version reads the cart after the first one confirmed and cleared it (busy run 24).
  h.upstreams.carts.delete('alice');
  const late = await checkout(h.app, h.alice, { ifMatch: shown });
  assert.equal(late.statusCode, 409, late.body);
  assert.deepEqual([late.json().code, late.json().orderId], ['CART_ALREADY_ORDERED', orderId]);
  // The shopper has since added something else: the stale version still names the order it became.
  h.upstreams.fillCart('alice', [{ productId: 'p-mug', name: 'Blue Mug', quantity: 1, price: 900 }]);
  const stale = await checkout(h.app, h.alice, { ifMatch: `"v0", ${shown}` });
  assert.equal(stale.statusCode, 409, stale.body);
  assert.equal(stale.json().orderId, orderId);
  // Only a version that became an order answers so: any other stale version is the 412 with the current cart.
  const other = await checkout(h.app, h.alice, { ifMatch: '"v0"' });
  assert.equal(other.statusCode, 412, other.body);
  assert.equal((await h.app.inject({ url: '/api/orders', headers: bearer(h.alice) })).json().items.length, 1);
  assert.equal(h.upstreams.count('authorize'), 1);
});

test('a cancelled order frees its cart version: the same cart may be checked out again (another card after a decline)', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const declined = await checkout(h.app, h.alice, { body: checkoutBody({ number: DECLINED_CARD }) });
  assert.equal(declined.json().status, 'CANCELLED', declined.body);
  const second = await checkout(h.app, h.alice);
  assert.equal(second.statusCode, 201, second.body);
  assert.equal(second.json().status, 'CONFIRMED');
  assert.notEqual(second.json().orderId, declined.json().orderId);
});
