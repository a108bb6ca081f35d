// Authentication at the edge: the token verifier (bad tokens, cache, key
// rotation through a real JWKS endpoint) and the per-route rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { request } from 'undici';
import { AppError, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@bazaar/kit';
import { manualClock, testLogger, waitFor } from '@bazaar/kit/testing';
import { identityKeySource, type Clock } from '@bazaar/kit';
import { TokenVerifier, bearerToken } from '../src/auth/verifier.ts';
import { echo, startGateway, table, upstreamServer, type RunningGateway } from './helpers.ts';

interface Pair {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function pair(kid: string): Promise<Pair> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kid, publicKey, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

function sign(key: Pair, claims: Record<string, unknown> = {}, opts: { exp?: string | number; iss?: string; aud?: string; sub?: string } = {}): Promise<string> {
  return new SignJWT({ email: 'a@example.test', roles: ['customer'], ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .setSubject(opts.sub ?? 'user-1')
    .setIssuer(opts.iss ?? TOKEN_ISSUER)
    .setAudience(opts.aud ?? TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(key.privateKey);
}

/** A JWKS endpoint whose key list the test changes, counting fetches. */
let jwks: Server;
let jwksBase = '';
let published: JWK[] = [];
let fetches = 0;
let jwksDown = false;
let a: Pair;
let b: Pair;

before(async () => {
  a = await pair('key-a');
  b = await pair('key-b');
  published = [a.jwk];
  jwks = createServer((_req, res) => {
    fetches += 1;
    if (jwksDown) return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksBase = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
});

after(() => {
  jwks.closeAllConnections();
  jwks.close();
});

const verifierFor = (opts: { cooldownMs?: number; clock?: Clock } = {}) =>
  new TokenVerifier({
    keys: identityKeySource({ identityUrl: jwksBase, logger: testLogger(), cooldownMs: opts.cooldownMs ?? 200, ...(opts.clock ? { clock: opts.clock } : {}) }).getKey,
    cacheSize: 100,
  });

async function rejects(verifier: TokenVerifier, token: string, detail: RegExp, status = 401): Promise<void> {
  await assert.rejects(verifier.verify(token), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.status, status);
    assert.match(error.message, detail);
    return true;
  });
}

test('a valid token verifies; every bad variant is 401', async () => {
  published = [a.jwk];
  const verifier = verifierFor();
  const good = await sign(a, { roles: ['customer', 'admin'] });
  assert.deepEqual(await verifier.verify(good), { id: 'user-1', email: 'a@example.test', roles: ['customer', 'admin'] });

  await rejects(verifier, await sign(a, {}, { exp: Math.floor(Date.now() / 1000) - 60 }), /expired/);
  const [h, p, s] = (await sign(a)).split('.') as [string, string, string];
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), roles: ['admin'] })).toString('base64url');
  await rejects(verifier, `${h}.${forged}.${s}`, /not valid/);
  const none = new UnsecuredJWT({ roles: ['admin'] }).setSubject('user-1').setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setExpirationTime('5m').encode();
  await rejects(verifier, none, /not valid/);
  // The classic confusion attack: HS256 "signed" with the server's public key as the HMAC secret.
  const publicPem = new TextEncoder().encode(await exportSPKI(a.publicKey));
  const hs = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256', kid: a.kid }).setSubject('user-1').setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setExpirationTime('5m').sign(publicPem);
  await rejects(verifier, hs, /not valid/);
  await rejects(verifier, await sign(a, {}, { iss: 'someone-else' }), /not valid/);
  await rejects(verifier, await sign(a, {}, { aud: 'another-api' }), /not valid/);
  const stranger = await pair('key-a');
  await rejects(verifier, await sign(stranger), /not valid/, 401);
  await rejects(verifier, 'not-a-jwt', /not valid/);
});

test('verified tokens are cached until they expire, not beyond', async () => {
  published = [a.jwk];
  const verifier = verifierFor();
  const token = await sign(a, {}, { exp: Math.floor(Date.now() / 1000) + 2 });
  await verifier.verify(token);
  assert.ok(verifier.cached(token), 'served from the cache');
  await waitFor('the cached token to be dropped once expired', () => verifier.cached(token) === undefined, 30_000);
  await rejects(verifier, token, /expired/);
});

test('key rotation: a token signed with a new key id is accepted at once, even inside the cooldown', async () => {
  published = [a.jwk];
  // The cooldown runs on a manual clock: whether the retired-key checks below fall inside it must not
  // depend on how fast the machine runs them (on a quiet machine they did, and the old key stayed cached).
  const clock = manualClock();
  const verifier = verifierFor({ cooldownMs: 300, clock });
  await verifier.verify(await sign(a));
  published = [a.jwk, b.jwk];
  const before = fetches;
  assert.equal((await verifier.verify(await sign(b, {}, { sub: 'user-2' }))).id, 'user-2');
  assert.equal(fetches, before + 1, 'one refetch for the unknown key id');
  // The old key retired: tokens signed with it are refused once the keys are refetched.
  published = [b.jwk];
  await rejects(verifier, await sign({ ...a, kid: 'key-c' }), /not valid/);
  await rejects(verifier, await sign(a, {}, { sub: 'fresh' }), /not valid/);
});

test('a flood of unknown key ids costs identity one fetch per cooldown', async () => {
  published = [a.jwk];
  const verifier = verifierFor({ cooldownMs: 500 });
  await verifier.verify(await sign(a));
  const before = fetches;
  const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => sign({ ...a, kid: `made-up-${i}` })));
  await Promise.all(tokens.map((t) => rejects(verifier, t, /not valid/)));
  assert.ok(fetches - before <= 1, `${fetches - before} fetches`);
});

