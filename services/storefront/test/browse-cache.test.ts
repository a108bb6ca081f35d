// What browsing pages ask of the services, and when.
// What every page shows and rarely changes — the category menu and the home page's rows — is loaded once and shared.
// The home page's p99 was twenty times its median (184 ms against 8.5 in `npm run bench`): when the rows were not
// cached yet, or every 15 s when they expired, each request in flight loaded them again, one search per category.
// A product page asked for the product, waited, then asked for its stock: two round trips where one does. The cart
// page and the checkout form asked for the cart, then again for the badge's count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { manualClock, testLogger } from '@bazaar/kit/testing';
import { createSessions } from '../src/session.ts';
import type { ShopApi } from '../src/upstream/shop.ts';
import { storefrontUnderTest } from './helpers.ts';

const CATEGORIES = [
  { slug: 'home-kitchen', name: 'Home & Kitchen', productCount: 1 },
  { slug: 'sports-outdoors', name: 'Sports & Outdoors', productCount: 1 },
  { slug: 'books', name: 'Books', productCount: 1 },
];

/** A stand-in shop API that counts its calls; `gate`, while set, holds every search until it resolves. */
function countingApi() {
  const counts = { categories: 0, search: 0 };
  const state: { name: string; gate: Promise<void> | undefined; failing: boolean } = { name: 'Lamp', gate: undefined, failing: false };
  const api = {
    categories: async () => {
      counts.categories++;
      if (state.failing) throw new Error('catalog is down');
      return CATEGORIES;
    },
    search: async (query: { category?: string }) => {
      counts.search++;
      await state.gate;
      if (state.failing) throw new Error('search is down');
      return { items: [{ id: `p-${query.category}`, sku: 'S-1', name: `${state.name} for ${query.category}`, description: '', category: query.category, price: { amount: 1000, currency: 'EUR' }, archived: false, available: 3, score: 0 }], total: 1, nextCursor: null, facets: { categories: [] } };
    },
    cart: async () => ({ items: [], total: { amount: 0, currency: 'EUR' } }),
  } as unknown as ShopApi;
  return { api, counts, state };
}

/** A deferred promise: the test says when a held search may answer. */
function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

/** Fail with what was awaited, rather than hang, when `promise` does not settle within `ms`. */
async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test('ten shoppers opening the home page at once load its rows once: one search per category, one menu', async () => {
  const { api, counts } = countingApi();
  const { app } = await storefrontUnderTest(api, { clock: manualClock({ autoAdvance: false }) });
  const pages = await Promise.all(Array.from({ length: 10 }, () => app.inject('/')));
  for (const page of pages) {
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Lamp for books/);
  }
  assert.equal(counts.search, CATEGORIES.length, 'one round of searches, not one per request');
  assert.equal(counts.categories, 1, 'the menu once');
});

test('once the rows are older than their 15 s, pages show them at once while one refresh runs; then the new ones', async () => {
  const clock = manualClock({ autoAdvance: false });
  const { api, counts, state } = countingApi();
  const { app } = await storefrontUnderTest(api, { clock });
  assert.match((await app.inject('/')).body, /Lamp for books/);
  clock.advance(10_000);
  await app.inject('/');
  assert.equal(counts.search, CATEGORIES.length, 'within 15 s the rows come from memory');

  clock.advance(6_000);
  state.name = 'Kettle';
  const held = deferred();
  state.gate = held.promise;
  // Every search of the refresh is held: a page that waited for it would never answer.
  const pages = await within('pages while the refresh is held', 10_000, Promise.all(Array.from({ length: 5 }, () => app.inject('/'))));
  for (const page of pages) {
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Lamp for books/, 'the rows of before, without waiting');
  }
  assert.equal(counts.search, 2 * CATEGORIES.length, 'one refresh for all five pages');
  held.release();
  state.gate = undefined;
  await within('the refreshed rows', 10_000, (async () => {
    while (!(await app.inject('/')).body.includes('Kettle for books')) await new Promise((r) => setImmediate(r));
  })());
  assert.equal(counts.search, 2 * CATEGORIES.length);
});

