// The shopping flow end to end, through the gateway, against the real
// processes started by the launcher: every outcome of the shopping-flow issue,
// each followed by the invariant check over all orders.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, portBaseFor, startSystem, until, type RunningSystem } from '../../tools/launcher/src/harness.ts';
import { http, logIn, signUp, type Reply } from './client.ts';
import { assertAuthenticationBeforeValidation, assertRecordedAnswersMatchContracts } from './contract.ts';

const work = mkdtempSync(join(tmpdir(), 'bazaar-shop-'));
let system: RunningSystem;
let url: Record<string, string> = {};
let admin = '';
const card = (number: string) => ({ number, expMonth: 12, expYear: 2035, cvc: '123' });
const address = { name: 'Sam Shopper', line1: '1 Market Street', city: 'Lyon', postalCode: '69001', country: 'FR' };

/** Every order placed in this run, for the invariant check. */
const placed: { orderId: string; token: string; items: { productId: string; quantity: number }[] }[] = [];
/** Stock each product had when the tests set it. */
const initialStock = new Map<string, number>();

before(async () => {
  system = await startSystem({
    portBase: portBaseFor(2),
    // Thirteen processes start on a shared, loaded CI machine: give them time.
    readyTimeoutMs: 150_000,
    dataDir: join(work, 'data'),
    logDir: join(work, 'logs'),
    // CART_CLEAR_TIMEOUT_MS: on a loaded machine 300 ms may not be enough for the cart to take an order's lines out
    // before checkout answers; the happy path asserts it did (the request's own wait still bounds it). Cart is never stopped here.
    // SAGA_DEADLINE_MS: "payments down … recovers in time" restarts payments inside it; on a busy two-core machine
    // (two spinning threads, a second system) that restart outlasted the 20 s this was (docs/testing.md).
    env: { SAGA_DEADLINE_MS: '30000', INVENTORY_INITIAL_STOCK: '100', CART_CLEAR_TIMEOUT_MS: '2000' },
  });
  url = Object.fromEntries((await system.services()).map((s) => [s.name, s.url]));
  admin = await logIn(system.gatewayUrl, 'admin@bazaar.local', 'bazaar-admin-password');
});

after(async () => {
  await system?.stop();
  rmSync(work, { recursive: true, force: true });
});

const api = (path: string) => `${system.gatewayUrl}${path}`;
let userCount = 0;

async function newUser(): Promise<{ token: string; email: string }> {
  userCount += 1;
  const email = `buyer${userCount}-${process.pid}@example.com`;
  const password = 'correct horse battery staple';
  return { token: await signUp(system.gatewayUrl, { email, password, name: `Buyer ${userCount}` }), email };
}

let productCursor: string | null = null;
/** Fresh products (never used by another test), with their stock set to `stock`. */
async function freshProducts(count: number, stock: number): Promise<{ id: string; name: string; price: number }[]> {
  const page = await http<{ items: { id: string; name: string; price: { amount: number } }[]; nextCursor: string | null }>(
    api(`/api/catalog/products?limit=${count}${productCursor ? `&cursor=${productCursor}` : ''}`),
  );
  productCursor = page.body.nextCursor;
  const out = [];
  for (const p of page.body.items) {
    // Inventory learns products from catalog events; wait until it knows this one.
    await until(`inventory to know ${p.id}`, 60_000, async () => ((await http(api(`/api/inventory/${p.id}`))).status === 200 ? true : undefined));
    const set = await http(api(`/api/inventory/${p.id}`), { method: 'PUT', body: { available: stock }, token: admin });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    initialStock.set(p.id, stock);
    out.push({ id: p.id, name: p.name, price: p.price.amount });
  }
  return out;
}

/** Put lines in the cart; the cart version (ETag) of the last write. */
async function fillCart(token: string, lines: { id: string; quantity: number }[]): Promise<string> {
  let etag = '';
  for (const line of lines) {
    // PUT is idempotent: like any client, try again on a 5xx (on a busy machine the gateway can time out on cart).
    const put = () => http(api(`/api/cart/items/${line.id}`), { method: 'PUT', body: { quantity: line.quantity }, token });
    let res = await put();
    for (let attempt = 2; attempt <= 3 && res.status >= 500; attempt++) res = await put();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.etag, 'every cart answer carries its version as ETag');
    etag = res.etag;
  }
  return etag;
}

/** The cart's current version, as a client showing it would have it. */
async function cartVersion(token: string): Promise<string> {
  const res = await http(api('/api/cart'), { token });
  assert.ok(res.etag, 'GET /api/cart answers an ETag');
  return res.etag;
}

