// The HTTP edge through inject(): admin-only sales, problem+json errors,
// the internal rebuild endpoint and readiness. The rebuilder is the real
// one over a real DuckDB; only its feeds are stood in for (their heads, empty unless a test says otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthenticator } from '@bazaar/kit';
import { createTestKeys, testLogger, waitFor, testCredentials, callAs } from '@bazaar/kit/testing';
import type { AnyCloudEvent } from '@bazaar/contracts/events';
import { buildApp } from '../src/app.ts';
import { decodeEvent } from '../src/events.ts';
import { createRebuilder } from '../src/rebuild.ts';
import { openReportsStore } from '../src/store/index.ts';
import { confirmedOrder, internal } from './helpers.ts';

async function setup(opts: { heads?: () => Record<string, number> } = {}) {
  const keys = await createTestKeys();
  const store = await openReportsStore({ dataDir: '', inMemory: true });
  const consumers = { started: 0, start() { this.started += 1; }, async stop() {} };
  // Each feed's newest event, as its producer would answer (none by default: nothing to replay).
  const probe = { head: async (source: string) => opts.heads?.()[source] ?? 0, close: async () => undefined };
  const rebuilder = createRebuilder({ store, consumers, probe, logger: testLogger(), checkEveryMs: 20 });
  const app = buildApp({ store, logger: testLogger(), auth: createAuthenticator(keys.keys), rebuild: rebuilder, credentials: testCredentials('reports'), currency: 'EUR', defaultMetrics: false });
  const admin = await keys.sign({ sub: 'admin-1', roles: ['admin'] });
  const customer = await keys.sign({ sub: 'user-1', roles: ['customer'] });
  return {
    store,
    app,
    rebuilder,
    consumers,
    bearer: (token: string) => ({ authorization: `Bearer ${token}` }),
    admin,
    customer,
    async close() {
      await rebuilder.stop();
      await app.close();
      await store.close();
    },
  };
}

test('GET /api/reports/sales: 401 without a token, 403 for a customer, 200 for an admin', async () => {
  const s = await setup();
  const event: AnyCloudEvent = { specversion: '1.0', id: 'e1', source: 'orders', type: 'orders.order-confirmed', time: '2026-01-02T10:00:00Z', datacontenttype: 'application/json', sequence: 1, data: confirmedOrder() };
  const decoded = decodeEvent(event);
  assert.equal(decoded.kind, 'fact');
  if (decoded.kind === 'fact') await s.store.apply({ event, stream: 'orders/reports', fact: decoded.fact });

  const anonymous = await s.app.inject({ url: '/api/reports/sales' });
  assert.equal(anonymous.statusCode, 401);
  assert.match(anonymous.headers['content-type'] as string, /application\/problem\+json/);
  assert.equal(anonymous.json().code, 'UNAUTHENTICATED');

  const customer = await s.app.inject({ url: '/api/reports/sales', headers: s.bearer(s.customer) });
  assert.equal(customer.statusCode, 403);
  assert.equal(customer.json().code, 'FORBIDDEN');

  const ok = await s.app.inject({ url: '/api/reports/sales', headers: s.bearer(s.admin) });
  assert.equal(ok.statusCode, 200);
  const body = ok.json();
  assert.equal(body.orders, 1);
  assert.deepEqual(body.revenue, { amount: 5348, currency: 'EUR' });
  assert.deepEqual(body.averageOrderValue, { amount: 5348, currency: 'EUR' });
  assert.deepEqual(body.byDay, [{ day: '2026-01-02', orders: 1, revenue: { amount: 5348, currency: 'EUR' } }]);
  assert.deepEqual(body.topProducts.map((p: { productId: string; units: number }) => [p.productId, p.units]), [['p-lamp', 2], ['p-pen', 1]]);
  assert.deepEqual(body.cancelled, { count: 0, byReason: [] });
  await s.close();
});

