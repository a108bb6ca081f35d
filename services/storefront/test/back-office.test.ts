// The back office's customers, product archive and stock adjustments, and the shopper's paged order history,
// against a stand-in shop API: what each page asks the services and what it shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamError } from '@bazaar/kit';
import type { Customer, Product, ShopApi } from '../src/upstream/shop.ts';
import { storefrontUnderTest } from './helpers.ts';

const calls: { name: string; args: unknown[] }[] = [];
const record = (name: string, ...args: unknown[]) => calls.push({ name, args });
const called = (name: string) => calls.filter((c) => c.name === name);

const ada: Customer = { id: 'u-ada', email: 'ada@example.com', name: 'Ada Lovelace', roles: ['customer'], createdAt: '2026-01-02T10:00:00.000Z' };
const lamp: Product = { id: 'p-lamp', sku: 'LAMP-0001', name: 'Desk Lamp', description: 'Warm light.', category: 'home-kitchen', price: { amount: 2599, currency: 'EUR' }, archived: false };
const order = (n: number) => ({ id: `order-${n}`, status: 'CONFIRMED', items: [], total: { amount: 100 * n, currency: 'EUR' }, createdAt: '2026-01-02T10:00:00.000Z', customer: { email: 'sam@example.com' } });

const api = {
  categories: async () => [{ slug: 'home-kitchen', name: 'Home & Kitchen', productCount: 1 }],
  cart: async () => ({ items: [], total: { amount: 0, currency: 'EUR' } }),
  login: async (body: { email: string }) => ({ accessToken: `token-${body.email}`, refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 }),
  me: async (caller: { token: string }) => {
    const email = caller.token.replace('token-', '');
    return { id: email, email, name: email, roles: email.startsWith('admin') ? ['admin', 'customer'] : ['customer'] };
  },
  customers: async (_caller: unknown, query: { q?: string; cursor?: string }) => {
    record('customers', query);
    if (query.cursor === 'stale') throw new UpstreamError('gateway', 400, { code: 'INVALID_CURSOR' });
    return { items: query.q === 'nobody' ? [] : [ada], nextCursor: query.cursor ? null : 'c-2' };
  },
  customer: async (_caller: unknown, id: string) => {
    if (id !== ada.id) throw new UpstreamError('gateway', 404, { code: 'CUSTOMER_NOT_FOUND' });
    return ada;
  },
  product: async () => lamp,
  stock: async () => ({ productId: lamp.id, available: 4 }),
  stockAdjustments: async (_caller: unknown, productId: string, query: unknown) => {
    record('stockAdjustments', productId, query);
    return { items: [{ id: 'a1', productId, delta: -3, available: 4, reason: 'damaged', by: { id: 'admin-1', email: 'admin@example.com' }, at: '2026-01-03T09:00:00.000Z' }], nextCursor: 'adj-2' };
  },
  adjustStock: async (_caller: unknown, productId: string, body: unknown) => (record('adjustStock', productId, body), { productId, available: 9 }),
  archivedProducts: async (query: unknown) => (record('archivedProducts', query), { items: [{ ...lamp, archived: true }], nextCursor: null }),
  setArchived: async (_caller: unknown, id: string, archived: boolean) => (record('setArchived', id, archived), { ...lamp, archived }),
  search: async () => ({ items: [{ ...lamp, available: 2, score: 0 }], total: 1, nextCursor: null, facets: { categories: [] } }),
  orderPage: async (_caller: unknown, query: { cursor?: string; limit: number }) => {
    record('orderPage', query);
    if (query.cursor === 'stale') throw new UpstreamError('gateway', 400, { code: 'INVALID_CURSOR' });
    return query.cursor === 'o-2' ? { items: [order(11)], nextCursor: null } : { items: Array.from({ length: query.limit }, (_, i) => order(i + 1)), nextCursor: 'o-2' };
  },
} as unknown as ShopApi;

const { app } = await storefrontUnderTest(api);

