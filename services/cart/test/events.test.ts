// orders.order-confirmed consumption through the real embedded transport: a
// small producer app serves a real outbox over HTTP, the cart consumes it with
// createHttpFeedTransport, exactly as in production; with carts in the
// relational store and in Redis (the inbox stays relational in both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cart } from '@bazaar/contracts/cart';
import type { OrderConfirmedData } from '@bazaar/contracts/events';
import { testLogger, waitFor, testCredentials } from '@bazaar/kit/testing';
import { createHttpFeedTransport, cursorStore, type Subscription } from '@bazaar/messaging';
import { startTestProducer } from '@bazaar/messaging/testing';
import { testLocation, type AfterHook } from '@bazaar/store/testing';
import { callAs } from '@bazaar/kit/testing';
import { openCartDatabase } from '../src/store/index.ts';
import { startCartConsumer } from '../src/events.ts';
import { bearer, products, startCart, startCatalogStandIn, type TestCart } from './helpers.ts';
import { testRedis } from './redis.ts';

const STREAM = 'orders/cart';

function order(orderId: string, userId: string, lines: { product: (typeof products)[keyof typeof products]; quantity: number }[]): OrderConfirmedData {
  const items = lines.map(({ product, quantity }) => ({
    productId: product.id,
    name: product.name,
    quantity,
    unitPrice: product.price,
    lineTotal: { amount: product.price.amount * quantity, currency: 'EUR' },
  }));
  const total = { amount: items.reduce((n, i) => n + i.lineTotal.amount, 0), currency: 'EUR' };
  return { orderId, userId, email: `${userId}@example.test`, items, total, confirmedAt: new Date().toISOString() };
}

const lines = async (cart: TestCart, user: string) => {
  const c = (await cart.app.inject({ url: '/api/cart', headers: bearer(await cart.token(user)) })).json() as Cart;
  return c.items.map((i) => [i.productId, i.quantity]);
};

/** A cart consuming a real orders feed, with carts in SQLite, PostgreSQL or Redis (inbox in SQLite then); everything closed when the test ends. */
async function startConsuming(kind: 'sqlite' | 'postgres' | 'redis', t: AfterHook) {
  const catalog = await startCatalogStandIn();
  // orders' producer side: its outbox and its /internal/events feed on a real port.
  const orders = await startTestProducer({ source: 'orders', credentials: testCredentials('orders') });
  const redis = kind === 'redis' ? await (await testRedis(t)).open() : undefined;
  const store = kind === 'postgres' ? await openCartDatabase(await testLocation('postgres', 'cart', t)) : undefined;
  const cart = await startCart({ catalogUrl: catalog.url, ...(redis ? { redis } : {}), ...(store ? { store } : {}) });
  const cursors = cursorStore(cart.store.db);
  const consume = (): Subscription =>
    startCartConsumer({
      db: cart.store.db,
      transport: createHttpFeedTransport({ urls: { orders: orders.url }, credentials: testCredentials('cart'), cursors, logger: testLogger(), waitMs: 1000 }),
      logger: testLogger(),
      ...(redis ? { redis } : {}),
    });
  const running = { consumer: consume() };
  t.after(async () => {
    await running.consumer.stop();
    await cart.close();
    await orders.close();
    await catalog.close();
  });
  const put = async (user: string, productId: string, quantity: number): Promise<Cart> => {
    const res = await cart.app.inject({ method: 'PUT', url: `/api/cart/items/${productId}`, headers: bearer(await cart.token(user)), payload: { quantity } });
    assert.equal(res.statusCode, 200);
    return res.json() as Cart;
  };
  return {
    cart,
    cursors,
    redis,
    put,
    confirm: (data: OrderConfirmedData) => orders.publish('orders.order-confirmed', data, data.orderId),
    /** Stop consuming, run `meanwhile`, start again (a crash and restart of the consumer). */
    async restart(meanwhile: () => Promise<void>) {
      await running.consumer.stop();
      await meanwhile();
      running.consumer = consume();
    },
  };
}