/** POST /api/checkout with If-Match: the given cart version, else the cart's current one. */
async function checkout(token: string, key: string, cardNumber: string, lines: { id: string; quantity: number }[], ifMatch?: string) {
  const res = await http<{ orderId: string; status: string }>(api('/api/checkout'), {
    method: 'POST',
    token,
    headers: { 'idempotency-key': key, 'if-match': ifMatch ?? (await cartVersion(token)) },
    body: { shippingAddress: address, card: card(cardNumber) },
  });
  if (res.body.orderId && !placed.some((p) => p.orderId === res.body.orderId)) {
    placed.push({ orderId: res.body.orderId, token, items: lines.map((l) => ({ productId: l.id, quantity: l.quantity })) });
  }
  return res;
}

/**
 * The order once it is final. Only a 200 answer counts: a problem document (a 503 while orders restarts) also
 * has a `status`, a number, and is not an order. On timeout the last answer is named, so "still PENDING" and
 * "never readable" are told apart.
 */
async function finalOrder(token: string, orderId: string, ms = 60_000) {
  let last = 'no answer';
  try {
    return await until(`order ${orderId} to finish`, ms, async () => {
      const res = await http<{ status: string; reason?: string; refund?: { restock: boolean } }>(api(`/api/orders/${orderId}`), { token });
      last = `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
      return res.status === 200 && res.body.status !== 'PENDING' ? res.body : undefined;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answer: ${last}`, { cause: error });
  }
}

async function payment(orderId: string) {
  return http<{ status: string; paymentId: string }>(`${url.payments}/internal/payments/${orderId}`, { headers: system.callAs('payments') });
}

async function stopService(name: string): Promise<void> {
  assert.equal((await http(`${system.controlUrl}/api/services/${name}/stop`, { method: 'POST' })).status, 202);
}

/** Start a stopped service and wait until it answers /readyz again. */
async function startService(name: string): Promise<void> {
  assert.equal((await http(`${system.controlUrl}/api/services/${name}/start`, { method: 'POST' })).status, 202);
  await until(`${name} to be ready`, 60_000, async () => ((await system.service(name)).state === 'ready' ? true : undefined));
}

async function emailsTo(email: string) {
  const res = await http<{ messages: { subject: string; text: string }[] }>(`${url['mail-sink']}/api/messages?to=${encodeURIComponent(email)}`);
  return res.body.messages ?? [];
}

/** The invariants of the issue, over every order placed so far. */
async function checkInvariants(): Promise<void> {
  const committed = new Map<string, number>();
  const reserved = new Map<string, number>();
  for (const order of placed) {
    const o = await finalOrder(order.token, order.orderId);
    const pay = await payment(order.orderId);
    const read = () => http<{ status: string; items: { productId: string; quantity: number }[] }>(`${url.inventory}/internal/inventory/reservations/${order.orderId}`, { headers: system.callAs('inventory') });
    let reservation = await read();
    if (o.status !== 'CONFIRMED' && reservation.status === 200 && reservation.body.status === 'RESERVED') {
      // The order is final when compensation starts (issue 12): wait for the release it is doing.
      reservation = await until(`the release of cancelled order ${order.orderId}`, 30_000, async () => {
        const r = await read();
        return r.status === 200 && r.body.status === 'RESERVED' ? undefined : r;
      });
    }
    if (o.status === 'REFUNDED') {
      // The back office refunded it: the money went back; restocked units are on hand again, the others stay sold.
      assert.equal(pay.body.status, 'REFUNDED', `refunded order ${order.orderId} is refunded at payments`);
      assert.equal(reservation.body.status, 'COMMITTED', `refunded order ${order.orderId} had committed stock`);
      if (!o.refund?.restock) for (const i of reservation.body.items) committed.set(i.productId, (committed.get(i.productId) ?? 0) + i.quantity);
    } else if (o.status === 'CONFIRMED' || o.status === 'SHIPPED') {
      assert.equal(pay.body.status, 'CAPTURED', `confirmed order ${order.orderId} is captured`);
      assert.equal(reservation.body.status, 'COMMITTED', `confirmed order ${order.orderId} has committed stock`);
      for (const i of reservation.body.items) committed.set(i.productId, (committed.get(i.productId) ?? 0) + i.quantity);
    } else {
      assert.notEqual(pay.body.status, 'CAPTURED', `cancelled order ${order.orderId} is not captured`);
      if (reservation.status === 200) assert.equal(reservation.body.status, 'RELEASED', `cancelled order ${order.orderId} released its stock`);
    }
    if (reservation.status === 200 && reservation.body.status === 'RESERVED') {
      for (const i of reservation.body.items) reserved.set(i.productId, (reserved.get(i.productId) ?? 0) + i.quantity);
    }
  }
  for (const [productId, initial] of initialStock) {
    const available = (await http<{ available: number }>(api(`/api/inventory/${productId}`))).body.available;
    assert.equal(available + (committed.get(productId) ?? 0) + (reserved.get(productId) ?? 0), initial, `stock of ${productId} is conserved`);
  }
}

test('happy path: CONFIRMED, stock committed, captured once, cart empty, exactly one email', async () => {
  const user = await newUser();
  const [a, b] = await freshProducts(2, 10);
  assert.ok(a && b);
  await fillCart(user.token, [{ id: a.id, quantity: 2 }, { id: b.id, quantity: 1 }]);
  const cart = await http<{ total: { amount: number } }>(api('/api/cart'), { token: user.token });
  assert.equal(cart.body.total.amount, 2 * a.price + b.price);

  const res = await checkout(user.token, 'happy-1', '4242424242424242', [{ id: a.id, quantity: 2 }, { id: b.id, quantity: 1 }]);
  assert.ok(res.status === 201 || res.status === 202, JSON.stringify(res.body));
  if (res.status === 201 && res.body.status === 'CONFIRMED') {
    // Orders told the cart before answering (the event is only the guarantee): no wait, the lines are gone already.
    assert.deepEqual((await http<{ items: unknown[] }>(api('/api/cart'), { token: user.token })).body.items, [], 'the cart right after a 201 CONFIRMED');
  } else console.log(`# happy path answered ${res.status} ${res.body.status}: the cart-right-after-CONFIRMED check did not apply`);
  const order = await finalOrder(user.token, res.body.orderId);
  assert.equal(order.status, 'CONFIRMED');
  assert.equal((await http<{ available: number }>(api(`/api/inventory/${a.id}`))).body.available, 8);
  assert.equal((await payment(res.body.orderId)).body.status, 'CAPTURED');
  await until('the cart to be emptied', 60_000, async () => ((await http<{ items: unknown[] }>(api('/api/cart'), { token: user.token })).body.items.length === 0 ? true : undefined));
  await until('the confirmation email', 60_000, async () => ((await emailsTo(user.email)).length >= 1 ? true : undefined));
  const mails = await emailsTo(user.email);
  assert.equal(mails.length, 1);
  assert.match(mails[0]?.subject ?? '', /confirmed/i);
  assert.match(mails[0]?.text ?? '', new RegExp(res.body.orderId.slice(0, 8)));
  assert.match(mails[0]?.text ?? '', new RegExp(a.name));
  // Issue 11: what fulfilment needs is on the order and in the email.
  const full = await http<{ shippingAddress: unknown; customer: { email: string; name: string } }>(api(`/api/orders/${res.body.orderId}`), { token: user.token });
  assert.deepEqual(full.body.shippingAddress, address);
  assert.deepEqual(full.body.customer, { email: user.email, name: address.name });
  assert.match(mails[0]?.text ?? '', /It will be shipped to:\n\s+Sam Shopper\n\s+1 Market Street\n\s+69001 Lyon\n\s+FR/);
  await checkInvariants();
});

for (const [cardNumber, reason] of [['4000000000000002', /declined/i], ['4000000000009995', /insufficient/i]] as const) {
  test(`card ${cardNumber}: CANCELLED with a reason, stock released, nothing captured, an email says so`, async () => {
    const user = await newUser();
    const [p] = await freshProducts(1, 5);
    assert.ok(p);
    await fillCart(user.token, [{ id: p.id, quantity: 1 }]);
    const res = await checkout(user.token, `decline-${cardNumber}`, cardNumber, [{ id: p.id, quantity: 1 }]);
    const order = await finalOrder(user.token, res.body.orderId);
    assert.equal(order.status, 'CANCELLED');
    assert.match(order.reason ?? '', reason);
    assert.equal((await http<{ available: number }>(api(`/api/inventory/${p.id}`))).body.available, 5);
    assert.notEqual((await payment(res.body.orderId)).body.status, 'CAPTURED');
    await until('the cancellation email', 60_000, async () => ((await emailsTo(user.email)).length >= 1 ? true : undefined));
    assert.match((await emailsTo(user.email))[0]?.subject ?? '', /cancelled/i);
    await checkInvariants();
  });
}

test('not enough stock: refused or CANCELLED, no payment captured', async () => {
  const user = await newUser();
  const [p] = await freshProducts(1, 1);
  assert.ok(p);
  await fillCart(user.token, [{ id: p.id, quantity: 2 }]);
  const res = await checkout(user.token, 'short-1', '4242424242424242', [{ id: p.id, quantity: 2 }]);
  if (res.status === 409) {
    assert.match(res.type, /problem\+json/);
  } else {
    const order = await finalOrder(user.token, res.body.orderId);
    assert.equal(order.status, 'CANCELLED');
    assert.match(order.reason ?? '', /stock/i);
    assert.notEqual((await payment(res.body.orderId)).body.status, 'CAPTURED');
  }
  assert.equal((await http<{ available: number }>(api(`/api/inventory/${p.id}`))).body.available, 1);
  await checkInvariants();
});

test('the same Idempotency-Key — also 10 times at once — gives one order and one charge; another body is 422', async () => {
  const user = await newUser();
  const [p] = await freshProducts(1, 10);
  assert.ok(p);
  const version = await fillCart(user.token, [{ id: p.id, quantity: 1 }]);
  const replies = await Promise.all(Array.from({ length: 10 }, () => checkout(user.token, 'same-key', '4242424242424242', [{ id: p.id, quantity: 1 }], version)));
  const ids = new Set(replies.map((r) => r.body.orderId));
  assert.equal(ids.size, 1, `one order, got ${[...ids].join(', ')}`);
  for (const r of replies) assert.ok(r.status === 201 || r.status === 202 || r.status === 200, `status ${r.status}`);
  const orderId = [...ids][0] as string;
  assert.equal((await finalOrder(user.token, orderId)).status, 'CONFIRMED');
  const again = await checkout(user.token, 'same-key', '4242424242424242', [{ id: p.id, quantity: 1 }], version);
  assert.equal(again.body.orderId, orderId);
  const other = await http(api('/api/checkout'), { method: 'POST', token: user.token, headers: { 'idempotency-key': 'same-key', 'if-match': version }, body: { shippingAddress: { ...address, city: 'Paris' }, card: card('4242424242424242') } });
  assert.equal(other.status, 422);
  const orders = await http<{ items: { id: string }[] }>(api('/api/orders'), { token: user.token });
  assert.equal(orders.body.items.length, 1);
  assert.equal((await http<{ available: number }>(api(`/api/inventory/${p.id}`))).body.available, 9, 'stock taken once');
  const missing = await http(api('/api/checkout'), { method: 'POST', token: user.token, headers: { 'if-match': version }, body: { shippingAddress: address, card: card('4242424242424242') } });
  assert.equal(missing.status, 400);
  await checkInvariants();
});

test('two users racing for the last unit: exactly one gets it', async () => {
  const [p] = await freshProducts(1, 1);
  assert.ok(p);
  const users = [await newUser(), await newUser()];
  for (const u of users) await fillCart(u.token, [{ id: p.id, quantity: 1 }]);
  const replies = await Promise.all(users.map((u, i) => checkout(u.token, `race-${i}`, '4242424242424242', [{ id: p.id, quantity: 1 }])));
  const outcomes = await Promise.all(
    replies.map(async (r, i) => (r.status === 409 ? 'REFUSED' : (await finalOrder(users[i]?.token as string, r.body.orderId)).status)),
  );
  assert.equal(outcomes.filter((o) => o === 'CONFIRMED').length, 1, outcomes.join(', '));
  assert.equal((await http<{ available: number }>(api(`/api/inventory/${p.id}`))).body.available, 0);
  await checkInvariants();
});

test('notifications stopped: the checkout itself still ends CONFIRMED; the email goes out once it is back', async () => {
  const user = await newUser();
  const [p] = await freshProducts(1, 5);
  assert.ok(p);
  await fillCart(user.token, [{ id: p.id, quantity: 1 }]);
  await stopService('notifications');
  const res = await checkout(user.token, 'no-mail-1', '4242424242424242', [{ id: p.id, quantity: 1 }]);
  const t0 = Date.now();
  const order = await finalOrder(user.token, res.body.orderId, 60_000);
  assert.equal(order.status, 'CONFIRMED');
  // Reported, not asserted: a busy machine stretches wall time at will (docs/testing.md).
  console.log(`# confirmed ${Date.now() - t0 + res.ms} ms after the checkout was sent, notifications down`);
  assert.equal((await emailsTo(user.email)).length, 0);
  await startService('notifications');
  await until('the email after notifications came back', 60_000, async () => ((await emailsTo(user.email)).length >= 1 ? true : undefined));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await emailsTo(user.email)).length, 1, 'exactly one email');
  await checkInvariants();
});

