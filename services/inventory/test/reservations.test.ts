import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callAs } from '@bazaar/kit/testing';
import { available, internal, reserve, setStock, settle, startInventory } from './helpers.ts';

test('reserve then commit: available → reserved → committed, and the reservation reads back', async () => {
  const { app, admin, repo } = await startInventory();
  await setStock(app, admin, { a: 10, b: 4 });
  const made = await reserve(app, { orderId: 'o1', items: [{ productId: 'b', quantity: 1 }, { productId: 'a', quantity: 3 }], ttlSeconds: 120 });
  assert.equal(made.status, 201);
  assert.equal(made.body.status, 'RESERVED');
  assert.deepEqual(made.body.items, [{ productId: 'b', quantity: 1 }, { productId: 'a', quantity: 3 }], 'items in the order asked for');
  assert.ok(Date.parse(made.body.expiresAt) > Date.now() + 100_000, 'expires ttlSeconds from now');
  assert.equal(made.body.releaseReason, undefined);
  assert.equal(await available(app, 'a'), 7);
  assert.deepEqual(await repo.stock('a'), { productId: 'a', available: 7, reserved: 3, committed: 0 });

  const got = await app.inject({ url: '/internal/inventory/reservations/o1', headers: internal });
  assert.equal(got.statusCode, 200);
  assert.deepEqual(got.json(), made.body);

  const committed = await settle(app, 'o1', 'commit');
  assert.equal(committed.status, 200);
  assert.equal(committed.body.status, 'COMMITTED');
  assert.deepEqual(await repo.stock('a'), { productId: 'a', available: 7, reserved: 0, committed: 3 });
  assert.deepEqual(await repo.stock('b'), { productId: 'b', available: 3, reserved: 0, committed: 1 });
  await app.close();
});

test('reserve then release: the units go back on sale, with releaseReason "released"', async () => {
  const { app, admin, repo } = await startInventory();
  await setStock(app, admin, { a: 10 });
  assert.equal((await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 4 }] })).status, 201);
  assert.equal(await available(app, 'a'), 6);
  const released = await settle(app, 'o1', 'release');
  assert.equal(released.status, 200);
  assert.equal(released.body.status, 'RELEASED');
  assert.equal(released.body.releaseReason, 'released');
  assert.deepEqual(await repo.stock('a'), { productId: 'a', available: 10, reserved: 0, committed: 0 });
  await app.close();
});

test('the same orderId again returns its reservation (200) whatever its status, and never takes stock twice', async () => {
  const { app, admin } = await startInventory();
  await setStock(app, admin, { a: 10 });
  const first = await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 2 }] });
  assert.equal(first.status, 201);
  const again = await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 2 }] });
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, first.body);
  // Even a retry with different items is the same reservation: orderId is the idempotency key.
  const different = await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 5 }] });
  assert.equal(different.status, 200);
  assert.deepEqual(different.body.items, [{ productId: 'a', quantity: 2 }]);
  assert.equal(await available(app, 'a'), 8);

  assert.equal((await settle(app, 'o1', 'commit')).status, 200);
  const second = await settle(app, 'o1', 'commit');
  assert.equal(second.status, 200, 'commit is idempotent');
  assert.equal(second.body.status, 'COMMITTED');
  const afterCommit = await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 2 }] });
  assert.equal(afterCommit.status, 200);
  assert.equal(afterCommit.body.status, 'COMMITTED');

  await reserve(app, { orderId: 'o2', items: [{ productId: 'a', quantity: 3 }] });
  assert.equal((await settle(app, 'o2', 'release')).status, 200);
  const twice = await settle(app, 'o2', 'release');
  assert.equal(twice.status, 200, 'release is idempotent');
  assert.equal(twice.body.releaseReason, 'released');
  const afterRelease = await reserve(app, { orderId: 'o2', items: [{ productId: 'a', quantity: 3 }] });
  assert.equal(afterRelease.status, 200, 'a released reservation is not silently renewed');
  assert.equal(afterRelease.body.status, 'RELEASED');
  assert.equal(await available(app, 'a'), 8, 'released once, never twice');
  await app.close();
});

test('insufficient stock is 409 naming the product and what is available; nothing of the other lines is taken', async () => {
  const { app, admin, repo } = await startInventory();
  await setStock(app, admin, { a: 10, b: 2, c: 5 });
  const res = await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 3 }, { productId: 'b', quantity: 3 }, { productId: 'c', quantity: 1 }] });
  assert.equal(res.status, 409);
  assert.match(res.contentType as string, /^application\/problem\+json/);
  assert.equal(res.body.code, 'INSUFFICIENT_STOCK');
  assert.equal(res.body.productId, 'b');
  assert.equal(res.body.available, 2);
  assert.equal(res.body.requested, 3);
  assert.match(res.body.detail ?? '', /product b.*3 requested.*only 2 available/);
  for (const [id, units] of [['a', 10], ['b', 2], ['c', 5]] as const) {
    assert.deepEqual(await repo.stock(id), { productId: id, available: units, reserved: 0, committed: 0 }, `${id} untouched`);
  }
  const missing = await app.inject({ url: '/internal/inventory/reservations/o1', headers: internal });
  assert.equal(missing.statusCode, 404, 'a refused reservation leaves no trace');
  // The same orderId can try again once there is stock.
  await setStock(app, admin, { b: 3 });
  assert.equal((await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 3 }, { productId: 'b', quantity: 3 }] })).status, 201);
  assert.equal(await available(app, 'b'), 0);
  await app.close();
});