test('keys unreachable: 503, and tokens verify once identity is back', async () => {
  jwksDown = true;
  const verifier = verifierFor({ cooldownMs: 50 });
  const token = await sign(a);
  await rejects(verifier, token, /signing keys could not be fetched/, 503);
  jwksDown = false;
  published = [a.jwk];
  assert.equal((await verifier.verify(token)).id, 'user-1');
});

test('bearerToken reads only "Bearer <token>"', () => {
  assert.equal(bearerToken(undefined), undefined);
  assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  assert.equal(bearerToken('bearer abc'), 'abc');
  assert.equal(bearerToken('Basic dXNlcjpwYXNz'), null);
  assert.equal(bearerToken('Bearer '), null);
  assert.equal(bearerToken('Bearer a b'), null);
});

let up: Awaited<ReturnType<typeof upstreamServer>>;
let gw: RunningGateway;

test('per-route rules: public, user, admin; rejected requests never reach the service', async (t) => {
  up = await upstreamServer(echo);
  gw = await startGateway({ upstreams: table({ catalog: up.url, orders: up.url, reports: up.url }) });
  t.after(async () => {
    await gw.close();
    await up.close();
  });
  const customer = await gw.keys.sign({ sub: 'c1', roles: ['customer'] });
  const admin = await gw.keys.sign({ sub: 'a1', roles: ['customer', 'admin'] });
  const expired = await gw.keys.sign({ sub: 'c1' }, { expiresIn: '-1m' });
  const call = async (path: string, token?: string, method: 'GET' | 'POST' = 'GET') => {
    const res = await request(`${gw.url}${path}`, { method, headers: token === undefined ? {} : { authorization: token.includes(' ') ? token : `Bearer ${token}` } });
    const body = (await res.body.json()) as { code?: string };
    return { status: res.statusCode, code: body.code, auth: res.headers['www-authenticate'] };
  };

  up.seen.length = 0;
  assert.deepEqual(await call('/api/orders'), { status: 401, code: 'UNAUTHENTICATED', auth: 'Bearer realm="bazaar"' });
  assert.equal((await call('/api/orders', expired)).auth, 'Bearer realm="bazaar", error="invalid_token"');
  assert.equal((await call('/api/orders', 'Basic dXNlcjpwYXNz')).status, 401);
  assert.equal((await call('/api/catalog/products', 'garbage')).status, 401, 'a public route still refuses a bad token');
  assert.equal((await call('/api/reports/sales', customer)).status, 403);
  assert.equal((await call('/api/catalog/products', customer, 'POST')).code, 'FORBIDDEN');
  assert.equal(up.seen.length, 0, 'nothing reached the service');

  assert.equal((await call('/api/catalog/products')).status, 200, 'public without a token');
  assert.equal((await call('/api/catalog/products', customer)).status, 200);
  assert.equal((await call('/api/orders', customer)).status, 200);
  assert.equal((await call('/api/reports/sales', admin)).status, 200);
  assert.equal(up.seen.at(-1)?.headers.authorization, `Bearer ${admin}`, 'services still get the token (they check ownership)');
});

test('a key id confirmed missing fails at once until the keys change', async () => {
  published = [a.jwk];
  // The cooldown runs on a manual clock: "at once" means no time passes on it, however loaded the machine.
  const clock = manualClock();
  const verifier = verifierFor({ cooldownMs: 400, clock });
  await verifier.verify(await sign(a));
  const ghost = { ...a, kid: 'ghost' };
  await rejects(verifier, await sign(ghost, {}, { sub: 'one' }), /not valid/);
  const started = clock.now();
  await rejects(verifier, await sign(ghost, {}, { sub: 'two' }), /not valid/);
  assert.equal(clock.now() - started, 0, 'no second wait for the same unknown key id');
});
