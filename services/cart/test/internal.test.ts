import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, products, startCart, startCatalogStandIn } from './helpers.ts';
import { callAs } from '@bazaar/kit/testing';
import type { AfterHook } from '@bazaar/store/testing';

/** A cart app over a catalog stand-in (both closed when the test ends), and alice's token. */
async function startWithAlice(t: AfterHook) {
  const catalog = await startCatalogStandIn();
  const cart = await startCart({ catalogUrl: catalog.url });
  t.after(async () => {
    await cart.close();
    await catalog.close();
  });
  return { catalog, cart, alice: await cart.token('alice') };
}

test("GET /internal/carts/:userId answers that user's priced cart to a caller with the service credential only", async (t) => {
  const { catalog, cart, alice } = await startWithAlice(t);
  await cart.app.inject({ method: 'PUT', url: `/api/cart/items/${products.lamp.id}`, headers: bearer(alice), payload: { quantity: 2 } });
  await cart.app.inject({ method: 'PUT', url: `/api/cart/items/${products.mug.id}`, headers: bearer(alice), payload: { quantity: 1 } });

  const missing = await cart.app.inject({ url: '/internal/carts/alice' });
  assert.equal(missing.statusCode, 401);
  assert.match(missing.headers['content-type'] as string, /application\/problem\+json/);
  const wrong = await cart.app.inject({ url: '/internal/carts/alice', headers: callAs('cart', 'orders', 'not-the-service-credential-at-all') });
  assert.equal(wrong.statusCode, 401, 'a wrong secret is no credential');
  const notNamed = await cart.app.inject({ url: '/internal/carts/alice', headers: callAs('cart', 'search') });
  assert.equal(notNamed.statusCode, 403, 'a service the route does not name is refused, with a valid credential');
  const asUser = await cart.app.inject({ url: '/internal/carts/alice', headers: bearer(alice) });
  assert.equal(asUser.statusCode, 401, "a user's access token is not a service credential");

  const res = await cart.app.inject({ url: '/internal/carts/alice', headers: callAs('cart', 'orders') });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), (await cart.app.inject({ url: '/api/cart', headers: bearer(alice) })).json());
  assert.equal(res.json().total.amount, 2 * 2599 + 899);

  const nobody = await cart.app.inject({ url: '/internal/carts/nobody', headers: callAs('cart', 'orders') });
  assert.deepEqual({ ...(nobody.json() as object), version: 'any' }, { items: [], total: { amount: 0, currency: 'EUR' }, version: 'any' }, 'a user without a cart has an empty one');

  await catalog.close();
  const down = await cart.app.inject({ url: '/internal/carts/alice', headers: callAs('cart', 'orders') });
  assert.equal(down.statusCode, 503, 'orders sees a retryable 503 when the catalog is down');
});

test('POST /internal/carts/:userId/ordered is for orders alone: 401 anonymous, with a wrong secret or a user token; 403 for payments; 400 for a bad body', async (t) => {
  const { cart, alice } = await startWithAlice(t);
  const put = await cart.app.inject({ method: 'PUT', url: `/api/cart/items/${products.lamp.id}`, headers: bearer(alice), payload: { quantity: 2 } });
  const body = { orderId: 'o-1', cartVersion: put.json().version as string, items: [{ productId: products.lamp.id, quantity: 2 }] };
  const call = (headers: Record<string, string>, payload: unknown = body) => cart.app.inject({ method: 'POST', url: '/internal/carts/alice/ordered', headers, payload: payload as object });

  for (const [what, headers, status] of [
    ['anonymous', {}, 401],
    ['a wrong secret', callAs('cart', 'orders', 'not-the-service-credential-at-all'), 401],
    ["the user's own token", bearer(alice), 401],
    ["payments' credential", callAs('cart', 'payments'), 403],
  ] as const) {
    const res = await call(headers);
    assert.equal(res.statusCode, status, what);
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/, what);
  }
  assert.equal((await call({}, { nonsense: true })).statusCode, 401, 'authentication before validation');
  assert.equal((await call(callAs('cart', 'orders'), { ...body, items: [] })).statusCode, 400, 'an order has lines');
  assert.equal((await call(callAs('cart', 'orders'), { ...body, items: [{ productId: products.lamp.id, quantity: 0 }] })).statusCode, 400);
  const lamps = async () => ((await cart.app.inject({ url: '/api/cart', headers: bearer(alice) })).json() as { items: unknown[] }).items.length;
  assert.equal(await lamps(), 1, 'no refused call changed the cart');

  const ok = await call(callAs('cart', 'orders'));
  assert.equal(ok.statusCode, 204);
  assert.equal(await lamps(), 0);
});