test('a product inventory does not know is insufficient stock with 0 available', async () => {
  const { app } = await startInventory();
  const res = await reserve(app, { orderId: 'o1', items: [{ productId: 'ghost', quantity: 1 }] });
  assert.equal(res.status, 409);
  assert.equal(res.body.code, 'INSUFFICIENT_STOCK');
  assert.equal(res.body.productId, 'ghost');
  assert.equal(res.body.available, 0);
  await app.close();
});

test('two lines of one product are reserved as their sum, all or nothing', async () => {
  const { app, admin } = await startInventory();
  await setStock(app, admin, { a: 5 });
  const tooMany = await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 3 }, { productId: 'a', quantity: 3 }] });
  assert.equal(tooMany.status, 409);
  assert.equal(tooMany.body.requested, 6);
  const ok = await reserve(app, { orderId: 'o2', items: [{ productId: 'a', quantity: 2 }, { productId: 'a', quantity: 3 }] });
  assert.equal(ok.status, 201);
  assert.deepEqual(ok.body.items, [{ productId: 'a', quantity: 5 }]);
  assert.equal(await available(app, 'a'), 0);
  await app.close();
});

test('commit of a released reservation is 409 saying it did not expire; release of a committed one is 409', async () => {
  const { app, admin } = await startInventory();
  await setStock(app, admin, { a: 5 });
  await reserve(app, { orderId: 'released', items: [{ productId: 'a', quantity: 1 }] });
  await settle(app, 'released', 'release');
  const commit = await settle(app, 'released', 'commit');
  assert.equal(commit.status, 409);
  assert.equal(commit.body.code, 'RESERVATION_RELEASED');
  assert.equal(commit.body.expired, false);
  assert.match(commit.body.detail ?? '', /did not expire/);

  await reserve(app, { orderId: 'sold', items: [{ productId: 'a', quantity: 1 }] });
  await settle(app, 'sold', 'commit');
  const release = await settle(app, 'sold', 'release');
  assert.equal(release.status, 409);
  assert.equal(release.body.code, 'RESERVATION_COMMITTED');
  assert.equal(await available(app, 'a'), 4);
  await app.close();
});

test('an unknown orderId is 404 for get, commit and release', async () => {
  const { app } = await startInventory();
  const get = await app.inject({ url: '/internal/inventory/reservations/nope', headers: internal });
  assert.equal(get.statusCode, 404);
  assert.equal(get.json().code, 'RESERVATION_NOT_FOUND');
  for (const action of ['commit', 'release'] as const) {
    const res = await settle(app, 'nope', action);
    assert.equal(res.status, 404, action);
    assert.equal(res.body.code, 'RESERVATION_NOT_FOUND');
  }
  await app.close();
});

test('bad reservation requests are 400 naming the field', async () => {
  const { app } = await startInventory();
  const bad = [
    { orderId: 'o1', items: [] },
    { orderId: 'o1', items: [{ productId: 'a', quantity: 0 }] },
    { orderId: 'o1', items: [{ productId: 'a', quantity: 1 }], ttlSeconds: 0 },
    { items: [{ productId: 'a', quantity: 1 }] },
  ];
  for (const payload of bad) {
    const res = await app.inject({ method: 'POST', url: '/internal/inventory/reservations', headers: internal, payload });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.equal(res.json().code, 'VALIDATION_FAILED');
  }
  await app.close();
});

test('internal endpoints need a caller the route names: 401 without a valid credential, 403 for a service the route does not name', async () => {
  const { app, admin } = await startInventory();
  await setStock(app, admin, { a: 5 });
  const calls = [
    { method: 'POST' as const, url: '/internal/inventory/reservations', payload: { orderId: 'o1', items: [{ productId: 'a', quantity: 1 }] } },
    { method: 'GET' as const, url: '/internal/inventory/reservations/o1' },
    { method: 'POST' as const, url: '/internal/inventory/reservations/o1/commit' },
    { method: 'POST' as const, url: '/internal/inventory/reservations/o1/release' },
    { method: 'GET' as const, url: '/internal/events' },
  ];
  for (const call of calls) {
    const none = await app.inject(call);
    assert.equal(none.statusCode, 401, `${call.method} ${call.url}`);
    assert.match(none.headers['content-type'] as string, /^application\/problem\+json/);
    // A user's token is not a service credential.
    assert.equal((await app.inject({ ...call, headers: { authorization: `Bearer ${admin}` } })).statusCode, 401);
    assert.equal((await app.inject({ ...call, headers: callAs('inventory', 'orders', 'wrong-secret-wrong-secret') })).statusCode, 401);
    // Reservations are the checkout saga's: any other service, or the operator, is refused even with a valid credential.
    if (call.method !== 'GET') assert.equal((await app.inject({ ...call, headers: callAs('inventory', 'operator') })).statusCode, 403);
    if (call.url !== '/internal/events') assert.equal((await app.inject({ ...call, headers: callAs('inventory', 'cart') })).statusCode, 403);
  }
  assert.equal(await available(app, 'a'), 5, 'nothing was reserved');
  await app.close();
});
