import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testLogger } from '@bazaar/kit/testing';
import { buildApp } from '../src/app.ts';
import { parseUpstreams } from '../src/config.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let echo: Server;
let slow: Server;
let echoUrl = '';
let slowUrl = '';
const seen: Seen[] = [];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  echo = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(req.url?.includes('missing') ? 404 : 200, { 'content-type': 'application/json', connection: 'keep-alive', 'x-upstream': 'echo' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  });
  slow = createServer((_req, res) => {
    setTimeout(() => res.end('late'), 5000).unref();
  });
  echoUrl = await listen(echo);
  slowUrl = await listen(slow);
});

after(() => {
  echo.closeAllConnections();
  echo.close();
  slow.closeAllConnections();
  slow.close();
});

function gateway(extra: Record<string, string> = {}) {
  const table = { catalog: echoUrl, slowpoke: slowUrl, down: 'http://127.0.0.1:1', ...extra };
  return buildApp({
    logger: testLogger(),
    upstreams: new Map(Object.entries(table)),
    timeoutMs: 300,
    connectTimeoutMs: 300,
    bodyLimit: 2048,
    defaultMetrics: false,
  });
}

test('routes /api/<area>/... to the owning service, path and query unchanged', async () => {
  const app = gateway();
  const res = await app.inject({ method: 'GET', url: '/api/catalog/products?limit=5&cursor=abc' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { method: 'GET', url: '/api/catalog/products?limit=5&cursor=abc', body: '' });
  assert.equal(res.headers['x-upstream'], 'echo');
  await app.close();
});

test('upstream statuses and bodies pass through', async () => {
  const app = gateway();
  const res = await app.inject({ method: 'GET', url: '/api/catalog/missing' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().url, '/api/catalog/missing');
  await app.close();
});

test('request bodies are streamed through untouched, any content type', async () => {
  const app = gateway();
  const json = await app.inject({ method: 'POST', url: '/api/catalog/products', payload: { name: 'lamp' } });
  assert.equal(json.json().body, '{"name":"lamp"}');
  const notJson = await app.inject({ method: 'POST', url: '/api/catalog/products', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
  assert.equal(notJson.json().body, 'hello');
  await app.close();
});

test('hop-by-hop headers are stripped; forwarding, request id and trace headers are set', async () => {
  const app = gateway();
  seen.length = 0;
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const res = await app.inject({
    method: 'GET',
    url: '/api/catalog/x',
    headers: { 'x-request-id': 'abc-1', traceparent: `00-${traceId}-b7ad6b7169203331-01`, 'proxy-authorization': 'secret', te: 'trailers', authorization: 'Bearer t' },
  });
  assert.equal(res.statusCode, 200);
  const got = seen[0];
  assert.ok(got);
  assert.equal(got.headers['x-request-id'], 'abc-1');
  assert.match(String(got.headers.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  assert.notEqual(got.headers.traceparent, `00-${traceId}-b7ad6b7169203331-01`, 'the gateway adds its own span');
  assert.equal(got.headers['proxy-authorization'], undefined);
  assert.equal(got.headers['authorization'], 'Bearer t', 'end-to-end headers are kept');
  assert.ok(got.headers['x-forwarded-for']);
  assert.equal(got.headers['x-forwarded-proto'], 'http');
  assert.equal(res.headers['x-request-id'], 'abc-1');
  await app.close();
});

test('unknown area is 404 problem+json listing the known areas', async () => {
  const app = gateway();
  const res = await app.inject({ method: 'GET', url: '/api/nowhere/things' });
  assert.equal(res.statusCode, 404);
  assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
  assert.equal(res.json().code, 'UNKNOWN_AREA');
  assert.match(res.json().detail, /catalog/);
  const outside = await app.inject({ method: 'GET', url: '/elsewhere' });
  assert.equal(outside.statusCode, 404);
  assert.equal(outside.json().code, 'ROUTE_NOT_FOUND');
  await app.close();
});

test('an upstream that is down is 503 problem+json at once', async () => {
  const app = gateway();
  const started = Date.now();
  const res = await app.inject({ method: 'GET', url: '/api/down/anything' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().code, 'UPSTREAM_UNAVAILABLE');
  assert.ok(Date.now() - started < 2000, 'answered within 2 s');
  await app.close();
});

test('a slow upstream is 504 problem+json after the timeout, never a hang', async () => {
  const app = gateway();
  const started = Date.now();
  const res = await app.inject({ method: 'GET', url: '/api/slowpoke/anything' });
  assert.equal(res.statusCode, 504);
  assert.equal(res.json().code, 'UPSTREAM_TIMEOUT');
  assert.ok(Date.now() - started < 2000, 'answered within 2 s');
  await app.close();
});

test('a declared body over the limit is refused with 413 before reaching the service', async () => {
  const app = gateway();
  seen.length = 0;
  const res = await app.inject({ method: 'POST', url: '/api/catalog/products', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(5000) }) });
  assert.equal(res.statusCode, 413);
  assert.equal(res.json().code, 'BODY_TOO_LARGE');
  assert.equal(seen.length, 0);
  await app.close();
});

test('the routing table is parsed from area=url pairs', () => {
  assert.deepEqual([...parseUpstreams('identity=http://127.0.0.1:8081/,catalog=http://127.0.0.1:8082')], [
    ['identity', 'http://127.0.0.1:8081'],
    ['catalog', 'http://127.0.0.1:8082'],
  ]);
});
