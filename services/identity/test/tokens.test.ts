import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtectedHeader } from 'jose';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@bazaar/kit';
import { bearer, customer, login, register, startIdentity, verifyWithJwks, withoutRequestId } from './helpers.ts';

const refresh = (app: Awaited<ReturnType<typeof startIdentity>>['app'], refreshToken: string) =>
  app.inject({ method: 'POST', url: '/api/identity/refresh', payload: { refreshToken } });

test('login returns a Bearer pair whose access token verifies against the served JWKS with the right claims', async () => {
  const id = await startIdentity();
  const user = await register(id.app);
  const res = await id.app.inject({ method: 'POST', url: '/api/identity/login', payload: { email: customer.email, password: customer.password } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'no-store');
  const pair = res.json();
  assert.equal(pair.tokenType, 'Bearer');
  assert.equal(pair.expiresIn, 300, 'short-lived: 5 minutes by default');
  assert.match(pair.refreshToken, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');

  const { payload, protectedHeader } = await verifyWithJwks(id.app, pair.accessToken);
  assert.equal(protectedHeader.alg, 'EdDSA');
  const jwks = (await id.app.inject('/.well-known/jwks.json')).json();
  assert.equal(protectedHeader.kid, jwks.keys[0].kid);
  assert.equal(payload.sub, user.id);
  assert.equal(payload.email, customer.email);
  assert.deepEqual(payload.roles, ['customer']);
  assert.equal(payload.iss, TOKEN_ISSUER);
  assert.equal(payload.aud, TOKEN_AUDIENCE);
  assert.equal((payload.exp as number) - (payload.iat as number), 300);
  assert.match(payload.fid as string, /^[0-9a-f-]{36}$/, 'the session (refresh-token family) the edge checks for revocation');
  assert.ok(Math.abs((payload.iat as number) - Date.now() / 1000) < 5);
  assert.match(payload.jti as string, /^[0-9a-f-]{36}$/);
  const second = await login(id.app);
  assert.notEqual((await verifyWithJwks(id.app, second.accessToken)).payload.jti, payload.jti, 'a fresh jti per token');
  await id.close();
});

test('ACCESS_TOKEN_TTL_SECONDS sets exp and expiresIn', async () => {
  const id = await startIdentity({ env: { ACCESS_TOKEN_TTL_SECONDS: '120' } });
  await register(id.app);
  const pair = await login(id.app);
  assert.equal(pair.expiresIn, 120);
  const { payload } = await verifyWithJwks(id.app, pair.accessToken);
  assert.equal((payload.exp as number) - (payload.iat as number), 120);
  await id.close();
});

test('JWKS publishes public Ed25519 keys only, cacheable for 5 minutes', async () => {
  const id = await startIdentity();
  const res = await id.app.inject('/.well-known/jwks.json');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'public, max-age=300');
  const { keys } = res.json();
  assert.equal(keys.length, 1);
  assert.equal(keys[0].kty, 'OKP');
  assert.equal(keys[0].crv, 'Ed25519');
  assert.equal(keys[0].alg, 'EdDSA');
  assert.equal(keys[0].use, 'sig');
  assert.ok(keys[0].kid);
  assert.equal(keys[0].d, undefined, 'no private part');
  assert.doesNotMatch(res.body, /"d"/);
  await id.close();
});

test('a wrong password and an unknown email get the same 401 body apart from the request id', async () => {
  const id = await startIdentity();
  await register(id.app);
  const wrong = await id.app.inject({ method: 'POST', url: '/api/identity/login', payload: { email: customer.email, password: 'not the right password' } });
  const unknown = await id.app.inject({ method: 'POST', url: '/api/identity/login', payload: { email: 'nobody@example.com', password: 'not the right password' } });
  assert.equal(wrong.statusCode, 401);
  assert.equal(unknown.statusCode, 401);
  assert.match(wrong.headers['content-type'] as string, /^application\/problem\+json/);
  assert.equal(wrong.json().code, 'INVALID_CREDENTIALS');
  assert.notEqual(wrong.json().requestId, unknown.json().requestId);
  assert.deepEqual(withoutRequestId(wrong.json()), withoutRequestId(unknown.json()));
  await id.close();
});

test('refresh rotates: a new pair comes back and the old refresh token then fails with 401', async () => {
  const id = await startIdentity();
  const user = await register(id.app);
  const first = await login(id.app);
  const res = await refresh(id.app, first.refreshToken);
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'no-store');
  const second = res.json();
  assert.notEqual(second.refreshToken, first.refreshToken);
  assert.equal((await verifyWithJwks(id.app, second.accessToken)).payload.sub, user.id);
  assert.equal((await id.app.inject({ url: '/api/identity/me', headers: bearer(second.accessToken) })).statusCode, 200);

  const again = await refresh(id.app, first.refreshToken);
  assert.equal(again.statusCode, 401);
  assert.equal(again.json().code, 'INVALID_REFRESH_TOKEN');
  assert.equal((await refresh(id.app, 'made-up-token')).statusCode, 401);
  await id.close();
});

test('reusing a rotated refresh token revokes the whole family, the newer token included', async () => {
  const id = await startIdentity();
  await register(id.app);
  const stolen = await login(id.app);
  const other = await login(id.app); // another device: its own family, untouched
  const legit = (await refresh(id.app, stolen.refreshToken)).json();
  const newer = (await refresh(id.app, legit.refreshToken)).json();

  const reuse = await refresh(id.app, stolen.refreshToken);
  assert.equal(reuse.statusCode, 401);
  assert.equal((await refresh(id.app, newer.refreshToken)).statusCode, 401, 'the newest token of the family is revoked too');
  assert.equal((await refresh(id.app, other.refreshToken)).statusCode, 200, 'other logins keep working');
  assert.ok(id.lines.some((l) => /token family revoked/.test(l)));
  await id.close();
});