test('payments down: checkout answers without waiting for the saga; the order ends CONFIRMED when it recovers in time', async () => {
  const user = await newUser();
  const [p] = await freshProducts(1, 5);
  assert.ok(p);
  await fillCart(user.token, [{ id: p.id, quantity: 1 }]);
  await stopService('payments');
  const res = await checkout(user.token, 'no-pay-1', '4242424242424242', [{ id: p.id, quantity: 1 }]);
  console.log(`# checkout answered ${res.status} in ${res.ms} ms with payments down`);
  assert.ok(res.status === 201 || res.status === 202);
  const restart = Date.now();
  await startService('payments');
  console.log(`# payments ready again after ${Date.now() - restart} ms (the saga's deadline is 30 s from the checkout)`);
  const order = await finalOrder(user.token, res.body.orderId, 60_000);
  assert.equal(order.status, 'CONFIRMED');
  await checkInvariants();
});

test('psp-sim down past the saga deadline: CANCELLED with a reason, stock released, never stuck', async () => {
  const user = await newUser();
  const [p] = await freshProducts(1, 5);
  assert.ok(p);
  await fillCart(user.token, [{ id: p.id, quantity: 1 }]);
  await stopService('psp-sim');
  try {
    const res = await checkout(user.token, 'no-psp-1', '4242424242424242', [{ id: p.id, quantity: 1 }]);
    console.log(`# checkout answered ${res.status} in ${res.ms} ms with psp-sim down`);
    const order = await finalOrder(user.token, res.body.orderId, 60_000);
    assert.equal(order.status, 'CANCELLED');
    assert.ok(order.reason);
  } finally {
    await startService('psp-sim');
  }
  // Compensation runs behind the final CANCELLED (issue 12): the void comes first (it needs the card
  // network), then the release; with psp-sim back, the stock is on sale again within a bounded wait.
  await until('the cancelled order\'s stock to be back on sale', 60_000, async () =>
    (await http<{ available: number }>(api(`/api/inventory/${p.id}`))).body.available === 5 ? true : undefined,
  );
  await checkInvariants();
});

