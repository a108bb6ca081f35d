// The storefront's HTTP surface that needs no other service: fingerprinted assets, error pages, CSRF,
// security headers; and the session rules (refresh once for concurrent requests, a refused refresh signs out).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { testLogger } from '@bazaar/kit/testing';
import { UpstreamError } from '@bazaar/kit';
import { buildApp } from '../src/app.ts';
import { createSessions } from '../src/session.ts';
import { diskImageBytes, openStorefrontStore, productImageRepository, sessionRepository } from '../src/store/index.ts';
import { closeClients, gatewayClients, shopApi, type ShopApi, type TokenPair } from '../src/upstream/shop.ts';

const store = await openStorefrontStore({ dataDir: '', inMemory: true });
// No gateway listens here: pages that need the shop API answer "unavailable", the rest must work alone.
const clients = gatewayClients('http://127.0.0.1:9');
const { app, assets } = buildApp({
  logger: testLogger(),
  api: shopApi(clients),
  sessions: sessionRepository(store.db),
  imageRepo: productImageRepository(store.db),
  imageBytes: diskImageBytes('/nonexistent'),
  cookieSecret: 'test-cookie-secret-0123456789abcdef0123',
  defaultMetrics: false,
});
after(async () => {
  await app.close();
  await closeClients(clients);
  await store.close();
});

test('assets are fingerprinted, gzipped and cached for a year; the client bundle is far below 50 KB', async () => {
  const url = assets.url('app.js');
  assert.match(url, /^\/assets\/app\.[0-9a-f]{10}\.js$/);
  const res = await app.inject({ url, headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(res.headers['content-encoding'], 'gzip');
  assert.match(gunzipSync(res.rawPayload).toString(), /progressive enhancement/);
  const gzipped = assets.sizes().reduce((n, a) => n + a.gzipBytes, 0);
  assert.ok(gzipped < 50_000, `${gzipped} bytes`);
  assert.equal((await app.inject({ url: '/assets/app.0000000000.js' })).statusCode, 404, 'an old fingerprint is gone');
});

test('an unknown page is a 404 HTML page in the shop layout, with a strict CSP; scripts get problem+json', async () => {
  const res = await app.inject({ url: '/no/such/page', headers: { accept: 'text/html' } });
  assert.equal(res.statusCode, 404);
  assert.match(res.headers['content-type'] as string, /text\/html/);
  assert.match(res.body, /This page does not exist/);
  assert.match(res.headers['content-security-policy'] as string, /script-src 'self'/);
  const json = await app.inject({ url: '/no/such/page', headers: { accept: 'application/json' } });
  assert.equal(json.json().code, 'PAGE_NOT_FOUND');
});

test('a form posted without its CSRF token is refused with a page that says what to do', async () => {
  const res = await app.inject({ method: 'POST', url: '/account/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a%40b.c&password=x' });
  assert.equal(res.statusCode, 403);
  assert.match(res.body, /This form has expired/);
});

test('the sign-in form carries a CSRF token that the post accepts (and the shop being down is a clear page)', async () => {
  const page = await app.inject({ url: '/account/login' });
  assert.equal(page.statusCode, 200);
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  assert.ok(token);
  const cookies = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const csrfCookie = page.cookies.find((c) => c.name === '_csrf');
  assert.equal(csrfCookie?.httpOnly, true);
  assert.equal(csrfCookie?.sameSite, 'Lax');
  const post = await app.inject({
    method: 'POST',
    url: '/account/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
    payload: `_csrf=${encodeURIComponent(token)}&email=a%40b.c&password=secret&next=%2F`,
  });
  // Past the CSRF check; identity is unreachable here, so the page says the shop is unavailable.
  assert.equal(post.statusCode, 503);
  assert.match(post.body, /The shop is busy or partly down/);
});

/** A request and reply as the session code uses them. */
function exchange(cookie: string | undefined) {
  const cleared: string[] = [];
  const request = { cookies: cookie ? { bazaar_session: cookie } : {}, headers: {}, protocol: 'http', session: undefined } as unknown as FastifyRequest;
  const reply = { clearCookie: (name: string) => cleared.push(name), setCookie: () => reply } as unknown as FastifyReply;
  return { request, reply, cleared };
}

test('concurrent requests with an expiring token refresh it once (a reused refresh token would revoke the family)', async () => {
  const s = await openStorefrontStore({ dataDir: '', inMemory: true });
  after(() => s.close());
  let clock = 1_000_000;
  let refreshes = 0;
  let allow = true;
  const api = {
    refresh: async (refreshToken: string): Promise<TokenPair> => {
      refreshes += 1;
      await new Promise((r) => setTimeout(r, 20));
      if (!allow) throw new UpstreamError('gateway', 401, { code: 'INVALID_REFRESH_TOKEN' });
      return { accessToken: `access-after-${refreshToken}`, refreshToken: `${refreshToken}+1`, tokenType: 'Bearer', expiresIn: 900 };
    },
  } as unknown as ShopApi;
  const sessions = createSessions({ repo: sessionRepository(s.db), api, ttlSeconds: 3600, logger: testLogger(), now: () => clock });
  let id = '';
  const signIn = exchange(undefined);
  (signIn.reply as unknown as { setCookie: (n: string, v: string) => unknown }).setCookie = (_n: string, v: string) => (id = v);
  await sessions.signIn(signIn.request, signIn.reply, { accessToken: 'a0', refreshToken: 'r0', tokenType: 'Bearer', expiresIn: 60 }, { id: 'u1', email: 'sam@example.com', name: 'Sam', roles: ['customer'] });
  assert.ok(id);

  clock += 45_000; // 15 s left: inside the refresh margin
  const many = Array.from({ length: 5 }, () => exchange(id));
  await Promise.all(many.map((e) => sessions.load(e.request, e.reply)));
  assert.equal(refreshes, 1);
  for (const e of many) assert.equal(e.request.session?.accessToken, 'access-after-r0');

  clock += 901_000;
  allow = false;
  const late = exchange(id);
  await sessions.load(late.request, late.reply);
  assert.equal(late.request.session, undefined, 'a refused refresh ends the session');
  assert.deepEqual(late.cleared, ['bazaar_session']);
});