for (const kind of ['sqlite', 'redis'] as const) test(`${kind}: an order confirmation takes the ordered items out of the cart exactly once, even when delivered again`, async (t) => {
  const { cart, cursors, redis, put, confirm, restart } = await startConsuming(kind, t);
  await put('alice', products.lamp.id, 3);
  await put('alice', products.mug.id, 1);
  await put('bob', products.lamp.id, 2);

  // Alice checks out 2 lamps and the mug, then adds a chair before the confirmation arrives.
  await confirm(order('o-1', 'alice', [{ product: products.lamp, quantity: 2 }, { product: products.mug, quantity: 1 }]));
  await put('alice', products.chair.id, 1);
  await waitFor('the cart to handle event 1', async () => (await cursors.load(STREAM)) >= 1);
  assert.deepEqual(await lines(cart, 'alice'), [[products.lamp.id, 1], [products.chair.id, 1]], 'ordered quantities left; the chair added after checkout stayed');
  assert.deepEqual(await lines(cart, 'bob'), [[products.lamp.id, 2]], "another user's cart is untouched");

  // At-least-once delivery: the consumer crashed before saving its position, so the event comes again.
  await restart(() => cursors.save(STREAM, 0));
  await confirm(order('o-2', 'bob', [{ product: products.lamp, quantity: 2 }]));
  // The feed is ordered: the position reaches 2 only after event 1 was delivered (again) and acknowledged.
  await waitFor('the redelivered event and event 2 to be handled', async () => (await cursors.load(STREAM)) >= 2);
  assert.deepEqual(await lines(cart, 'alice'), [[products.lamp.id, 1], [products.chair.id, 1]], 'the redelivery removed nothing more');
  assert.deepEqual(await lines(cart, 'bob'), [], "bob's ordered line dropped to 0 and disappeared");
  const inbox = await cart.store.db.selectFrom('inbox').select(['source', 'type']).execute();
  assert.deepEqual(inbox.map((r) => `${r.source} ${r.type}`), ['orders orders.order-confirmed', 'orders orders.order-confirmed'], 'one inbox row per event');
  if (redis) {
    assert.deepEqual(await redis.getLines('alice'), [{ productId: products.lamp.id, quantity: 1 }, { productId: products.chair.id, quantity: 1 }], 'the cart is in Redis');
    assert.equal((await cart.store.db.selectFrom('cart_lines').selectAll().execute()).length, 0, 'and not in the relational store');
  }
});

for (const kind of ['sqlite', 'redis'] as const) test(`${kind}: a confirmation landing after the shopper put the ordered product in again leaves the cart as the shopper set it (issue 12)`, async (t) => {
  const { cart, cursors, put, confirm } = await startConsuming(kind, t);
  const read = async () => (await cart.app.inject({ url: '/api/cart', headers: bearer(await cart.token('alice')) })).json() as Cart;
  const first = await put('alice', products.lamp.id, 2);
  // The checkout seemed slow: before its confirmation arrives the shopper puts the lamp in again.
  const shopperSet = await put('alice', products.lamp.id, 2);
  await confirm({ ...order('o-1', 'alice', [{ product: products.lamp, quantity: 2 }]), cartVersion: first.version });
  await waitFor('the cart to handle the first confirmation', async () => (await cursors.load(STREAM)) >= 1);
  const afterFirst = await read();
  assert.deepEqual(afterFirst.items.map((i) => [i.productId, i.quantity]), [[products.lamp.id, 2]], 'the lamp set again stays');
  assert.equal(afterFirst.version, shopperSet.version, 'nothing changed, so neither did the version (checkout with it is not 412)');

  // The second checkout (lamp and mug) is confirmed after a chair was added: the ordered lines go, the chair stays.
  const second = await put('alice', products.mug.id, 1);
  await put('alice', products.chair.id, 1);
  await confirm({ ...order('o-2', 'alice', [{ product: products.lamp, quantity: 2 }, { product: products.mug, quantity: 1 }]), cartVersion: second.version });
  await waitFor('the cart to handle the second confirmation', async () => (await cursors.load(STREAM)) >= 2);
  assert.deepEqual(await lines(cart, 'alice'), [[products.chair.id, 1]]);
});

/** POST /internal/carts/:userId/ordered as orders does right after confirming (204 expected). */
async function ordered(cart: TestCart, userId: string, body: { orderId: string; cartVersion: string; items: { productId: string; quantity: number }[] }) {
  const res = await cart.app.inject({ method: 'POST', url: `/internal/carts/${userId}/ordered`, headers: callAs('cart', 'orders'), payload: body });
  assert.equal(res.statusCode, 204, res.body);
  assert.equal(res.body, '');
}

