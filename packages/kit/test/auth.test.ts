import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import { createAuthenticator, createServiceApp, principalOf, remoteKeys, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../src/index.ts';
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
