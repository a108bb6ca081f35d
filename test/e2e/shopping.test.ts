// The shopping flow end to end, through the gateway, against the real
// processes started by the launcher: every outcome of the shopping-flow issue,
// each followed by the invariant check over all orders.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, portBaseFor, startSystem, until, type RunningSystem } from '../../tools/launcher/src/harness.ts';
import { http } from './client.ts';

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
    dataDir: join(work, 'data'),
    logDir: join(work, 'logs'),
    env: { SAGA_DEADLINE_MS: '20000', INVENTORY_INITIAL_STOCK: '100' },
  });
  url = Object.fromEntries((await system.services()).map((s) => [s.name, s.url]));
  const login = await http(`${system.gatewayUrl}/api/identity/login`, { method: 'POST', body: { email: 'admin@bazaar.local', password: 'bazaar-admin-password' } });
  admin = login.body.accessToken as string;
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
  assert.equal((await http(api('/api/identity/register'), { method: 'POST', body: { email, password, name: `Buyer ${userCount}` } })).status, 202);
  const login = await http(api('/api/identity/login'), { method: 'POST', body: { email, password } });
  return { token: login.body.accessToken as string, email };
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

async function fillCart(token: string, lines: { id: string; quantity: number }[]): Promise<void> {
  for (const line of lines) {
    const res = await http(api(`/api/cart/items/${line.id}`), { method: 'PUT', body: { quantity: line.quantity }, token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
}

async function checkout(token: string, key: string, cardNumber: string, lines: { id: string; quantity: number }[]) {
  const res = await http<{ orderId: string; status: string }>(api('/api/checkout'), {
    method: 'POST',
    token,
    headers: { 'idempotency-key': key },
    body: { shippingAddress: address, card: card(cardNumber) },
  });
  if (res.body.orderId && !placed.some((p) => p.orderId === res.body.orderId)) {
    placed.push({ orderId: res.body.orderId, token, items: lines.map((l) => ({ productId: l.id, quantity: l.quantity })) });
  }
  return res;
}

async function finalOrder(token: string, orderId: string, ms = 60_000) {
  return until(`order ${orderId} to finish`, ms, async () => {
    const res = await http<{ status: string; reason?: string }>(api(`/api/orders/${orderId}`), { token });
    return res.body.status && res.body.status !== 'PENDING' ? res.body : undefined;
  });
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
    if (o.status === 'CONFIRMED') {
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
  await fillCart(user.token, [{ id: p.id, quantity: 1 }]);
  const replies = await Promise.all(Array.from({ length: 10 }, () => checkout(user.token, 'same-key', '4242424242424242', [{ id: p.id, quantity: 1 }])));
  const ids = new Set(replies.map((r) => r.body.orderId));
  assert.equal(ids.size, 1, `one order, got ${[...ids].join(', ')}`);
  for (const r of replies) assert.ok(r.status === 201 || r.status === 202 || r.status === 200, `status ${r.status}`);
  const orderId = [...ids][0] as string;
  assert.equal((await finalOrder(user.token, orderId)).status, 'CONFIRMED');
  const again = await checkout(user.token, 'same-key', '4242424242424242', [{ id: p.id, quantity: 1 }]);
  assert.equal(again.body.orderId, orderId);
  const other = await http(api('/api/checkout'), { method: 'POST', token: user.token, headers: { 'idempotency-key': 'same-key' }, body: { shippingAddress: { ...address, city: 'Paris' }, card: card('4242424242424242') } });
  assert.equal(other.status, 422);
  const orders = await http<{ items: { id: string }[] }>(api('/api/orders'), { token: user.token });
  assert.equal(orders.body.items.length, 1);
  assert.equal((await http<{ available: number }>(api(`/api/inventory/${p.id}`))).body.available, 9, 'stock taken once');
  const missing = await http(api('/api/checkout'), { method: 'POST', token: user.token, body: { shippingAddress: address, card: card('4242424242424242') } });
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
  await startService('payments');
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
