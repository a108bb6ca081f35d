import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { AppError, createAuthenticator, createServiceApp, Lru, principalOf, remoteKeys, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../src/index.ts';
import { createTestKeys, testLogger } from '../src/testing.ts';

async function setup() {
  const keys = await createTestKeys();
  const auth = createAuthenticator(keys.keys);
  const app = createServiceApp({ name: 'auth-test', logger: testLogger(), defaultMetrics: false });
  app.register(async (scope) => {
    scope.get('/mine', { preHandler: auth.requireUser }, async (request) => ({ id: principalOf(request).id }));
    scope.get('/admin', { preHandler: auth.requireRole('admin') }, async () => ({ ok: true }));
  });
  return { keys, app };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('a valid token reaches the handler with its principal', async () => {
  const { keys, app } = await setup();
  const res = await app.inject({ url: '/mine', headers: bearer(await keys.sign({ sub: 'user-1' })) });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { id: 'user-1' });
});

test('no token, a malformed header, an expired or tampered token are 401 problem+json', async () => {
  const { keys, app } = await setup();
  const none = await app.inject({ url: '/mine' });
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().code, 'UNAUTHENTICATED');
  assert.match(none.headers['content-type'] as string, /problem\+json/);
  assert.equal((await app.inject({ url: '/mine', headers: { authorization: 'Basic abc' } })).statusCode, 401);
  const expired = await keys.sign({ sub: 'u' }, { expiresIn: '-1m' });
  const exp = await app.inject({ url: '/mine', headers: bearer(expired) });
  assert.equal(exp.statusCode, 401);
  assert.match(exp.json().detail, /expired/);
  const good = await keys.sign({ sub: 'u' });
  const [h, p, s] = good.split('.');
  const claims = JSON.parse(Buffer.from(p as string, 'base64url').toString());
  claims.roles = ['admin'];
  const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  assert.equal((await app.inject({ url: '/admin', headers: bearer(tampered) })).statusCode, 401);
});

test('alg none and HS256 signed with the public key are refused', async () => {
  const { app } = await setup();
  const unsecured = new UnsecuredJWT({ roles: ['admin'] }).setSubject('u').setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setExpirationTime('5m').encode();
  assert.equal((await app.inject({ url: '/mine', headers: bearer(unsecured) })).statusCode, 401);
  const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const secret = new TextEncoder().encode(JSON.stringify(await exportJWK(publicKey)));
  const hs = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256', kid: 'test-key' }).setSubject('u').setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setExpirationTime('5m').sign(secret);
  assert.equal((await app.inject({ url: '/mine', headers: bearer(hs) })).statusCode, 401);
});

test('a token signed by another key is refused', async () => {
  const { app } = await setup();
  const other = await createTestKeys();
  assert.equal((await app.inject({ url: '/mine', headers: bearer(await other.sign({ sub: 'u' })) })).statusCode, 401);
});

test('a role is required: 401 without a token, 403 without the role', async () => {
  const { keys, app } = await setup();
  assert.equal((await app.inject({ url: '/admin' })).statusCode, 401);
  const customer = await app.inject({ url: '/admin', headers: bearer(await keys.sign({ sub: 'u', roles: ['customer'] })) });
  assert.equal(customer.statusCode, 403);
  assert.equal(customer.json().code, 'FORBIDDEN');
  const admin = await app.inject({ url: '/admin', headers: bearer(await keys.sign({ sub: 'a', roles: ['admin'] })) });
  assert.equal(admin.statusCode, 200);
});

test('keys that cannot be fetched are 503, not 401', async () => {
  const auth = createAuthenticator(remoteKeys('http://127.0.0.1:1'));
  const { keys } = await setup();
  await assert.rejects(auth.verify(await keys.sign({ sub: 'u' })), (error: unknown) => (error as { status?: number }).status === 503);
});

/** The test keys, counting how often a signature check asked for a key (once per full verification). */
async function countingKeys() {
  const keys = await createTestKeys();
  const counted = { lookups: 0 };
  const getKey: JWTVerifyGetKey = (header, token) => {
    counted.lookups += 1;
    return keys.keys(header, token);
  };
  return { sign: keys.sign, getKey, counted };
}

// Measured: an EdDSA signature check is ~220 µs of CPU, and every request a shopper makes to cart or orders carried
// one, though the same token comes back for its five minutes.
test("a token's signature is checked once, then the token is remembered until it expires", async () => {
  const { sign, getKey, counted } = await countingKeys();
  let now = Date.now();
  const auth = createAuthenticator(getKey, { now: () => now });
  const token = await sign({ sub: 'user-1', roles: ['customer'] }, { expiresIn: '5m' });
  for (let i = 0; i < 5; i++) assert.deepEqual(await auth.verify(token), { id: 'user-1', email: 'user-1@example.test', roles: ['customer'] });
  assert.equal(counted.lookups, 1, 'one full verification for five requests');

  now += 4 * 60_000;
  await auth.verify(token);
  assert.equal(counted.lookups, 1, 'still remembered a minute before it expires');

  now += 2 * 60_000;
  await assert.rejects(auth.verify(token), (error: unknown) => error instanceof AppError && error.status === 401 && /expired/.test(error.message));
  await assert.rejects(auth.verify(token), (error: unknown) => error instanceof AppError && error.status === 401, 'and again: an expired token is never served from memory');
  assert.equal(counted.lookups, 3, 'once expired, each use is checked in full (and refused)');
});

test('a remembered token does not vouch for a changed one: other claims or another signature are checked in full', async () => {
  const { sign, getKey, counted } = await countingKeys();
  const auth = createAuthenticator(getKey);
  const good = await sign({ sub: 'u', roles: ['customer'] });
  await auth.verify(good);
  const [h, p, sig] = good.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  claims.roles = ['admin'];
  const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
  await assert.rejects(auth.verify(tampered), (error: unknown) => error instanceof AppError && error.status === 401);
  const flipped = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BA' : 'AA'}`;
  await assert.rejects(auth.verify(flipped), (error: unknown) => error instanceof AppError && error.status === 401);
  assert.equal(counted.lookups, 3, 'each changed token went through a full check');
  assert.equal((await auth.verify(good)).id, 'u', 'the good one is still accepted');
});

test('cacheSize 0: every request checks the signature', async () => {
  const { sign, getKey, counted } = await countingKeys();
  const auth = createAuthenticator(getKey, { cacheSize: 0 });
  const token = await sign({ sub: 'u' });
  for (let i = 0; i < 3; i++) await auth.verify(token);
  assert.equal(counted.lookups, 3);
});

test('the verified-token cache is a bounded LRU', () => {
  const lru = new Lru<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  assert.equal(lru.get('a'), 1, 'a is now the most recent');
  lru.set('c', 3);
  assert.equal(lru.get('b'), undefined, 'the least recently used went');
  assert.equal(lru.get('a'), 1);
  assert.equal(lru.size, 2);
});

