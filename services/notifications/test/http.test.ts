import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testLogger, testCredentials, callAs } from '@bazaar/kit/testing';
import { buildApp } from '../src/app.ts';
import { openNotificationsStore } from '../src/store/index.ts';
import { internal } from './helpers.ts';

async function app() {
  const store = await openNotificationsStore({ dataDir: '', inMemory: true });
  const instance = buildApp({ store, logger: testLogger(), credentials: testCredentials('notifications'), defaultMetrics: false });
  instance.addHook('onClose', async () => store.close());
  return instance;
}

test('/internal/emails needs the service credential', async () => {
  const a = await app();
  const without = await a.inject({ url: '/internal/emails' });
  assert.equal(without.statusCode, 401);
  assert.equal(without.json().code, 'UNAUTHENTICATED');
  const wrong = await a.inject({ url: '/internal/emails', headers: callAs('notifications', 'operator', 'not-the-secret-0123456789') });
  assert.equal(wrong.statusCode, 401);
  const service = await a.inject({ url: '/internal/emails', headers: callAs('notifications', 'cart') });
  assert.equal(service.statusCode, 403, 'a service the route does not name may not read the emails');
  // orders reads an order's emails for the back office's order page (and may not read one email by id).
  const orders = await a.inject({ url: '/internal/emails?orderId=o-1', headers: callAs('notifications', 'orders') });
  assert.equal(orders.statusCode, 200, orders.body);
  assert.equal((await a.inject({ url: '/internal/emails/evt-1', headers: callAs('notifications', 'orders') })).statusCode, 403);
  await a.close();
});

test('/internal/emails lists nothing at first; an unknown id is 404 EMAIL_NOT_FOUND; bad filters are 400', async () => {
  const a = await app();
  assert.deepEqual((await a.inject({ url: '/internal/emails?orderId=o-1', headers: internal })).json(), { emails: [] });
  const missing = await a.inject({ url: '/internal/emails/evt-1', headers: internal });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'EMAIL_NOT_FOUND');
  const bad = await a.inject({ url: '/internal/emails?status=lost', headers: internal });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'VALIDATION_FAILED');
  await a.close();
});

test('health, readiness and metrics', async () => {
  const a = await app();
  assert.equal((await a.inject({ url: '/healthz' })).statusCode, 200);
  const ready = await a.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json().checks, { store: 'ok' });
  const metrics = await a.inject({ url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  assert.match(metrics.body, /http_requests_total/);
  await a.close();
});
