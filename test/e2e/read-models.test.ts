// Search and reports end to end: read models fed by events from the real
// processes, kept through restarts, answering while their sources are down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, portBaseFor, startSystem, until, type RunningSystem } from '../../tools/launcher/src/harness.ts';
import { http, logIn, signUp } from './client.ts';

const work = mkdtempSync(join(tmpdir(), 'bazaar-read-'));
let system: RunningSystem;
let admin = '';
let user = '';
const api = (path: string) => `${system.gatewayUrl}${path}`;

interface SearchHit {
  id: string;
  name: string;
  available: number;
}
interface SearchResult {
  items: SearchHit[];
  total: number;
  facets: { category: Record<string, number> };
}
interface Sales {
  orders: number;
  revenue: { amount: number };
  topProducts: { productId: string; units: number }[];
}

before(async () => {
  system = await startSystem({ portBase: portBaseFor(3), dataDir: join(work, 'data'), logDir: join(work, 'logs') });
  admin = await logIn(system.gatewayUrl, 'admin@bazaar.local', 'bazaar-admin-password');
  user = await signUp(system.gatewayUrl, { email: `reader-${process.pid}@example.com`, password: 'correct horse battery staple', name: 'Reader' });
});

after(async () => {
  await system?.stop();
  rmSync(work, { recursive: true, force: true });
});

const search = (query: string) => http<SearchResult>(api(`/api/search?${query}`));
const sales = () => http<Sales>(api('/api/reports/sales'), { token: admin });
/**
 * The sales figures from an answer. On a busy machine one read can meet a 504 (reports slower than the gateway's
 * deadline) or a 503 (catching up, breaker half-open): its body has no "orders", and a count compared with it could
 * never be reached, so every figure a test compares is read from a 200.
 */
const salesAnswer = (what: string) =>
  until(what, 60_000, async () => {
    const res = await sales();
    return res.status === 200 ? res.body : undefined;
  });

let product = { id: '', name: 'Zephyrine Studio Headphones', price: 12_999 };

test('a product created through the catalog is searchable, also with typos', async () => {
  const created = await http<{ id: string }>(api('/api/catalog/products'), {
    method: 'POST',
    token: admin,
    body: { sku: `ZEPH-${process.pid}`, name: product.name, description: 'Closed-back headphones for mixing.', category: 'audio', price: { amount: product.price, currency: 'EUR' } },
  });
  assert.equal(created.status, 201);
  product = { ...product, id: created.body.id };
  const t0 = Date.now();
  await until('the new product in search', 60_000, async () => ((await search('q=zephyrine')).body.items?.some((i) => i.id === product.id) ? true : undefined));
  console.log(`# product searchable ${Date.now() - t0} ms after creation`);
  const typo = await search('q=zephyrine%20headphnes');
  assert.equal(typo.status, 200);
  assert.equal(typo.body.items[0]?.id, product.id, 'the typo still ranks it first');
  const facets = await search('q=headphones');
  assert.ok((facets.body.facets.category.audio ?? 0) > 0);
  assert.ok(facets.body.total > 1);
});

test('a stock change is reflected in search', async () => {
  await until('inventory to know the product', 60_000, async () => ((await http(api(`/api/inventory/${product.id}`))).status === 200 ? true : undefined));
  assert.equal((await http(api(`/api/inventory/${product.id}`), { method: 'PUT', token: admin, body: { available: 7 } })).status, 200);
  const t0 = Date.now();
  await until('available = 7 in search', 60_000, async () => ((await search('q=zephyrine')).body.items[0]?.available === 7 ? true : undefined));
  console.log(`# stock change visible in search ${Date.now() - t0} ms after the update`);
  assert.ok((await search('q=zephyrine&inStock=true')).body.items.some((i) => i.id === product.id));
});

