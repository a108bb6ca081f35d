// The cart app with carts in Redis (REDIS_URL): the HTTP surface behaves as
// over SQLite, the lines land in Redis, and /readyz checks Redis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cart } from '@bazaar/contracts/cart';
import { bearer, products, startCart, startCatalogStandIn } from './helpers.ts';
import { testRedis } from './redis.ts';

test('redis: PUT and GET /api/cart keep the lines in Redis; /readyz checks Redis and fails when it is gone', async (t) => {
  const catalog = await startCatalogStandIn();
  const redis = await testRedis(t);
  const store = await redis.open();
  const cart = await startCart({ catalogUrl: catalog.url, redis: store });
  t.after(async () => {
    await cart.close();
    await catalog.close();
  });
  const token = await cart.token('alice');

  const put = await cart.app.inject({ method: 'PUT', url: `/api/cart/items/${products.mug.id}`, headers: bearer(token), payload: { quantity: 2 } });
  assert.equal(put.statusCode, 200);
  await cart.app.inject({ method: 'PUT', url: `/api/cart/items/${products.lamp.id}`, headers: bearer(token), payload: { quantity: 1 } });
  const got = (await cart.app.inject({ url: '/api/cart', headers: bearer(token) })).json() as Cart;
  assert.deepEqual(got.items.map((i) => [i.productId, i.quantity]), [[products.mug.id, 2], [products.lamp.id, 1]]);
  assert.equal(got.total.amount, 2 * 899 + 2599);
  assert.deepEqual(await redis.admin.hgetall(`${redis.keyPrefix}{alice}:lines`), { [products.mug.id]: '2', [products.lamp.id]: '1' });
  assert.equal((await cart.store.db.selectFrom('cart_lines').selectAll().execute()).length, 0, 'nothing in the relational store');

  const ready = await cart.app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json().checks, { store: 'ok', redis: 'ok' });

  await store.close();
  const down = await cart.app.inject({ url: '/readyz' });
  assert.equal(down.statusCode, 503);
  assert.match(down.json().checks.redis, /Redis at rediss?:\/\/.* does not answer PING/);
  const put503 = await cart.app.inject({ method: 'PUT', url: `/api/cart/items/${products.pen.id}`, headers: bearer(token), payload: { quantity: 1 } });
  assert.equal(put503.statusCode, 503);
  assert.equal(put503.json().code, 'UPSTREAM_UNAVAILABLE');
});