test('a refresh that fails keeps the rows and the menu of before; with nothing loaded yet the home page still opens', async () => {
  const clock = manualClock({ autoAdvance: false });
  const { api, counts, state } = countingApi();
  const { app } = await storefrontUnderTest(api, { clock });
  state.failing = true;
  const cold = await app.inject('/');
  assert.equal(cold.statusCode, 200, 'the door opens with the search and catalog down');
  assert.doesNotMatch(cold.body, /Lamp for books/);

  state.failing = false;
  clock.advance(31_000);
  assert.match((await app.inject('/')).body, /Lamp for books/, 'after a failure the next page loads again');
  const loaded = { ...counts };
  state.failing = true;
  clock.advance(31_000);
  for (let i = 0; i < 3; i++) {
    const page = await app.inject('/');
    assert.match(page.body, /Lamp for books/, 'the rows of before');
    assert.match(page.body, /Sports &amp; Outdoors/, 'the menu of before');
  }
  assert.ok(counts.search > loaded.search, 'a refresh was tried');
});

test('a product page asks for the product and its stock at once, not one after the other', async () => {
  const asked: string[] = [];
  let releaseProduct!: () => void;
  const productHeld = new Promise<void>((resolve) => (releaseProduct = resolve));
  const { api } = countingApi();
  Object.assign(api, {
    product: async (id: string) => {
      asked.push('product');
      await productHeld;
      return { id, sku: 'S-1', name: 'Desk Lamp', description: 'Warm light.', category: 'books', price: { amount: 2599, currency: 'EUR' }, archived: false };
    },
    stock: async (id: string) => {
      asked.push('stock');
      return { productId: id, available: 2 };
    },
  });
  const { app } = await storefrontUnderTest(api, { clock: manualClock({ autoAdvance: false }) });
  const page = app.inject('/p/p-lamp');
  try {
    // The product's answer is held: the stock must already have been asked for.
    await within('the stock to be asked for while the product is still on its way', 10_000, (async () => {
      while (!asked.includes('stock')) await new Promise((r) => setImmediate(r));
    })());
  } finally {
    releaseProduct();
  }
  const res = await within('the product page', 10_000, page);
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /Desk Lamp/);
  assert.match(res.body, /only 2 left|2 left/i);
});

test("the cart page and the checkout form ask for the shopper's cart once: the badge counts the cart the page shows", async () => {
  const { api } = countingApi();
  let cartCalls = 0;
  const cart = { items: [{ productId: 'p-lamp', name: 'Desk Lamp', quantity: 3, unitPrice: { amount: 1000, currency: 'EUR' }, lineTotal: { amount: 3000, currency: 'EUR' } }], total: { amount: 3000, currency: 'EUR' }, version: 'v1' };
  Object.assign(api, {
    cart: async () => {
      cartCalls++;
      return cart;
    },
    me: async () => ({ id: 'u-sam', email: 'sam@example.com', name: 'Sam', roles: ['customer'] }),
  });
  const { app, sessions: repo } = await storefrontUnderTest(api, { clock: manualClock({ autoAdvance: false }) });
  const sessions = createSessions({ repo, api, ttlSeconds: 3600, logger: testLogger() });
  let id = '';
  const request = { cookies: {}, headers: {}, protocol: 'http' } as unknown as FastifyRequest;
  const reply = { setCookie: (_name: string, value: string) => ((id = value), reply) } as unknown as FastifyReply;
  await sessions.signIn(request, reply, { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 }, { id: 'u-sam', email: 'sam@example.com', name: 'Sam', roles: ['customer'] });
  for (const url of ['/cart', '/checkout']) {
    cartCalls = 0;
    const page = await app.inject({ url, headers: { cookie: `bazaar_session=${id}` } });
    assert.equal(page.statusCode, 200, url);
    assert.match(page.body, /aria-label="3 items in cart">3</, `${url}: the badge counts the cart shown`);
    assert.equal(cartCalls, 1, `${url}: one call to the cart service`);
  }
  // A page that does not show the cart still asks for the badge's count.
  cartCalls = 0;
  assert.match((await app.inject({ url: '/', headers: { cookie: `bazaar_session=${id}` } })).body, /aria-label="3 items in cart">3</);
  assert.equal(cartCalls, 1);
});