test('two refreshes with one token at once: only one succeeds, and the other counts as reuse and revokes the winner', async () => {
  const id = await startIdentity();
  await register(id.app);
  const pair = await login(id.app);
  const answers = await Promise.all([refresh(id.app, pair.refreshToken), refresh(id.app, pair.refreshToken)]);
  assert.deepEqual(answers.map((a) => a.statusCode).sort(), [200, 401]);
  const winner = answers.find((a) => a.statusCode === 200)?.json();
  assert.equal((await refresh(id.app, winner.refreshToken)).statusCode, 401);
  await id.close();
});

test('an expired refresh token is refused', async () => {
  let offsetMs = 0;
  const id = await startIdentity({ env: { REFRESH_TOKEN_TTL_SECONDS: '3600' }, clock: () => Date.now() + offsetMs });
  await register(id.app);
  const pair = await login(id.app);
  offsetMs = 3601_000;
  const res = await refresh(id.app, pair.refreshToken);
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().code, 'INVALID_REFRESH_TOKEN');
  await id.close();
});

test('an access token carries its signing key id, and the service logs no passwords or tokens', async () => {
  const id = await startIdentity();
  await register(id.app);
  const pair = await login(id.app);
  const next = (await refresh(id.app, pair.refreshToken)).json();
  await id.app.inject({ url: '/api/identity/me', headers: bearer(next.accessToken) });
  await id.app.inject({ method: 'POST', url: '/api/identity/login', payload: { email: customer.email, password: 'wrong password 123' } });
  assert.ok(decodeProtectedHeader(pair.accessToken).kid);
  const log = id.lines.join('\n');
  assert.ok(id.lines.length > 0);
  for (const secret of [customer.password, 'wrong password 123', pair.accessToken, pair.refreshToken, next.refreshToken, next.accessToken]) {
    assert.ok(!log.includes(secret), 'a secret reached the log');
  }
  await id.close();
});

test('a login for an unknown email still runs a password verification (no fast path revealing the email is unknown)', async () => {
  const id = await startIdentity();
  const attempt = async () => {
    const started = performance.now();
    const res = await id.app.inject({ method: 'POST', url: '/api/identity/login', payload: { email: 'nobody@example.com', password: 'some password 1' } });
    assert.equal(res.statusCode, 401);
    return performance.now() - started;
  };
  await attempt(); // the first one also makes the dummy hash
  const fastest = Math.min(await attempt(), await attempt(), await attempt());
  // argon2id with 19 MiB takes tens of milliseconds; a lookup-only rejection takes about one.
  assert.ok(fastest >= 8, `unknown-email login took only ${fastest.toFixed(1)} ms`);
  await id.close();
});

test('logout revokes the whole session: its refresh token stops working and the family is listed as revoked; another session lives on', async () => {
  const id = await startIdentity();
  await register(id.app);
  const first = await login(id.app);
  const second = await login(id.app);
  const rotated = (await refresh(id.app, first.refreshToken)).json() as { refreshToken: string; accessToken: string };
  const fid = (await verifyWithJwks(id.app, rotated.accessToken)).payload.fid as string;
  assert.equal((await id.app.inject({ method: 'POST', url: '/api/identity/logout', payload: { refreshToken: rotated.refreshToken } })).statusCode, 204);
  assert.equal((await refresh(id.app, rotated.refreshToken)).statusCode, 401);
  const revoked = (await id.app.inject('/.well-known/bazaar-revoked-sessions.json')).json() as { families: string[] };
  assert.deepEqual(revoked.families, [fid]);
  assert.equal((await refresh(id.app, second.refreshToken)).statusCode, 200, 'the other session is untouched');
  // Idempotent, and an unknown token tells nothing.
  assert.equal((await id.app.inject({ method: 'POST', url: '/api/identity/logout', payload: { refreshToken: rotated.refreshToken } })).statusCode, 204);
  assert.equal((await id.app.inject({ method: 'POST', url: '/api/identity/logout', payload: { refreshToken: 'never-issued' } })).statusCode, 204);
  await id.close();
});

test('a session ends SESSION_MAX_SECONDS after login however often it is refreshed; access tokens never outlive it', async () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const id = await startIdentity({ env: { SESSION_MAX_SECONDS: '3600', REFRESH_TOKEN_TTL_SECONDS: '1800', ACCESS_TOKEN_TTL_SECONDS: '600' }, clock: () => now });
  await register(id.app);
  let pair = await login(id.app);
  for (let i = 0; i < 3; i++) {
    now += 20 * 60_000; // refreshed every 20 minutes: each time inside the sliding 30
    const res = await refresh(id.app, pair.refreshToken);
    if (now - Date.parse('2026-01-01T00:00:00Z') >= 3600_000) {
      assert.equal(res.statusCode, 401, 'past the absolute lifetime');
      break;
    }
    assert.equal(res.statusCode, 200, res.body);
    pair = res.json();
    assert.ok(pair.expiresIn <= 600);
  }
  // At 40 minutes the access token was cut to the 20 minutes the session had left... then at 60 the session is over.
  assert.equal((await refresh(id.app, pair.refreshToken)).statusCode, 401);
  await id.close();
});