// Orders tells the cart right after confirming, before answering the shopper; the
// event comes later and stays the guarantee. Each ordered line leaves once, whichever
// comes first and however often either comes.
for (const kind of ['sqlite', 'postgres', 'redis'] as const) test(`${kind}: the ordered route takes the lines out at once; applied again, or followed by the event, it takes nothing more`, async (t) => {
  const { cart, cursors, put, confirm } = await startConsuming(kind, t);
  await put('alice', products.lamp.id, 3);
  const checkedOut = await put('alice', products.mug.id, 1);
  // An order of fewer lamps than the cart holds: the line only drops, the case that must not drop twice.
  const o1 = { orderId: 'o-1', cartVersion: checkedOut.version, items: [{ productId: products.lamp.id, quantity: 2 }, { productId: products.mug.id, quantity: 1 }] };
  await ordered(cart, 'alice', o1);
  assert.deepEqual(await lines(cart, 'alice'), [[products.lamp.id, 1]], 'the mug left, the lamp dropped by 2');
  const after = (await cart.app.inject({ url: '/api/cart', headers: bearer(await cart.token('alice')) })).json() as Cart;

  await ordered(cart, 'alice', o1);
  const again = (await cart.app.inject({ url: '/api/cart', headers: bearer(await cart.token('alice')) })).json() as Cart;
  assert.deepEqual(again, after, 'the same call again changes nothing, not even the version');

  // The shopper adds a chair, then the event arrives.
  await put('alice', products.chair.id, 1);
  await confirm({ ...order('o-1', 'alice', [{ product: products.lamp, quantity: 2 }, { product: products.mug, quantity: 1 }]), cartVersion: checkedOut.version });
  await waitFor('the cart to handle the confirmation', async () => (await cursors.load(STREAM)) >= 1);
  assert.deepEqual(await lines(cart, 'alice'), [[products.lamp.id, 1], [products.chair.id, 1]], 'the event took nothing more; the chair stayed');

  // A late route call (orders retried an answer) after the event: nothing more either.
  await ordered(cart, 'alice', o1);
  assert.deepEqual(await lines(cart, 'alice'), [[products.lamp.id, 1], [products.chair.id, 1]]);
});

for (const kind of ['sqlite', 'postgres', 'redis'] as const) test(`${kind}: when the event comes first, the ordered route after it takes nothing more`, async (t) => {
  const { cart, cursors, put, confirm } = await startConsuming(kind, t);
  await put('alice', products.lamp.id, 3);
  const checkedOut = await put('alice', products.mug.id, 1);
  await confirm({ ...order('o-1', 'alice', [{ product: products.lamp, quantity: 2 }, { product: products.mug, quantity: 1 }]), cartVersion: checkedOut.version });
  await waitFor('the cart to handle the confirmation', async () => (await cursors.load(STREAM)) >= 1);
  const afterEvent = (await cart.app.inject({ url: '/api/cart', headers: bearer(await cart.token('alice')) })).json() as Cart;
  assert.deepEqual(afterEvent.items.map((i) => [i.productId, i.quantity]), [[products.lamp.id, 1]]);

  await ordered(cart, 'alice', { orderId: 'o-1', cartVersion: checkedOut.version, items: [{ productId: products.lamp.id, quantity: 2 }, { productId: products.mug.id, quantity: 1 }] });
  const afterRoute = (await cart.app.inject({ url: '/api/cart', headers: bearer(await cart.token('alice')) })).json() as Cart;
  assert.deepEqual(afterRoute, afterEvent, 'nothing changed, not even the version');
});

test('the ordered route leaves a cart alone when the version has no revision it can read; the event then takes the lines out', async (t) => {
  const { cart, cursors, put, confirm } = await startConsuming('sqlite', t);
  await put('alice', products.lamp.id, 2);
  await ordered(cart, 'alice', { orderId: 'o-old', cartVersion: 'a-version-from-before-revisions', items: [{ productId: products.lamp.id, quantity: 2 }] });
  assert.deepEqual(await lines(cart, 'alice'), [[products.lamp.id, 2]], 'removal without a revision would not be idempotent: left to the event');
  await confirm({ ...order('o-old', 'alice', [{ product: products.lamp, quantity: 2 }]), cartVersion: 'a-version-from-before-revisions' });
  await waitFor('the cart to handle the confirmation', async () => (await cursors.load(STREAM)) >= 1);
  assert.deepEqual(await lines(cart, 'alice'), []);
});
