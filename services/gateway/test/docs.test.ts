// /docs and the routing table, both generated from the route descriptors in @bazaar/contracts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { Type } from 'typebox';
import { access, defineRoute, serviceRoutes } from '@bazaar/contracts';
import { schemaTree } from '../src/docs/html.ts';
import { echo, startGateway, table, upstreamServer } from './helpers.ts';

interface Doc {
  paths: Record<string, Record<string, { 'x-bazaar-access'?: string; tags?: string[]; responses: Record<string, { content?: Record<string, unknown> }>; parameters?: { name: string; in: string; required: boolean }[] }>>;
}

test('GET /docs serves one self-contained reference of exactly what the gateway exposes', async (t) => {
  const gw = await startGateway({ upstreams: table({ catalog: 'http://127.0.0.1:1', orders: 'http://127.0.0.1:1', checkout: 'http://127.0.0.1:1' }) });
  t.after(() => gw.close());
  const json = await request(`${gw.url}/docs/openapi.json`);
  assert.equal(json.statusCode, 200);
  const doc = (await json.body.json()) as Doc;
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/catalog/categories', '/api/catalog/products', '/api/catalog/products/{id}', '/api/catalog/products/{id}/archive', '/api/catalog/products/{id}/unarchive', '/api/checkout', '/api/orders', '/api/orders/{id}']);
  assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/internal')), 'never /internal');
  const product = doc.paths['/api/catalog/products/{id}'];
  assert.equal(product?.get?.['x-bazaar-access'], 'public');
  assert.equal(product?.patch?.['x-bazaar-access'], 'admin');
  assert.deepEqual(product?.get?.tags, ['catalog · products']);
  assert.deepEqual(product?.get?.parameters?.map((p) => [p.name, p.in, p.required]), [['id', 'path', true]]);
  // Errors are declared as what they are, and the gateway's own answers are declared too.
  assert.ok(product?.get?.responses['404']?.content?.['application/problem+json']);
  for (const status of ['414', '429', '503', '504']) assert.ok(product?.get?.responses[status], `gateway status ${status} declared`);
  assert.ok(product?.patch?.responses['401'] && product.patch.responses['403'] && product.patch.responses['413']);

  const page = await request(`${gw.url}/docs`);
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  const html = await page.body.text();
  assert.match(html, /One product/);
  assert.match(html, /\/api\/catalog\/products\/\{id\}/);
  assert.match(html, /class="a admin">admin/);
  assert.ok(!/<script|src="http/i.test(html), 'no script, nothing fetched from elsewhere');
});

test('a new public route declared in the contracts is routed at the edge and documented, without touching the gateway', async (t) => {
  const wishlist = defineRoute({
    service: 'wishlist', method: 'GET', path: '/api/wishlist/items/:id', access: access.user,
    summary: 'One item of my wishlist <b>escaped</b>', tags: ['wishlist'],
    params: Type.Object({ id: Type.String({ maxLength: 50 }) }), responses: { 200: Type.Object({ id: Type.String() }) }, errors: [404],
  });
  const upstream = await upstreamServer((req, res, body) => echo(req, res, body));
  const gw = await startGateway({ upstreams: table({ wishlist: upstream.url }), descriptors: [...serviceRoutes, wishlist] });
  t.after(async () => {
    await gw.close();
    await upstream.close();
  });
  // Routed with the declared access: a user route needs a token...
  const anonymous = await request(`${gw.url}/api/wishlist/items/w1`);
  assert.equal(anonymous.statusCode, 401);
  await anonymous.body.dump();
  const token = await gw.keys.sign({ sub: 'u1' });
  const ok = await request(`${gw.url}/api/wishlist/items/w1`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.statusCode, 200);
  await ok.body.dump();
  assert.equal(upstream.seen.at(-1)?.url, '/api/wishlist/items/w1');
  // ...and an undeclared path or method under the area is not routed.
  const other = await request(`${gw.url}/api/wishlist/secret`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(other.statusCode, 404);
  await other.body.dump();
  const del = await request(`${gw.url}/api/wishlist/items/w1`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  assert.equal(del.statusCode, 405);
  await del.body.dump();
  // Documented.
  const doc = (await (await request(`${gw.url}/docs/openapi.json`)).body.json()) as Doc;
  assert.equal(doc.paths['/api/wishlist/items/{id}']?.get?.['x-bazaar-access'], 'user');
  const html = await (await request(`${gw.url}/docs`)).body.text();
  assert.match(html, /One item of my wishlist/);
  assert.ok(!html.includes('<b>escaped</b>'), 'descriptions are escaped');
});

test('schema trees resolve references and survive cycles', () => {
  const schemas = { Node: { type: 'object', properties: { child: { $ref: '#/components/schemas/Node' } } } };
  const html = schemaTree({ $ref: '#/components/schemas/Node' }, schemas, 0);
  assert.match(html, /child/);
});
