// Edge hygiene: CORS, TLS with HTTP/2, X-Forwarded-* behind trusted
// proxies, and an access log that never holds a secret.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, constants } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { testLogger } from '@bazaar/kit/testing';
import { buildApp } from '../src/app.ts';
import { forwardedFor, readRequestHeaders } from '../src/proxy/headers.ts';
import { redactPath } from '../src/proxy/context.ts';
import { listen } from '../src/server.ts';
import { echo, startGateway, table, testKeys, upstreamServer, type RunningGateway } from './helpers.ts';

let up: Awaited<ReturnType<typeof upstreamServer>>;
let gw: RunningGateway;

before(async () => {
  up = await upstreamServer(echo);
  gw = await startGateway({ upstreams: table({ catalog: up.url, identity: up.url, orders: up.url }), corsOrigins: 'https://shop.example' });
});

after(async () => {
  await gw.close();
  await up.close();
});

test('CORS: an allowed origin gets a preflight answer and readable headers; another gets none', async () => {
  const preflight = await request(`${gw.url}/api/catalog/products`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
  assert.equal(preflight.statusCode, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://shop.example');
  assert.match(String(preflight.headers['access-control-allow-headers']), /authorization/);
  assert.equal(preflight.headers['access-control-allow-credentials'], undefined, 'never credentials: the API uses bearer tokens');
  await preflight.body.dump();
  const actual = await request(`${gw.url}/api/catalog/products`, { headers: { origin: 'https://shop.example' } });
  assert.equal(actual.headers['access-control-allow-origin'], 'https://shop.example');
  assert.match(String(actual.headers['access-control-expose-headers']), /ratelimit-remaining/);
  await actual.body.dump();
  const evil = await request(`${gw.url}/api/catalog/products`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
  assert.equal(evil.statusCode, 403);
  assert.equal(evil.headers['access-control-allow-origin'], undefined);
  await evil.body.dump();
  const evilGet = await request(`${gw.url}/api/catalog/products`, { headers: { origin: 'https://evil.example' } });
  assert.equal(evilGet.headers['access-control-allow-origin'], undefined);
  await evilGet.body.dump();
});

test('the access log: one line per request with its facts, and never a token, password or card number', async () => {
  const token = await gw.keys.sign({ sub: 'user-42' });
  gw.logLines.length = 0;
  const orders = await request(`${gw.url}/api/orders?token=${token}`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'req-log-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
  await orders.body.dump();
  const login = await request(`${gw.url}/api/identity/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@example.test', password: 'hunter2-secret' }) });
  await login.body.dump();
  const card = await request(`${gw.url}/api/catalog/products/4242424242424242`);
  await card.body.dump();
  assert.equal(gw.logLines.length, 3);
  const first = JSON.parse(gw.logLines[0] as string) as Record<string, unknown>;
  assert.equal(first.method, 'GET');
  assert.equal(first.route, '/api/orders');
  assert.equal(first.status, 200);
  assert.equal(typeof first.durationMs, 'number');
  assert.equal(first.upstream, up.url);
  assert.equal(first.userId, 'user-42');
  assert.equal(first.requestId, 'req-log-1');
  assert.equal(first.traceId, '0af7651916cd43dd8448eb211c80319c');
  const all = gw.logLines.join('\n');
  assert.ok(!all.includes(token.split('.')[2] as string), 'no token');
  assert.ok(!all.includes('hunter2'), 'no password');
  assert.ok(!all.includes('4242424242424242'), 'no card number');
  assert.equal(redactPath('/api/x/4000 0000 0000 0002'.replaceAll(' ', '')), '/api/x/[redacted]');
});

test('X-Forwarded-For: replaced at the edge, trusted only from configured proxies', () => {
  assert.deepEqual(forwardedFor('10.0.0.5', '1.2.3.4', 0), { clientIp: '10.0.0.5', header: '10.0.0.5' });
  assert.deepEqual(forwardedFor('10.0.0.5', '6.6.6.6, 1.2.3.4', 1), { clientIp: '1.2.3.4', header: '1.2.3.4, 10.0.0.5' });
  assert.deepEqual(forwardedFor('10.0.0.5', undefined, 1), { clientIp: '10.0.0.5', header: '10.0.0.5' });
  const h = readRequestHeaders(['Host', 'shop', 'Connection', 'keep-alive, X-Hop', 'X-Hop', '1', 'Keep-Alive', 'timeout=5', 'Accept', 'json', 'Upgrade', 'h2c']);
  assert.deepEqual(h.forward, ['accept', 'json']);
  assert.equal(h.host, 'shop');
});

test('TLS: HTTPS with HTTP/2, HSTS and X-Forwarded-Proto https', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  const gateway = buildApp({ logger: testLogger(), upstreams: table({ catalog: up.url }), keys: (await testKeys()).keys, healthIntervalMs: 60_000, defaultMetrics: false });
  const listening = await listen(gateway, { host: '127.0.0.1', port: 0, tls: { cert, key: readFileSync(join(dir, 'key.pem')), port: 0 } });
  t.after(async () => {
    await listening.close(100);
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = (listening.https?.address() as AddressInfo).port;
  const session = connect(`https://localhost:${port}`, { ca: cert });
  t.after(() => session.close());
  up.seen.length = 0;
  const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const stream = session.request({ [constants.HTTP2_HEADER_PATH]: '/api/catalog/products?x=1' });
    let data = '';
    let head: Record<string, unknown> = {};
    stream.on('response', (h) => (head = h));
    stream.on('data', (c: Buffer) => (data += c.toString()));
    stream.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: data }));
    stream.on('error', reject);
  });
  assert.equal(status, 200);
  assert.equal((JSON.parse(body) as { url: string }).url, '/api/catalog/products?x=1');
  assert.equal(headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  assert.equal(up.seen[0]?.headers['x-forwarded-proto'], 'https');
  assert.equal(up.seen[0]?.headers['x-forwarded-host'], `localhost:${port}`);
  // The kit's endpoints answer over HTTP/2 too, and HTTP/1.1 clients are served over TLS (ALPN fallback).
  const healthz = await new Promise<number>((resolve, reject) => {
    const stream = session.request({ [constants.HTTP2_HEADER_PATH]: '/healthz' });
    stream.on('response', (h) => resolve(Number(h[':status'])));
    stream.on('error', reject);
    stream.resume();
  });
  assert.equal(healthz, 200);
  const h1 = await request(`https://localhost:${port}/api/catalog/products`, { dispatcher: new Agent({ connect: { ca: cert } }) });
  assert.equal(h1.statusCode, 200);
  assert.equal(h1.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  await h1.body.dump();
});