/** A browser-like agent: keeps cookies, reads the CSRF token of the last page. */
async function signedIn(email: string) {
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (res: { cookies: { name: string; value: string }[] }) => res.cookies.forEach((c) => jar.set(c.name, c.value));
  let csrf = '';
  const get = async (url: string) => {
    const res = await app.inject({ url, headers: { cookie: cookie() } });
    keep(res);
    csrf = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? csrf;
    return res;
  };
  const post = async (url: string, fields: Record<string, string>, opts: { csrf?: boolean } = {}) => {
    const payload = new URLSearchParams({ ...(opts.csrf === false ? {} : { _csrf: csrf }), ...fields }).toString();
    const res = await app.inject({ method: 'POST', url, headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' }, payload });
    keep(res);
    return res;
  };
  await get('/account/login');
  if (email) assert.equal((await post('/account/login', { email, password: 'x', next: '/' })).statusCode, 303);
  await get('/');
  return { get, post };
}

test('back office pages: anonymous visitors are sent to sign in, customers get 403, and posts need the CSRF token', async () => {
  const anonymous = await signedIn('');
  const shopper = await signedIn('sam@example.com');
  for (const url of ['/admin/customers', `/admin/customers/${ada.id}`, `/admin/products/${lamp.id}`, '/admin/stock']) {
    const res = await anonymous.get(url);
    assert.equal(res.statusCode, 303, url);
    assert.match(res.headers.location as string, /^\/account\/login\?next=/);
    assert.equal((await shopper.get(url)).statusCode, 403, url);
  }
  for (const url of [`/admin/products/${lamp.id}/archive`, `/admin/products/${lamp.id}/unarchive`, `/admin/stock/${lamp.id}`]) {
    assert.equal((await shopper.post(url, { available: '3', reason: 'restock' })).statusCode, 403, url);
  }
  const admin = await signedIn('admin@example.com');
  await admin.get(`/admin/products/${lamp.id}`);
  assert.equal((await admin.post(`/admin/products/${lamp.id}/archive`, {}, { csrf: false })).statusCode, 403, 'no CSRF token');
  assert.equal(called('setArchived').length, 0, 'nothing reached the catalog');
  assert.equal(called('adjustStock').length, 0);
});

test('customers: search and paging go to identity; a customer page links to their orders; unknown id is 404', async () => {
  const admin = await signedIn('admin@example.com');
  calls.length = 0;
  const list = await admin.get('/admin/customers?q=Ada');
  assert.equal(list.statusCode, 200);
  assert.deepEqual(called('customers')[0]?.args[0], { limit: 25, q: 'Ada' });
  assert.match(list.body, /<label for="customer-q">/);
  assert.match(list.body, /ada@example\.com/);
  assert.match(list.body, /href="\/admin\/customers\?q=Ada&cursor=c-2">Older customers/);
  const older = await admin.get('/admin/customers?q=Ada&cursor=c-2');
  assert.deepEqual(called('customers')[1]?.args[0], { limit: 25, q: 'Ada', cursor: 'c-2' });
  assert.match(older.body, /Newest customers/);
  assert.equal((await admin.get('/admin/customers?cursor=stale')).statusCode, 200, 'a stale cursor starts again');
  assert.match((await admin.get('/admin/customers?q=nobody')).body, /No customer’s email or name contains/);

  const one = await admin.get(`/admin/customers/${ada.id}`);
  assert.equal(one.statusCode, 200);
  assert.match(one.body, /href="\/admin\/orders\?customer=u-ada"/);
  assert.equal((await admin.get('/admin/customers/nobody')).statusCode, 404);
  assert.match((await admin.get('/admin/customers')).body, /<a href="\/admin\/customers">Customers<\/a>/, 'the admin nav links to customers');
});

test('archive and unarchive post to the catalog and come back to the product with a notice; the page offers the right button', async () => {
  const admin = await signedIn('admin@example.com');
  const page = await admin.get(`/admin/products/${lamp.id}`);
  assert.match(page.body, /action="\/admin\/products\/p-lamp\/archive"/);
  calls.length = 0;
  const archived = await admin.post(`/admin/products/${lamp.id}/archive`, {});
  assert.equal(archived.statusCode, 303);
  assert.equal(archived.headers.location, '/admin/products/p-lamp?notice=product-archived');
  const unarchived = await admin.post(`/admin/products/${lamp.id}/unarchive`, {});
  assert.equal(unarchived.headers.location, '/admin/products/p-lamp?notice=product-unarchived');
  assert.deepEqual(called('setArchived').map((c) => c.args), [['p-lamp', true], ['p-lamp', false]]);
  const list = await admin.get('/admin/products/archived');
  assert.equal(list.statusCode, 200);
  assert.match(list.body, /href="\/admin\/products\/p-lamp">Desk Lamp/);
  assert.deepEqual(called('archivedProducts').map((c) => c.args[0]), [{ limit: 25 }]);
});

test('stock: a reason is required, errors show beside the fields and nothing is sent; a valid adjustment is sent with its reason; history is shown', async () => {
  const admin = await signedIn('admin@example.com');
  const page = await admin.get(`/admin/products/${lamp.id}`);
  assert.match(page.body, /id="stock-history"/);
  assert.match(page.body, /damaged/);
  assert.match(page.body, /Older adjustments/);
  calls.length = 0;
  const missing = await admin.post(`/admin/stock/${lamp.id}`, { available: '9', reason: ' ', back: `/admin/products/${lamp.id}` });
  assert.equal(missing.statusCode, 422);
  assert.match(missing.body, /<p class="field-error" id="reason-error">Say why the stock changes/);
  assert.match(missing.body, /aria-describedby="reason-error"/);
  const bad = await admin.post(`/admin/stock/${lamp.id}`, { available: '-1', reason: 'restock' });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /id="stock-p-lamp-error">Enter a whole number/);
  assert.equal(called('adjustStock').length, 0);

  const ok = await admin.post(`/admin/stock/${lamp.id}`, { available: '9', reason: 'restock', back: `/admin/products/${lamp.id}` });
  assert.equal(ok.statusCode, 303);
  assert.equal(ok.headers.location, '/admin/products/p-lamp?notice=stock-saved');
  const fromList = await admin.post(`/admin/stock/${lamp.id}`, { available: '5', reason: 'count correction' });
  assert.equal(fromList.headers.location, '/admin/stock?notice=stock-saved');
  assert.deepEqual(called('adjustStock').map((c) => c.args), [['p-lamp', { available: 9, reason: 'restock' }], ['p-lamp', { available: 5, reason: 'count correction' }]]);
});

test('order history: ten orders a page from the orders service, "Older orders" carries its cursor, a stale cursor starts again', async () => {
  const shopper = await signedIn('sam@example.com');
  calls.length = 0;
  const first = await shopper.get('/account');
  assert.equal(first.statusCode, 200);
  assert.equal((first.body.match(/href="\/orders\/order-/g) ?? []).length, 10);
  assert.match(first.body, /href="\/account\?cursor=o-2">Older orders/);
  const second = await shopper.get('/account?cursor=o-2');
  assert.match(second.body, /order-11/);
  assert.doesNotMatch(second.body, /Older orders/);
  assert.match(second.body, /Newest orders/);
  assert.equal((await shopper.get('/account?cursor=stale')).statusCode, 200);
  assert.deepEqual(called('orderPage').map((c) => c.args[0]), [{ limit: 10 }, { limit: 10, cursor: 'o-2' }, { limit: 10, cursor: 'stale' }, { limit: 10 }]);
});
