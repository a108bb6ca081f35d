// Pages at the edge (issue 15): /, /admin and assets go to the storefront; /api, health and /docs do not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { isWebPath } from '../src/proxy/web.ts';
import { echo, startGateway, table, upstreamServer, type RunningGateway } from './helpers.ts';

let api: Awaited<ReturnType<typeof upstreamServer>>;
let web: Awaited<ReturnType<typeof upstreamServer>>;
let gw: RunningGateway;
let bare: RunningGateway;

before(async () => {
  api = await upstreamServer(echo);
  web = await upstreamServer((req, res, body) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'", 'set-cookie': 'bazaar_session=x; HttpOnly' });
    res.end(`<p>${req.method} ${req.url} ${req.headers['x-forwarded-proto']} ${body.length}</p>`);
  });
  gw = await startGateway({ upstreams: table({ catalog: api.url, storefront: web.url }), bodyLimit: 2048 });
  bare = await startGateway({ upstreams: table({ catalog: api.url }) });
});

after(async () => {
  await gw.close();
  await bare.close();
  await api.close();
  await web.close();
});

test('which paths are pages', () => {
  for (const page of ['/', '/?notice=x', '/c/audio', '/admin', '/admin/products/1', '/assets/app.1234.css', '/images/products/a.svg']) assert.equal(isWebPath(page), true, page);
  for (const own of ['/api/catalog/products', '/internal/payments/authorize', '/internal', '/healthz', '/readyz', '/metrics', '/docs', '/docs/openapi.json', '/openapi.json']) assert.equal(isWebPath(own), false, own);
});

test('the home page, back office and assets are proxied to the storefront with its headers', async () => {
  for (const path of ['/', '/admin', '/assets/app.1234.css', '/search?q=tent']) {
    const res = await request(`${gw.url}${path}`);
    assert.equal(res.statusCode, 200, path);
    assert.equal(await res.body.text(), `<p>GET ${path} http 0</p>`);
    // The page's own CSP wins over the API's default-src 'none' (two CSP headers would both apply and break the page).
    assert.deepEqual(res.headers['content-security-policy'], "default-src 'self'");
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(String(res.headers['set-cookie']), /bazaar_session=x/);
    assert.ok(res.headers['x-request-id']);
  }
});

test('form posts reach the storefront, and back office uploads may exceed the API body limit', async () => {
  const form = await request(`${gw.url}/cart/items`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'productId=1&quantity=2' });
  assert.equal(form.statusCode, 200);
  assert.equal(await form.body.text(), '<p>POST /cart/items http 22</p>');
  const upload = 'x'.repeat(10_000);
  const big = await request(`${gw.url}/admin/products`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: upload });
  assert.equal(big.statusCode, 200);
  await big.body.dump();
  const tooBig = await request(`${gw.url}/cart/items`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: upload });
  assert.equal(tooBig.statusCode, 413);
  await tooBig.body.dump();
});

test('the API, health and docs are still the gateway’s own; /api/storefront is not a route', async () => {
  const products = await request(`${gw.url}/api/catalog/products`);
  assert.equal(products.statusCode, 200);
  assert.equal(((await products.body.json()) as { url: string }).url, '/api/catalog/products');
  const health = await request(`${gw.url}/healthz`);
  assert.equal(((await health.body.json()) as { service: string }).service, 'gateway');
  const docs = await request(`${gw.url}/docs`);
  assert.equal(docs.statusCode, 200);
  await docs.body.dump();
  const hidden = await request(`${gw.url}/api/storefront/anything`);
  assert.equal(hidden.statusCode, 404);
  await hidden.body.dump();
});

test('when the storefront is down, a browser gets an HTML page from the gateway, not JSON', async () => {
  const down = await startGateway({ upstreams: table({ storefront: 'http://127.0.0.1:1' }) });
  try {
    const res = await request(`${down.url}/c/audio`);
    assert.equal(res.statusCode, 503);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    const html = await res.body.text();
    assert.match(html, /<h1>[^<]+<\/h1>/);
    assert.match(html, new RegExp(`Request id ${String(res.headers['x-request-id'])}`));
    assert.equal(res.headers['content-security-policy'], "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  } finally {
    await down.close();
  }
});

test('a page may take longer than an API call (an order page waits for a running checkout)', async () => {
  const slow = await upstreamServer((_req, res) => {
    setTimeout(() => res.end('<p>done</p>'), 700).unref();
  });
  // The API deadline is 400 ms in these tests; pages get their own.
  const gateway = await startGateway({ upstreams: table({ storefront: slow.url }) });
  try {
    const res = await request(`${gateway.url}/orders/1`);
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), '<p>done</p>');
  } finally {
    await gateway.close();
    await slow.close();
  }
});

test('without a storefront, pages are not found and nothing else changes', async () => {
  const res = await request(`${bare.url}/`);
  assert.equal(res.statusCode, 404);
  await res.body.dump();
  const products = await request(`${bare.url}/api/catalog/products`);
  assert.equal(products.statusCode, 200);
  await products.body.dump();
});