test('orders killed with kill -9 in the middle of sagas: every saga finishes, no stock leaked, no double capture', async () => {
  const products = await freshProducts(1, 20);
  const p = products[0];
  assert.ok(p);
  // Slow card network, so sagas are mid-flight when orders dies.
  assert.equal((await http(`${url['psp-sim']}/admin/config`, { method: 'PUT', body: { latencyMs: 700, failureRate: 0 } })).status, 200);
  try {
    const users = await Promise.all([newUser(), newUser(), newUser()]);
    for (const u of users) await fillCart(u.token, [{ id: p.id, quantity: 1 }]);
    const replies = await Promise.all(users.map((u, i) => checkout(u.token, `crash-${i}`, '4242424242424242', [{ id: p.id, quantity: 1 }])));
    const before = await system.service('orders');
    process.kill(before.pid as number, 'SIGKILL');
    await until('orders to be gone', 60_000, () => (alive(before.pid as number) ? undefined : true));
    await until('orders back', 60_000, async () => {
      const info = await system.service('orders');
      return info.state === 'ready' && info.pid !== before.pid ? true : undefined;
    });
    for (const [i, r] of replies.entries()) {
      const order = await finalOrder(users[i]?.token as string, r.body.orderId, 30_000);
      assert.ok(order.status === 'CONFIRMED' || order.status === 'CANCELLED');
    }
  } finally {
    await http(`${url['psp-sim']}/admin/config`, { method: 'PUT', body: { latencyMs: 0, failureRate: 0 } });
  }
  await checkInvariants();
});

