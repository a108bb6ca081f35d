import assert from 'node:assert/strict';
import { configDefault, createAuthenticator, type ServiceApp } from '@bazaar/kit';
import { createTestKeys, testLogger, waitFor, type TestKeys, callAs, testCredentials } from '@bazaar/kit/testing';
import type { AnyCloudEvent } from '@bazaar/messaging';
import type { CheckoutRequest, Order } from '@bazaar/contracts/orders';
import type { StoreDialect } from '@bazaar/store';
import { testLocation, type AfterHook } from '@bazaar/store/testing';
import { buildApp, type OrdersSettings } from '../src/app.ts';
import { OrdersConfig } from '../src/config.ts';
import { newLeaseOwner, openOrdersStore, orderRepository, type OrdersStore } from '../src/store/index.ts';
import { startUpstreams, type Upstreams } from './standins.ts';

/**
 * Short retry and sweep timings so every saga path runs fast; the deadline, the
 * checkout's wait and the upstream timeout are generous, because a busy machine
 * must not turn a happy path into a timeout (with 800 ms / 1.5 s / 250 ms it
 * did: CANCELLED or 202 instead of 201 CONFIRMED). A test of a deadline or a
 * timeout sets its own short value.
 */
export const fastSettings = {
  sagaDeadlineMs: 10_000,
  checkoutWaitMs: 20_000,
  sweepMs: 10,
  upstreamTimeoutMs: 5_000,
  reservationTtlSeconds: 600,
  sagaLeaseMs: configDefault(OrdersConfig, 'SAGA_LEASE_MS'),
  retryBaseMs: 10,
  retryMaxMs: 40,
  breakerHalfOpenAfterMs: 30,
} satisfies Omit<OrdersSettings, 'cartUrl' | 'inventoryUrl' | 'paymentsUrl' | 'notificationsUrl'>;

export interface Harness {
  app: ServiceApp;
  store: OrdersStore;
  upstreams: Upstreams;
  keys: TestKeys;
  /** Tokens of two customers and an admin. */
  alice: string;
  bob: string;
  admin: string;
  close(): Promise<void>;
}

/** A fresh orders store on `dialect`: in-memory SQLite, or a new PostgreSQL database dropped after the test. */
export async function testStore(dialect: StoreDialect, t: AfterHook): Promise<OrdersStore> {
  return openOrdersStore(await testLocation(dialect, 'orders', t));
}

/**
 * The orders app over an in-memory store (or the given one), talking to fresh
 * stand-ins (or the given ones). Alice's cart holds two products.
 */
export async function startOrders(opts: { settings?: Partial<OrdersSettings>; store?: OrdersStore; upstreams?: Upstreams; keys?: TestKeys; logLines?: string[] } = {}): Promise<Harness> {
  const upstreams = opts.upstreams ?? (await startUpstreams());
  const store = opts.store ?? (await openOrdersStore({ dataDir: '', inMemory: true }));
  const keys = opts.keys ?? (await createTestKeys());
  const app = buildApp({
    store,
    logger: testLogger(opts.logLines),
    auth: createAuthenticator(keys.keys),
    credentials: testCredentials('orders'),
    defaultMetrics: false,
    settings: { ...fastSettings, ...upstreams.urls, ...opts.settings },
  });
  app.addHook('onClose', async () => store.close());
  upstreamsOf.set(app, upstreams);
  await app.ready();
  if (!opts.upstreams) {
    upstreams.fillCart('alice', [
      { productId: 'p-lamp', name: 'Desk Lamp', quantity: 2, price: 2599 },
      { productId: 'p-mug', name: 'Blue Mug', quantity: 1, price: 899 },
    ]);
  }
  return {
    app,
    store,
    upstreams,
    keys,
    alice: await keys.sign({ sub: 'alice', email: 'alice@example.test' }),
    bob: await keys.sign({ sub: 'bob', email: 'bob@example.test' }),
    admin: await keys.sign({ sub: 'root', roles: ['admin'] }),
    async close() {
      await app.close();
      if (!opts.upstreams) await upstreams.close();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const goodCard = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };

export const checkoutBody = (card: Partial<CheckoutRequest['card']> = {}): CheckoutRequest => ({
  shippingAddress: { name: 'Alice Example', line1: '1 Main Street', city: 'Springfield', postalCode: '12345', country: 'NL' },
  card: { ...goodCard, ...card },
});

let keyCounter = 0;
/** A fresh idempotency key. */
export const newKey = () => `key-${process.pid}-${++keyCounter}`;

/** The stand-ins each app talks to, so checkout() can send the current cart's version by default. */
const upstreamsOf = new WeakMap<ServiceApp, Upstreams>();

/** The user id (sub) of a test token. */
const subOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string }).sub;

/** The ETag of the user's cart in the stand-in, as a client would send it back. */
export function cartETag(app: ServiceApp, token: string): string {
  return `"${upstreamsOf.get(app)?.carts.get(subOf(token))?.version ?? 'empty'}"`;
}

/** POST /api/checkout as `token`, with If-Match naming the current cart unless `ifMatch` says otherwise (null: none). */
export function checkout(app: ServiceApp, token: string, opts: { key?: string | null; body?: CheckoutRequest; ifMatch?: string | null } = {}) {
  const key = opts.key === undefined ? newKey() : opts.key;
  const ifMatch = opts.ifMatch === undefined ? cartETag(app, token) : opts.ifMatch;
  return app.inject({
    method: 'POST',
    url: '/api/checkout',
    headers: { ...bearer(token), ...(key === null ? {} : { 'idempotency-key': key }), ...(ifMatch === null ? {} : { 'if-match': ifMatch }) },
    payload: opts.body ?? checkoutBody(),
  });
}

/** GET /api/orders/:id as `token` (200 expected). */
export async function getOrder(app: ServiceApp, token: string, id: string): Promise<Order> {
  const res = await app.inject({ url: `/api/orders/${id}`, headers: bearer(token) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Order;
}

/** The kit's waitFor with orders' default deadline: poll `probe` until truthy; fail naming `what` after `timeoutMs`. */
export function eventually<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  return waitFor(what, probe, timeoutMs);
}

/** Wait until the order is no longer PENDING and return it. */
export function settled(app: ServiceApp, token: string, id: string): Promise<Order> {
  return eventually(`order ${id} to leave PENDING`, async () => {
    const order = await getOrder(app, token, id);
    return order.status === 'PENDING' ? undefined : order;
  });
}

/** Wait until the order's saga has run all its compensations (an order is CANCELLED before they finish). */
export async function compensated(h: Harness, orderId: string, timeoutMs = 3000): Promise<void> {
  const repo = orderRepository(h.store.db, { owner: newLeaseOwner(), ms: 5000 });
  await eventually(`the compensations of order ${orderId}`, async () => (await repo.saga(orderId))?.step === 'DONE', timeoutMs);
}

/** Every event in the outbox feed. */
export async function outboxEvents(app: ServiceApp): Promise<AnyCloudEvent[]> {
  const res = await app.inject({ url: '/internal/events?after=0&limit=500', headers: callAs('orders') });
  assert.equal(res.statusCode, 200);
  return (res.json() as { events: AnyCloudEvent[] }).events;
}
