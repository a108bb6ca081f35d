// /docs: one reference merged from every service's OpenAPI document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { schemaTree } from '../src/docs/html.ts';
import { startGateway, table, upstreamServer } from './helpers.ts';

const catalogDoc = {
  openapi: '3.1.0',
  info: { title: 'Bazaar catalog', version: '0.1.0', description: 'Products <and> prices' },
  paths: {
    '/api/catalog/products/{id}': {
      get: { summary: 'One product', tags: ['products'], parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Product' } } } } } },
      patch: { summary: 'Change a product', tags: ['products'], responses: { 200: { description: 'ok' } } },
    },
    '/api/catalog/secret-admin-thing': { get: { summary: 'Not routed by the gateway', responses: {} } },
    '/internal/catalog/dump': { get: { summary: 'Internal only', responses: {} } },
  },
  components: { schemas: { Product: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, name: { type: 'string', maxLength: 200, description: '<b>shown escaped</b>' } } } } },
};

test('GET /docs serves one self-contained reference of what the gateway exposes', async (t) => {
  const catalog = await upstreamServer((req, res) => {
    if (req.url === '/openapi.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(catalogDoc));
    else res.writeHead(404).end();
  });
  const gw = await startGateway({ upstreams: table({ catalog: catalog.url, search: 'http://127.0.0.1:1' }) });
  t.after(async () => {
    await gw.close();
    await catalog.close();
  });
  const json = await request(`${gw.url}/docs/openapi.json`);
  assert.equal(json.statusCode, 200);
  const doc = (await json.body.json()) as { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, unknown> }; info: { description: string } };
  assert.deepEqual(Object.keys(doc.paths), ['/api/catalog/products/{id}'], 'only routed operations; never /internal');
  assert.equal(doc.paths['/api/catalog/products/{id}']?.get?.['x-bazaar-access'], 'public');
  assert.equal(doc.paths['/api/catalog/products/{id}']?.patch?.['x-bazaar-access'], 'admin');
  assert.deepEqual(doc.paths['/api/catalog/products/{id}']?.get?.tags, ['catalog · products']);
  assert.ok(doc.components.schemas['catalog.Product'], 'schemas are namespaced by service');
  assert.match(doc.info.description, /search/, 'a service whose document is missing is named');

  const page = await request(`${gw.url}/docs`);
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  const html = await page.body.text();
  assert.match(html, /One product/);
  assert.match(html, /\/api\/catalog\/products\/\{id\}/);
  assert.match(html, /class="a admin">admin/);
  assert.ok(!html.includes('<b>shown escaped</b>'), 'descriptions are escaped');
  assert.ok(!/<script|src="http/i.test(html), 'no script, nothing fetched from elsewhere');
});

test('schema trees resolve references and survive cycles', () => {
  const schemas = { Node: { type: 'object', properties: { child: { $ref: '#/components/schemas/Node' } } } };
  const html = schemaTree({ $ref: '#/components/schemas/Node' }, schemas, 0);
  assert.match(html, /child/);
});