test('another user cannot read my order or my cart', async () => {
  const owner = placed[0];
  assert.ok(owner);
  const stranger = await newUser();
  assert.equal((await http(api(`/api/orders/${owner.orderId}`), { token: stranger.token })).status, 404);
  assert.equal((await http(api(`/api/orders/${owner.orderId}`), { token: admin })).status, 200, 'admins can');
  const cart = await http<{ items: unknown[] }>(api('/api/cart'), { token: stranger.token });
  assert.deepEqual(cart.body.items, []);
});

// Issue 11: each observation at its top, against the real processes.

test('issue 11: a price changed between cart and checkout is 412 CART_CHANGED with the current cart; nothing charged; the new version orders at its prices', async () => {
  const user = await newUser();
  const [p] = await freshProducts(1, 10);
  assert.ok(p);
  const shown = await fillCart(user.token, [{ id: p.id, quantity: 2 }]);
  const raised = await http(api(`/api/catalog/products/${p.id}`), { method: 'PATCH', token: admin, body: { price: { amount: p.price * 5, currency: 'EUR' } } });
  assert.equal(raised.status, 200, JSON.stringify(raised.body));
  const refused = await http<{ code: string; cart: { version: string; total: { amount: number } } }>(api('/api/checkout'), {
    method: 'POST', token: user.token, headers: { 'idempotency-key': 'changed-1', 'if-match': shown }, body: { shippingAddress: address, card: card('4242424242424242') },
  });
  assert.equal(refused.status, 412, JSON.stringify(refused.body));
  assert.match(refused.type, /application\/problem\+json/);
  assert.equal(refused.body.code, 'CART_CHANGED');
  assert.equal(refused.body.cart.total.amount, 2 * p.price * 5);
  assert.equal((await http<{ items: unknown[] }>(api('/api/orders'), { token: user.token })).body.items.length, 0, 'no order');
  assert.equal((await http<{ available: number }>(api(`/api/inventory/${p.id}`))).body.available, 10, 'nothing reserved');
  const without = await http(api('/api/checkout'), { method: 'POST', token: user.token, headers: { 'idempotency-key': 'changed-0' }, body: { shippingAddress: address, card: card('4242424242424242') } });
  assert.equal(without.status, 428);
  const res = await checkout(user.token, 'changed-2', '4242424242424242', [{ id: p.id, quantity: 2 }], `"${refused.body.cart.version}"`);
  const order = await finalOrder(user.token, res.body.orderId);
  assert.equal(order.status, 'CONFIRMED');
  const full = await http<{ total: { amount: number } }>(api(`/api/orders/${res.body.orderId}`), { token: user.token });
  assert.equal(full.body.total.amount, 2 * p.price * 5, 'charged exactly the version it named');
  await checkInvariants();
});

