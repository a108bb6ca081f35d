import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@bazaar/kit/testing';
import { available, internal, manualClock, reserve, setStock, settle, startInventory } from './helpers.ts';

test('an expired reservation is released lazily when it is read, with releaseReason "expired"', async () => {
  const clock = manualClock();
  const { app, admin, repo } = await startInventory({ now: clock.now });
  await setStock(app, admin, { a: 5 });
  const made = await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 2 }], ttlSeconds: 60 });
  assert.equal(made.body.expiresAt, '2030-01-01T00:01:00.000Z');
  clock.advance(59_999);
  assert.equal((await app.inject({ url: '/internal/inventory/reservations/o1', headers: internal })).json().status, 'RESERVED');
  clock.advance(1);
  const read = await app.inject({ url: '/internal/inventory/reservations/o1', headers: internal });
  assert.equal(read.json().status, 'RELEASED');
  assert.equal(read.json().releaseReason, 'expired');
  assert.deepEqual(await repo.stock('a'), { productId: 'a', available: 5, reserved: 0, committed: 0 });
  await app.close();
});

test('stock held by an expired reservation is back as soon as the product is read or reserved (no sweep needed)', async () => {
  const clock = manualClock();
  const { app, admin } = await startInventory({ now: clock.now });
  await setStock(app, admin, { a: 3, b: 3 });
  await reserve(app, { orderId: 'crashed-1', items: [{ productId: 'a', quantity: 3 }], ttlSeconds: 10 });
  await reserve(app, { orderId: 'crashed-2', items: [{ productId: 'b', quantity: 3 }], ttlSeconds: 10 });
  assert.equal((await reserve(app, { orderId: 'o2', items: [{ productId: 'b', quantity: 1 }] })).status, 409);
  clock.advance(10_000);
  assert.equal(await available(app, 'a'), 3, 'a stock read frees it');
  const again = await reserve(app, { orderId: 'o3', items: [{ productId: 'b', quantity: 3 }] });
  assert.equal(again.status, 201, 'a reservation frees it first');
  await app.close();
});

test('the sweeper releases expired reservations in the background, and stops when the app closes', async () => {
  const clock = manualClock();
  const logLines: string[] = [];
  const { app, admin, repo } = await startInventory({ now: clock.now, sweepMs: 10, logLines });
  await setStock(app, admin, { a: 4 });
  await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 3 }], ttlSeconds: 30 });
  await reserve(app, { orderId: 'o2', items: [{ productId: 'a', quantity: 1 }], ttlSeconds: 90 });
  clock.advance(31_000);
  // Look at the store directly: any API read would release it lazily and prove nothing about the sweeper.
  await waitFor('the sweeper to release o1', async () => ((await repo.stock('a'))?.available === 3 ? true : undefined), 30_000);
  assert.equal((await repo.reservation('o1'))?.releaseReason, 'expired');
  assert.equal((await repo.reservation('o2'))?.status, 'RESERVED', 'an unexpired reservation stays');
  assert.ok(logLines.some((l) => JSON.parse(l).msg === 'expired reservations released' && JSON.parse(l).released === 1), 'the sweep is logged');
  await app.close();
  // Closed: the store is closed too, so a pass that still ran would fail and log it.
  clock.advance(120_000);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(!logLines.some((l) => JSON.parse(l).level === 'error'), logLines.join('\n'));
});

test('commit after expiry is 409 RESERVATION_EXPIRED; release after expiry answers the expired reservation', async () => {
  const clock = manualClock();
  const { app, admin } = await startInventory({ now: clock.now });
  await setStock(app, admin, { a: 5 });
  await reserve(app, { orderId: 'late', items: [{ productId: 'a', quantity: 2 }], ttlSeconds: 5 });
  await reserve(app, { orderId: 'gone', items: [{ productId: 'a', quantity: 1 }], ttlSeconds: 5 });
  clock.advance(5_000);
  const commit = await settle(app, 'late', 'commit');
  assert.equal(commit.status, 409);
  assert.equal(commit.body.code, 'RESERVATION_EXPIRED');
  assert.equal(commit.body.expired, true);
  assert.match(commit.body.detail ?? '', /expired at 2030-01-01T00:00:05.000Z/);
  const release = await settle(app, 'gone', 'release');
  assert.equal(release.status, 200);
  assert.equal(release.body.status, 'RELEASED');
  assert.equal(release.body.releaseReason, 'expired');
  assert.equal(await available(app, 'a'), 5, 'each expired unit came back once');
  await app.close();
});

test('with the real clock, a 1-second reservation comes back by itself', async () => {
  const { app, admin, repo } = await startInventory({ sweepMs: 20 });
  await setStock(app, admin, { a: 2 });
  await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 2 }], ttlSeconds: 1 });
  assert.equal((await repo.stock('a'))?.available, 0);
  await waitFor('the reservation to expire', async () => ((await repo.stock('a'))?.available === 2 ? true : undefined), 30_000);
  assert.equal((await repo.reservation('o1'))?.releaseReason, 'expired');
  await app.close();
});