test('reports are admin-only; a checkout shows up once', async () => {
  assert.equal((await http(api('/api/reports/sales'))).status, 401);
  assert.equal((await http(api('/api/reports/sales'), { token: user })).status, 403);
  const before = await salesAnswer('the sales report before the checkout');
  const filled = await http(api(`/api/cart/items/${product.id}`), { method: 'PUT', token: user, body: { quantity: 2 } });
  assert.equal(filled.status, 200);
  const checkout = await http<{ orderId: string }>(api('/api/checkout'), {
    method: 'POST',
    token: user,
    headers: { 'idempotency-key': `report-${process.pid}`, 'if-match': filled.etag ?? '' },
    body: { shippingAddress: { name: 'R', line1: '1 St', city: 'Nice', postalCode: '06000', country: 'FR' }, card: { number: '4242424242424242', expMonth: 1, expYear: 2040, cvc: '123' } },
  });
  assert.ok(checkout.status === 201 || checkout.status === 202);
  await until('the order confirmed', 60_000, async () => ((await http<{ status: string }>(api(`/api/orders/${checkout.body.orderId}`), { token: user })).body.status === 'CONFIRMED' ? true : undefined));
  const t0 = Date.now();
  const after = await until('the report to count the order', 60_000, async () => {
    const res = await sales();
    return res.status === 200 && res.body.orders === before.orders + 1 ? res.body : undefined;
  });
  console.log(`# confirmed order in the report ${Date.now() - t0} ms after confirmation`);
  assert.equal(after.revenue.amount, before.revenue.amount + 2 * product.price);
  assert.equal(after.topProducts.find((p) => p.productId === product.id)?.units, 2);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await salesAnswer('the sales report after the count')).orders, before.orders + 1, 'counted once');
});

test('kill -9 of search and reports: after the restart, the same answers', async () => {
  const searchBefore = (await search('q=zephyrine%20headphnes')).body;
  const salesBefore = await salesAnswer('the sales report before');
  for (const name of ['search', 'reports']) {
    const info = await system.service(name);
    process.kill(info.pid as number, 'SIGKILL');
    await until(`${name} gone`, 60_000, () => (alive(info.pid as number) ? undefined : true));
    await until(`${name} back and ready`, 60_000, async () => {
      const now = await system.service(name);
      return now.state === 'ready' && now.pid !== info.pid ? true : undefined;
    });
  }
  assert.deepEqual((await search('q=zephyrine%20headphnes')).body.items.map((i) => i.id), searchBefore.items.map((i) => i.id));
  // "Ready" is the launcher's view; the first reads through the gateway may still meet a 503 (catching up, breaker half-open).
  const salesAfter = await salesAnswer('the sales report through the gateway after the restart');
  assert.equal(salesAfter.orders, salesBefore.orders);
  assert.equal(salesAfter.revenue.amount, salesBefore.revenue.amount);
});

test('catalog down: search keeps answering from its index', async () => {
  assert.equal((await http(`${system.controlUrl}/api/services/catalog/stop`, { method: 'POST' })).status, 202);
  try {
    const res = await search('q=zephyrine');
    assert.equal(res.status, 200);
    assert.equal(res.body.items[0]?.id, product.id);
  } finally {
    await http(`${system.controlUrl}/api/services/catalog/start`, { method: 'POST' });
    await until('catalog ready', 60_000, async () => ((await system.service('catalog')).state === 'ready' ? true : undefined));
  }
});

test('files lost: both rebuild from the producers\' event history to the same answers', async () => {
  const searchBefore = (await search('q=zephyrine%20headphnes')).body;
  const facetsBefore = (await search('q=headphones')).body.facets;
  const salesBefore = await salesAnswer('the sales report before');
  for (const name of ['search', 'reports']) {
    assert.equal((await http(`${system.controlUrl}/api/services/${name}/stop`, { method: 'POST' })).status, 202);
  }
  rmSync(join(work, 'data', 'search'), { recursive: true, force: true });
  for (const file of ['reports.duckdb', 'reports.duckdb.wal']) rmSync(join(work, 'data', file), { force: true });
  for (const name of ['search', 'reports']) {
    await http(`${system.controlUrl}/api/services/${name}/start`, { method: 'POST' });
    await until(`${name} rebuilt and ready`, 60_000, async () => ((await system.service(name)).state === 'ready' ? true : undefined));
  }
  // Ready in the launcher's table is not yet routed by the gateway (it re-admits a restarted instance at its next
  // health check): wait until both answer through it, as a client would see them.
  await until('search to answer through the gateway again', 60_000, async () => ((await search('q=zephyrine%20headphnes')).status === 200 ? true : undefined));
  const searchAfter = (await search('q=zephyrine%20headphnes')).body;
  assert.deepEqual(searchAfter.items.map((i) => [i.id, i.available]), searchBefore.items.map((i) => [i.id, i.available]));
  assert.deepEqual((await search('q=headphones')).body.facets, facetsBefore);
  // "Ready" is the launcher's view; the first reads through the gateway may still meet a 503 (catching up, breaker half-open).
  const salesAfter = await salesAnswer('the sales report through the gateway after the restart');
  assert.equal(salesAfter.orders, salesBefore.orders);
  assert.equal(salesAfter.revenue.amount, salesBefore.revenue.amount);
  assert.deepEqual(salesAfter.topProducts, salesBefore.topProducts);
});