test('GET /api/reports/sales: 400 problem+json for from after to, impossible days and unknown parameters', async () => {
  const s = await setup();
  const get = (query: string, token = s.admin) => s.app.inject({ url: `/api/reports/sales${query}`, headers: s.bearer(token) });

  const reversed = await get('?from=2026-02-01&to=2026-01-01');
  assert.equal(reversed.statusCode, 400);
  assert.match(reversed.headers['content-type'] as string, /application\/problem\+json/);
  assert.equal(reversed.json().code, 'INVALID_RANGE');
  assert.equal(reversed.json().type, 'urn:bazaar:problem:invalid-range');
  assert.match(reversed.json().detail, /from \(2026-02-01\) is after to \(2026-01-01\)/);

  const impossible = await get('?from=2026-02-30');
  assert.equal(impossible.statusCode, 400);
  assert.equal(impossible.json().code, 'INVALID_DATE');

  for (const query of ['?from=yesterday', '?to=2026-01-01T10:00', '?top=0', '?currency=eur', '?format=csv']) {
    const res = await get(query);
    assert.equal(res.statusCode, 400, query);
    assert.equal(res.json().code, 'VALIDATION_FAILED', query);
  }
  // Auth comes first: an anonymous caller learns nothing about the query.
  assert.equal((await s.app.inject({ url: '/api/reports/sales?from=yesterday' })).statusCode, 401);

  const window = await get('?from=2026-01-01&to=2026-01-31T12:00:00Z&currency=USD&top=3');
  assert.equal(window.statusCode, 200);
  assert.deepEqual([window.json().from, window.json().to, window.json().currency], ['2026-01-01T00:00:00.000Z', '2026-01-31T12:00:00.001Z', 'USD']);
  await s.close();
});

test('POST /internal/reports/rebuild needs the service credential, empties the model and reports progress until caught up', async () => {
  let heads = { orders: 0, payments: 0 };
  const s = await setup({ heads: () => heads });
  await s.rebuilder.start();
  // A new database starts as a rebuild; with the feeds caught up it is soon ready.
  await waitFor('ready after the initial rebuild', async () => (await s.app.inject({ url: '/readyz' })).statusCode === 200);

  assert.equal((await s.app.inject({ method: 'POST', url: '/internal/reports/rebuild' })).statusCode, 401);
  assert.equal((await s.app.inject({ method: 'POST', url: '/internal/reports/rebuild', headers: callAs('reports', 'operator', 'wrong-secret-0123456789') })).statusCode, 401);
  assert.equal((await s.app.inject({ method: 'POST', url: '/internal/reports/rebuild', headers: callAs('reports', 'orders') })).statusCode, 403);

  const event: AnyCloudEvent = { specversion: '1.0', id: 'e1', source: 'orders', type: 'orders.order-confirmed', time: '2026-01-02T10:00:00Z', datacontenttype: 'application/json', sequence: 1, data: confirmedOrder() };
  const decoded = decodeEvent(event);
  if (decoded.kind === 'fact') await s.store.apply({ event, stream: 'orders/reports', fact: decoded.fact });
  const sales = async () => (await s.app.inject({ url: '/api/reports/sales', headers: s.bearer(s.admin) })).json().orders as number;
  assert.equal(await sales(), 1);

  // The producers now hold an event each: the rebuild has one to replay from each feed.
  heads = { orders: 1, payments: 1 };
  const accepted = await s.app.inject({ method: 'POST', url: '/internal/reports/rebuild', headers: internal });
  assert.equal(accepted.statusCode, 202);
  assert.equal(accepted.json().status, 'rebuilding');
  assert.equal(s.consumers.started, 1, 'the consumers were started again after the model was emptied');
  assert.equal(await sales(), 0, 'the read model was emptied, to be filled again from position 0');
  assert.equal(await s.store.cursors.load('orders/reports'), 0);

  const during = await waitFor('a progress check', async () => {
    const res = await s.app.inject({ url: '/readyz' });
    // Both sources: a readiness read can fall between the check's two probes (orders checked, payments still unknown).
    return res.statusCode === 503 && /orders at 0 \(behind\), payments at 0 \(behind\)/.test(res.body) && res;
  });
  assert.equal(during.json().status, 'unavailable');
  assert.match(during.json().checks.rebuild, /^rebuilding from the event history since .*: 0 events applied; orders at 0 \(behind\), payments at 0 \(behind\)$/);
  const status = await s.app.inject({ url: '/internal/reports/rebuild', headers: internal });
  assert.equal(status.json().rebuilding, true);
  assert.equal(status.json().startedAt, accepted.json().startedAt);

  // The consumers reach each feed's head (orders through the event, payments by its position alone).
  if (decoded.kind === 'fact') await s.store.apply({ event, stream: 'orders/reports', fact: decoded.fact });
  await waitFor('orders replayed, payments still behind', async () => /orders at 1 \(caught-up\), payments at 0 \(behind\)/.test((await s.app.inject({ url: '/readyz' })).body));
  await s.store.cursors.save('payments/reports', 1);
  await waitFor('ready once caught up', async () => (await s.app.inject({ url: '/readyz' })).statusCode === 200);
  assert.equal((await s.app.inject({ url: '/internal/reports/rebuild', headers: internal })).json().rebuilding, false);
  assert.equal(await s.store.rebuildStartedAt(), undefined);
  await s.close();
});
