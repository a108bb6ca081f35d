import assert from 'node:assert/strict';
import { createAuthenticator, type ServiceApp } from '@bazaar/kit';
import { createTestKeys, manualClock as kitManualClock, testLogger, callAs, testCredentials } from '@bazaar/kit/testing';
import type { AnyCloudEvent } from '@bazaar/messaging';
import type { Reservation } from '@bazaar/contracts/inventory';
import type { StoreLocation } from '@bazaar/store';
import { buildApp } from '../src/app.ts';
import { inventoryRepository, openInventoryStore } from '../src/store/index.ts';

export const internal = callAs('inventory', 'orders');
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The kit's manual clock, moved by hand and read as a Date (inventory's domain clock). */
export function manualClock(start = Date.parse('2030-01-01T00:00:00.000Z')) {
  const clock = kitManualClock({ start, autoAdvance: false });
  return {
    now: () => new Date(clock.now()),
    advance: (ms: number) => clock.advance(ms),
  };
}

/** An inventory app over an in-memory store (or one at `where`), with test signing keys; the sweeper is off unless asked for. */
export async function startInventory(opts: { now?: () => Date; sweepMs?: number; logLines?: string[]; where?: StoreLocation } = {}) {
  const store = await openInventoryStore(opts.where ?? { dataDir: '', inMemory: true });
  const keys = await createTestKeys();
  const app = buildApp({
    store,
    logger: testLogger(opts.logLines),
    auth: createAuthenticator(keys.keys),
    credentials: testCredentials('inventory'),
    sweepMs: opts.sweepMs ?? 0,
    defaultMetrics: false,
    ...(opts.now ? { now: opts.now } : {}),
  });
  app.addHook('onClose', async () => store.close());
  const admin = await keys.sign({ sub: 'admin-1', roles: ['admin', 'customer'] });
  const customer = await keys.sign({ sub: 'cust-1', roles: ['customer'] });
  const repo = inventoryRepository(store.db);
  return { app, store, repo, keys, admin, customer };
}

/** Give products stock the way an admin does. */
export async function setStock(app: ServiceApp, admin: string, stock: Record<string, number>): Promise<void> {
  for (const [productId, available] of Object.entries(stock)) {
    const res = await app.inject({ method: 'PUT', url: `/api/inventory/${productId}`, headers: bearer(admin), payload: { available } });
    assert.equal(res.statusCode, 200, res.body);
  }
}

export async function available(app: ServiceApp, productId: string): Promise<number> {
  const res = await app.inject({ url: `/api/inventory/${productId}` });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { available: number }).available;
}

export async function reserve(app: ServiceApp, body: { orderId: string; items: { productId: string; quantity: number }[]; ttlSeconds?: number }) {
  const res = await app.inject({ method: 'POST', url: '/internal/inventory/reservations', headers: internal, payload: body });
  return { status: res.statusCode, body: res.json() as Reservation & { code?: string; detail?: string; [k: string]: unknown }, contentType: res.headers['content-type'] };
}

export async function settle(app: ServiceApp, orderId: string, action: 'commit' | 'release') {
  const res = await app.inject({ method: 'POST', url: `/internal/inventory/reservations/${orderId}/${action}`, headers: internal });
  return { status: res.statusCode, body: res.json() as Reservation & { code?: string; detail?: string; [k: string]: unknown } };
}

/** Every event in the app's outbox, through its real feed. */
export async function outbox(app: ServiceApp): Promise<AnyCloudEvent[]> {
  const res = await app.inject({ url: '/internal/events?after=0&limit=500', headers: callAs('inventory') }); // the operator reads feeds; orders may not
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { events: AnyCloudEvent[] }).events;
}
