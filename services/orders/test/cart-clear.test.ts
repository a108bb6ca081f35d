// A confirmed checkout tells the cart which lines the order bought before it
// answers (POST /internal/carts/:userId/ordered), so the shopper's next look at
// the cart, and next checkout, no longer meet them. Bounded and best-effort:
// orders.order-confirmed stays the guarantee, so a cart that is down or hangs
// never fails or holds up the confirmation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEADLINE_HEADER } from '@bazaar/kit';
import { DECLINED_CARD } from './standins.ts';
import { cartETag, checkout, checkoutBody, newKey, settled, startOrders } from './helpers.ts';

// The call itself (once, with the version and the lines) is checked in checkout.test.ts's happy path.

test('a cancelled checkout does not touch the cart', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const res = await checkout(h.app, h.alice, { body: checkoutBody({ number: DECLINED_CARD }) });
  assert.equal(res.json().status, 'CANCELLED');
  assert.equal(h.upstreams.count('ordered'), 0);
});

test('a saga that confirms in the background (after a 202) leaves the cart to the event', async (t) => {
  const h = await startOrders({ settings: { checkoutWaitMs: 50, sagaDeadlineMs: 5000 } });
  t.after(() => h.close());
  h.upstreams.faults.authorize = { delayMs: 300 };
  const res = await checkout(h.app, h.alice);
  assert.equal(res.statusCode, 202, res.body);
  assert.equal((await settled(h.app, h.alice, res.json().orderId)).status, 'CONFIRMED');
  assert.equal(h.upstreams.count('ordered'), 0, 'nobody is waiting for an answer: no call');
});

test('the cart failing: still 201 CONFIRMED, the failure logged at info', async (t) => {
  const lines: string[] = [];
  const h = await startOrders({ logLines: lines });
  t.after(() => h.close());
  h.upstreams.faults.ordered = { fail: Infinity };
  const res = await checkout(h.app, h.alice);
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().status, 'CONFIRMED');
  assert.equal(h.upstreams.count('ordered'), 1, 'tried once, not retried');
  const logged = lines.filter((l) => l.includes('the order-confirmed event will'));
  assert.equal(logged.length, 1);
  assert.equal(JSON.parse(logged[0] as string).level, 'info', 'not a warning: the event clears the cart');
});

test('the cart hanging: 201 CONFIRMED once CART_CLEAR_TIMEOUT_MS runs out', async (t) => {
  // Everything else that could end the wait is far longer than the test's timeout:
  // the stand-in never answers, the checkout may wait a minute. Answering at all proves the bound.
  const h = await startOrders({ settings: { cartClearTimeoutMs: 100, checkoutWaitMs: 60_000, upstreamTimeoutMs: 600_000 } });
  t.after(() => h.close());
  h.upstreams.faults.ordered = { hang: true };
  const res = await checkout(h.app, h.alice);
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().status, 'CONFIRMED');
  assert.equal(h.upstreams.ordered.length, 1, 'the call was made (and is still unanswered)');
});

test("the cart hanging: the caller's deadline budget bounds the wait too, whatever CART_CLEAR_TIMEOUT_MS says", async (t) => {
  const h = await startOrders({ settings: { cartClearTimeoutMs: 5000, checkoutWaitMs: 60_000, upstreamTimeoutMs: 600_000 } });
  t.after(() => h.close());
  h.upstreams.faults.ordered = { hang: true };
  // A budget generous enough for the saga on a busy machine, shorter than the clearing bound: the wait for the
  // cart ends with what is left of the budget (less the answer's margin), so the caller gets CONFIRMED, not its own timeout.
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/checkout',
    headers: { authorization: `Bearer ${h.alice}`, 'idempotency-key': newKey(), 'if-match': cartETag(h.app, h.alice), [DEADLINE_HEADER]: '4000' },
    payload: checkoutBody(),
  });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().status, 'CONFIRMED');
  assert.equal(h.upstreams.ordered.length, 1);
});
