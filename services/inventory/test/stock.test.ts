import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, reserve, settle, startInventory } from './helpers.ts';

test('GET of a product inventory has never heard of is 404 problem+json', async () => {
  const { app } = await startInventory();
  const res = await app.inject({ url: '/api/inventory/no-such-product' });
  assert.equal(res.statusCode, 404);
  assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
  assert.equal(res.json().code, 'PRODUCT_NOT_FOUND');
  assert.match(res.json().detail, /no-such-product/);
  await app.close();
});

test('PUT stock: 401 without a token, 401 with a bad one, 403 for a customer, 200 for an admin', async () => {
  const { app, admin, customer } = await startInventory();
  const put = (headers: Record<string, string>) => app.inject({ method: 'PUT', url: '/api/inventory/p1', headers, payload: { available: 7 } });
  assert.equal((await put({})).statusCode, 401);
  assert.equal((await put(bearer('not.a.token'))).statusCode, 401);
  const forbidden = await put(bearer(customer));
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.json().code, 'FORBIDDEN');
  assert.equal((await app.inject({ url: '/api/inventory/p1' })).statusCode, 404, 'refused writes create nothing');
  const ok = await put(bearer(admin));
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { productId: 'p1', available: 7 });
  const read = await app.inject({ url: '/api/inventory/p1' });
  assert.equal(read.statusCode, 200, 'anyone reads, no token needed');
  assert.deepEqual(read.json(), { productId: 'p1', available: 7 });
  await app.close();
});

test('PUT stock rejects what is not a whole non-negative number, naming the field', async () => {
  const { app, admin } = await startInventory();
  for (const payload of [{ available: -1 }, { available: 1.5 }, { available: '5' }, {}, { available: 5, reserved: 1 }]) {
    const res = await app.inject({ method: 'PUT', url: '/api/inventory/p1', headers: bearer(admin), payload });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.equal(res.json().code, 'VALIDATION_FAILED');
    assert.match(res.json().detail, /available|reserved/);
  }
  await app.close();
});

test('PUT sets available only: reserved and committed units are kept', async () => {
  const { app, admin, repo } = await startInventory();
  await app.inject({ method: 'PUT', url: '/api/inventory/p1', headers: bearer(admin), payload: { available: 10 } });
  assert.equal((await reserve(app, { orderId: 'o1', items: [{ productId: 'p1', quantity: 3 }] })).status, 201);
  assert.equal((await reserve(app, { orderId: 'o2', items: [{ productId: 'p1', quantity: 2 }] })).status, 201);
  assert.equal((await settle(app, 'o2', 'commit')).status, 200);
  assert.deepEqual(await repo.stock('p1'), { productId: 'p1', available: 5, reserved: 3, committed: 2 });
  const res = await app.inject({ method: 'PUT', url: '/api/inventory/p1', headers: bearer(admin), payload: { available: 50 } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(await repo.stock('p1'), { productId: 'p1', available: 50, reserved: 3, committed: 2 });
  // The reservation made before the PUT can still be released onto the new level.
  assert.equal((await settle(app, 'o1', 'release')).status, 200);
  assert.deepEqual(await repo.stock('p1'), { productId: 'p1', available: 53, reserved: 0, committed: 2 });
  await app.close();
});