test('issue 11: 5 concurrent checkouts of one cart with different keys: one order, one capture; the others and a fresh-key retry are 409 naming it', async () => {
  const user = await newUser();
  const [p] = await freshProducts(1, 10);
  assert.ok(p);
  const version = await fillCart(user.token, [{ id: p.id, quantity: 1 }]);
  const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => checkout(user.token, `dup-${i}`, '4242424242424242', [{ id: p.id, quantity: 1 }], version)));
  const accepted = replies.filter((r) => r.status === 201 || r.status === 202);
  assert.equal(accepted.length, 1, replies.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join('\n'));
  const orderId = accepted[0]?.body.orderId as string;
  for (const r of replies.filter((x) => x !== accepted[0])) {
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.deepEqual([(r.body as unknown as { code: string }).code, (r.body as unknown as { orderId: string }).orderId], ['CART_ALREADY_ORDERED', orderId]);
  }
  assert.equal((await finalOrder(user.token, orderId)).status, 'CONFIRMED');
  const retry = await checkout(user.token, 'dup-retry', '4242424242424242', [{ id: p.id, quantity: 1 }], version);
  // The cart was emptied when the order confirmed: the retry still hears of the order, not "your cart is empty".
  assert.equal(retry.status, 409, `a retry with a fresh key buys nothing twice: ${retry.status} ${JSON.stringify(retry.body)}`);
  assert.deepEqual([(retry.body as unknown as { code: string }).code, (retry.body as unknown as { orderId: string }).orderId], ['CART_ALREADY_ORDERED', orderId]);
  assert.equal((await http<{ items: unknown[] }>(api('/api/orders'), { token: user.token })).body.items.length, 1);
  assert.equal((await http<{ available: number }>(api(`/api/inventory/${p.id}`))).body.available, 9, 'stock taken once');
  await checkInvariants();
});

test('issue 11: a slow card network: checkout answers 202 + Location + Retry-After within its deadline, never 5xx; ?wait= gives the final status', async () => {
  const user = await newUser();
  const [p] = await freshProducts(1, 5);
  assert.ok(p);
  await fillCart(user.token, [{ id: p.id, quantity: 1 }]);
  // Two card-network calls (authorize, capture) of at least 700 ms each: the saga cannot end within orders' 1.2 s
  // wait, while each call stays inside payments' PSP timeout (1.5 s), so the order does end CONFIRMED.
  assert.equal((await http(`${url['psp-sim']}/admin/config`, { method: 'PUT', body: { latencyMs: 700, failureRate: 0 } })).status, 200);
  try {
    const res = await checkout(user.token, 'slow-1', '4242424242424242', [{ id: p.id, quantity: 1 }]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const location = res.headers.get('location');
    assert.equal(location, `/api/orders/${res.body.orderId}`);
    assert.equal(res.headers.get('retry-after'), '1');
    const waited = await http<{ status: string }>(api(`${location}?wait=20`), { token: user.token });
    assert.equal(waited.status, 200);
    assert.equal(waited.body.status, 'CONFIRMED', 'one long-poll sees the final status');
  } finally {
    await http(`${url['psp-sim']}/admin/config`, { method: 'PUT', body: { latencyMs: 0, failureRate: 0 } });
  }
  await checkInvariants();
});

test('issue 11: one money bound: the catalog refuses 0 and past the bound; the cart refuses a total past it (CART_TOTAL_TOO_LARGE) and keeps the cart', async () => {
  const user = await newUser();
  const sample = (await http<{ items: { category: string }[] }>(api('/api/catalog/products?limit=1'))).body.items[0];
  assert.ok(sample);
  const create = (sku: string, amount: number) =>
    http<{ id: string; code?: string }>(api('/api/catalog/products'), { method: 'POST', token: admin, body: { sku, name: `Bound ${sku}`, category: sample.category, price: { amount, currency: 'EUR' } } });
  assert.equal((await create(`FREE-${process.pid}`, 0)).status, 400);
  assert.equal((await create(`HUGE-${process.pid}`, 100_000_000_001)).status, 400);
  const dear = await create(`DEAR-${process.pid}`, 100_000_000_000);
  assert.equal(dear.status, 201, JSON.stringify(dear.body));
  assert.equal((await http(api(`/api/cart/items/${dear.body.id}`), { method: 'PUT', token: user.token, body: { quantity: 1 } })).status, 200);
  const before = await http(api('/api/cart'), { token: user.token });
  const over = await http<{ code: string }>(api(`/api/cart/items/${dear.body.id}`), { method: 'PUT', token: user.token, body: { quantity: 2 } });
  assert.equal(over.status, 400, JSON.stringify(over.body));
  assert.equal(over.body.code, 'CART_TOTAL_TOO_LARGE');
  const after = await http(api('/api/cart'), { token: user.token });
  assert.deepEqual(after.body, before.body, 'the refused write changed nothing');
  assert.equal(after.etag, before.etag);
  await checkInvariants();
});

test("issue 11: 50 concurrent cart writes by one user: each a success or a 4xx, the cart holds exactly the successes, and another user never sees a 5xx", async () => {
  const [burster, bystander] = [await newUser(), await newUser()];
  // Ordinary products only: the money-bound test before this one creates a product priced at the bound,
  // which would make one of these writes a (correct) 400 CART_TOTAL_TOO_LARGE.
  const listed = (await http<{ items: { id: string; price: { amount: number } }[] }>(api('/api/catalog/products?limit=100'))).body.items;
  const products = listed.filter((p) => p.price.amount <= 1_000_000).slice(0, 50);
  assert.equal(products.length, 50);
  let bursting = true;
  const seen: number[] = [];
  const watch = (async () => {
    while (bursting) seen.push((await http(api('/api/cart'), { token: bystander.token })).status);
  })();
  const replies = await Promise.all(products.map((p) => http(api(`/api/cart/items/${p.id}`), { method: 'PUT', token: burster.token, body: { quantity: 1 } })));
  bursting = false;
  await watch;
  for (const r of replies) assert.ok(r.status === 200 || r.status === 429, `${r.status} ${JSON.stringify(r.body)}`);
  assert.ok(seen.length > 0 && seen.every((s) => s === 200), `the other user's answers: ${seen.join(',')}`);
  const cart = await http<{ items: { productId: string }[] }>(api('/api/cart'), { token: burster.token });
  const ok = products.filter((_, i) => replies[i]?.status === 200).map((p) => p.id).sort();
  assert.deepEqual(cart.body.items.map((i) => i.productId).sort(), ok, 'nothing a refused write sent is in the cart');
  assert.ok(ok.length > 0);
  await checkInvariants();
});

test('issue 11: order history pages with a cursor, newest first, and a status filter', async () => {
  const user = await newUser();
  const ids: string[] = [];
  for (const [i, number] of ['4242424242424242', '4000000000000002', '4242424242424242'].entries()) {
    const [p] = await freshProducts(1, 5);
    assert.ok(p);
    const version = await fillCart(user.token, [{ id: p.id, quantity: 1 }]);
    const res = await checkout(user.token, `history-${i}`, number, [{ id: p.id, quantity: 1 }], version);
    assert.ok(res.status === 201 || res.status === 202, `checkout ${i}: ${res.status} ${JSON.stringify(res.body)}`);
    const order = await finalOrder(user.token, res.body.orderId);
    ids.push(res.body.orderId);
    // The next checkout must be of a cart holding only its own line: a confirmed order's cart is emptied by its
    // event (asynchronously; a write racing it would change the version under the checkout), a cancelled one keeps it.
    if (order.status === 'CONFIRMED') {
      await until(`the cart to be emptied after order ${res.body.orderId}`, 30_000, async () => ((await http<{ items: unknown[] }>(api('/api/cart'), { token: user.token })).body.items.length === 0 ? true : undefined));
    } else {
      assert.equal((await http(api(`/api/cart/items/${p.id}`), { method: 'DELETE', token: user.token })).status, 200);
    }
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Reply<{ items: { id: string }[]; nextCursor: string | null }> = await http(api(`/api/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`), { token: user.token });
    assert.equal(page.status, 200);
    seen.push(...page.body.items.map((o) => o.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, [...ids].reverse());
  const cancelled = await http<{ items: { id: string }[] }>(api('/api/orders?status=CANCELLED'), { token: user.token });
  assert.deepEqual(cancelled.body.items.map((o) => o.id), [ids[1]]);
  await checkInvariants();
});

test('issue 15: the back office ships and refunds through the gateway: admin only, idempotent, one refund at the PSP, stock back', async () => {
  const customer = await newUser();
  const [product] = await freshProducts(1, 10);
  assert.ok(product);
  await fillCart(customer.token, [{ id: product.id, quantity: 3 }]);
  const placedOrder = await checkout(customer.token, `ship-${process.pid}`, '4242424242424242', [{ id: product.id, quantity: 3 }]);
  const orderId = placedOrder.body.orderId;
  assert.equal((await finalOrder(customer.token, orderId)).status, 'CONFIRMED');
  const shipUrl = api(`/api/admin/orders/${orderId}/shipment`);
  const refundUrl = api(`/api/admin/orders/${orderId}/refund`);
  for (const [method, target, body] of [['GET', api('/api/admin/orders'), undefined], ['GET', api(`/api/admin/orders/${orderId}`), undefined], ['POST', shipUrl, { carrier: 'DHL', trackingNumber: 'X1' }], ['POST', refundUrl, { restock: true }]] as const) {
    assert.equal((await http(target, { method, ...(body ? { body } : {}) })).status, 401, `${method} ${target} anonymous`);
    assert.equal((await http(target, { method, token: customer.token, ...(body ? { body } : {}) })).status, 403, `${method} ${target} as the customer`);
  }
  const listed = await http<{ items: { id: string; userId: string }[] }>(api(`/api/admin/orders?status=CONFIRMED&limit=100`), { token: admin });
  assert.ok(listed.body.items.some((o) => o.id === orderId), 'the confirmed order is in the admin list');

  const shipment = { carrier: 'DHL', trackingNumber: `JD${process.pid}` };
  const shipped = await http<{ status: string }>(shipUrl, { method: 'POST', body: shipment, token: admin });
  assert.equal(shipped.status, 200, JSON.stringify(shipped.body));
  assert.equal(shipped.body.status, 'SHIPPED');
  assert.deepEqual((await http(shipUrl, { method: 'POST', body: shipment, token: admin })).body, shipped.body, 'the same shipment again: the same answer');
  assert.equal((await http(shipUrl, { method: 'POST', body: { ...shipment, trackingNumber: 'OTHER' }, token: admin })).status, 409);
  const mine = await http<{ shipment?: { trackingNumber: string } }>(api(`/api/orders/${orderId}`), { token: customer.token });
  assert.equal(mine.body.shipment?.trackingNumber, shipment.trackingNumber);

  const refunded = await http<{ status: string }>(refundUrl, { method: 'POST', body: { restock: true, reason: 'returned' }, token: admin });
  assert.equal(refunded.status, 200, JSON.stringify(refunded.body));
  assert.equal(refunded.body.status, 'REFUNDED');
  assert.deepEqual((await http(refundUrl, { method: 'POST', body: { restock: true, reason: 'returned' }, token: admin })).body, refunded.body);
  assert.equal((await payment(orderId)).body.status, 'REFUNDED');
  const psp = await http<{ items: { status: string }[] }>(`${url['psp-sim']}/admin/authorizations?idempotencyKey=${orderId}`);
  assert.deepEqual(psp.body.items.map((a) => a.status), ['refunded'], 'one authorization, refunded');
  await until(`the 3 units of ${product.id} back on hand`, 30_000, async () => ((await http<{ available: number }>(api(`/api/inventory/${product.id}`))).body.available === 10 ? true : undefined));
  await until('the shipping and refund emails', 30_000, async () => {
    const subjects = (await emailsTo(customer.email)).map((m) => m.subject);
    return subjects.some((s) => /has shipped/.test(s)) && subjects.some((s) => /was refunded/.test(s)) ? true : undefined;
  });
  await checkInvariants();
});

test('issue 11: authentication runs before validation on every protected route: anonymous and malformed is 401 at each service, never 400', async () => {
  const checked = await assertAuthenticationBeforeValidation(system);
  console.log(`# ${checked} protected routes answered 401 before looking at the request`);
  assert.ok(checked > 20, `protected routes checked: ${checked}`);
});

// Last: every answer this file received, replayed through a validator against the published documents.
test('issue 11: every answer of this file matches the OpenAPI documents the system publishes (each service and the gateway /docs)', async () => {
  const checked = await assertRecordedAnswersMatchContracts(system);
  console.log(`# ${checked} answers checked against the published OpenAPI documents`);
  assert.ok(checked > 100);
});
