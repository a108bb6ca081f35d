import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, customer, login, register, startIdentity } from './helpers.ts';

test('register creates a customer: 202 with the normalised email, nothing else; the account logs in', async () => {
  const id = await startIdentity();
  const res = await id.app.inject({ method: 'POST', url: '/api/identity/register', payload: { ...customer, email: 'Sam.Shopper@Example.COM' } });
  assert.equal(res.statusCode, 202, res.body);
  const body = res.json();
  assert.deepEqual(Object.keys(body).sort(), ['email', 'message', 'status']);
  assert.equal(body.email, 'sam.shopper@example.com');

  const { accessToken } = await login(id.app, { email: 'SAM.SHOPPER@example.com', password: customer.password });
  const me = await id.app.inject({ url: '/api/identity/me', headers: bearer(accessToken) });
  assert.equal(me.statusCode, 200);
  assert.match(me.json().id, /^[0-9a-f-]{36}$/);
  assert.deepEqual({ ...(me.json() as object), id: undefined }, { id: undefined, email: 'sam.shopper@example.com', name: customer.name, roles: ['customer'] });
  await id.close();
});

test('a taken email is answered exactly like a new one (no enumeration), and the existing account is untouched', async () => {
  const id = await startIdentity();
  await register(id.app);
  const fresh = await id.app.inject({ method: 'POST', url: '/api/identity/register', payload: { ...customer, email: 'someone.new@example.com' } });
  for (const email of [customer.email, customer.email.toUpperCase(), 'Sam.Shopper@example.com']) {
    const res = await id.app.inject({ method: 'POST', url: '/api/identity/register', payload: { ...customer, email, password: 'another long passphrase' } });
    assert.equal(res.statusCode, fresh.statusCode, email);
    assert.deepEqual({ ...(res.json() as object), email: undefined }, { ...(fresh.json() as object), email: undefined });
    assert.deepEqual(Object.keys(res.headers).sort(), Object.keys(fresh.headers).sort());
  }
  // The original password still works; the second registration changed nothing.
  await login(id.app, customer);
  const taken = await id.app.inject({ method: 'POST', url: '/api/identity/login', payload: { email: customer.email, password: 'another long passphrase' } });
  assert.equal(taken.statusCode, 401);
  await id.close();
});

test('weak passwords are 400 WEAK_PASSWORD with a detail naming the rule', async () => {
  const id = await startIdentity();
  const cases: [string, string, RegExp][] = [
    ['short', 'tiny-pw', /at least 10 characters/],
    ['too long', 'x'.repeat(129), /at most 128 characters/],
    ['common', 'password123', /most commonly used/],
    ['common, other case', 'QwertyUiop', /most commonly used/],
    ['contains the email local part', 'my name is Margaret Smith', /email address/],
  ];
  for (const [label, password, detail] of cases) {
    const res = await id.app.inject({
      method: 'POST',
      url: '/api/identity/register',
      payload: { email: 'margaret@example.com', password, name: 'Margaret' },
    });
    assert.equal(res.statusCode, 400, label);
    assert.equal(res.json().code, 'WEAK_PASSWORD', label);
    assert.match(res.json().detail, detail, label);
  }
  // The same password is fine for someone whose email it does not contain.
  assert.equal((await id.app.inject({ method: 'POST', url: '/api/identity/register', payload: { email: 'jo@example.com', password: 'my name is Margaret Smith', name: 'Jo' } })).statusCode, 202);
  await id.close();
});

test('bad input is 400 problem+json from the schema: email, extra fields, blank name, not JSON', async () => {
  const id = await startIdentity();
  const bad = await id.app.inject({ method: 'POST', url: '/api/identity/register', payload: { ...customer, email: 'not-an-email' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'VALIDATION_FAILED');
  assert.match(bad.json().detail, /body\.email/);

  // Unknown fields are refused: a client cannot pick its own roles.
  const extra = await id.app.inject({ method: 'POST', url: '/api/identity/register', payload: { ...customer, roles: ['admin'] } });
  assert.equal(extra.statusCode, 400);
  assert.equal(extra.json().code, 'VALIDATION_FAILED');
  assert.match(extra.json().detail, /additional properties/);

  const missing = await id.app.inject({ method: 'POST', url: '/api/identity/register', payload: { email: customer.email } });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.json().detail, /body\.password/);

  const blank = await id.app.inject({ method: 'POST', url: '/api/identity/register', payload: { ...customer, name: '   ' } });
  assert.equal(blank.statusCode, 400);
  assert.equal(blank.json().code, 'INVALID_NAME');

  const notJson = await id.app.inject({ method: 'POST', url: '/api/identity/register', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
  assert.equal(notJson.statusCode, 400);
  assert.equal(notJson.json().code, 'MALFORMED_JSON');
  await id.close();
});

test('me: 401 problem+json without a token, with a malformed header, a tampered or expired token', async () => {
  let offsetMs = 0;
  const id = await startIdentity({ clock: () => Date.now() + offsetMs });
  await register(id.app);

  const none = await id.app.inject({ url: '/api/identity/me' });
  assert.equal(none.statusCode, 401);
  assert.match(none.headers['content-type'] as string, /^application\/problem\+json/);
  assert.equal(none.json().code, 'UNAUTHENTICATED');
  assert.equal((await id.app.inject({ url: '/api/identity/me', headers: { authorization: 'Basic c2FtOnB3' } })).statusCode, 401);

  const { accessToken } = await login(id.app);
  const [header, payload, signature] = accessToken.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  claims.roles = ['admin', 'customer'];
  const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
  const res = await id.app.inject({ url: '/api/identity/me', headers: bearer(tampered) });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().code, 'UNAUTHENTICATED');

  // Issued two hours ago with the default 15-minute lifetime: expired now.
  offsetMs = -2 * 3600_000;
  const old = await login(id.app);
  const expired = await id.app.inject({ url: '/api/identity/me', headers: bearer(old.accessToken) });
  assert.equal(expired.statusCode, 401);
  assert.match(expired.json().detail, /expired/);
  await id.close();
});

test('me is 401 USER_NOT_FOUND once the account is gone, even with a valid token', async () => {
  const id = await startIdentity();
  const user = await register(id.app);
  const { accessToken } = await login(id.app);
  await id.store.db.deleteFrom('users').where('id', '=', user.id).execute();
  const res = await id.app.inject({ url: '/api/identity/me', headers: bearer(accessToken) });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().code, 'USER_NOT_FOUND');
  await id.close();
});

test('the admin account is seeded with roles admin and customer; the creation is logged without the password', async () => {
  const id = await startIdentity({ env: { ADMIN_EMAIL: 'Boss@Example.com', ADMIN_PASSWORD: 'a long admin passphrase', ADMIN_NAME: 'The Boss' } });
  const { accessToken } = await login(id.app, { email: 'boss@example.com', password: 'a long admin passphrase' });
  const me = (await id.app.inject({ url: '/api/identity/me', headers: bearer(accessToken) })).json();
  assert.deepEqual(me.roles, ['admin', 'customer']);
  assert.equal(me.email, 'boss@example.com');
  assert.equal(me.name, 'The Boss');
  const created = id.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'admin account created');
  assert.equal(created.length, 1);
  assert.ok(!id.lines.some((l) => l.includes('a long admin passphrase')), 'the admin password is never logged');
  await id.close();
});

test('the default admin password works out of the box and a warning says to change it', async () => {
  const id = await startIdentity();
  await login(id.app, { email: 'admin@bazaar.local', password: 'bazaar-admin-password' });
  assert.ok(id.lines.some((l) => /ADMIN_PASSWORD is the documented default/.test(l)));
  await id.close();
});

test('an existing customer account named by ADMIN_EMAIL is not promoted', async () => {
  const id = await startIdentity({ env: { ADMIN_EMAIL: 'admin@bazaar.local' } });
  await id.app.close();
  // A second start with ADMIN_EMAIL pointed at a customer who registered earlier.
  const first = await startIdentity({ store: id.store });
  await register(first.app);
  await first.app.close();
  const second = await startIdentity({ store: id.store, env: { ADMIN_EMAIL: customer.email } });
  const { accessToken } = await login(second.app);
  const me = (await second.app.inject({ url: '/api/identity/me', headers: bearer(accessToken) })).json();
  assert.deepEqual(me.roles, ['customer']);
  assert.ok(second.lines.some((l) => /was not promoted/.test(l)));
  await second.close();
});

test('the OpenAPI document lists identity routes; readyz pings the store', async () => {
  const id = await startIdentity();
  const doc = (await id.app.inject('/openapi.json')).json();
  for (const path of ['/api/identity/register', '/api/identity/login', '/api/identity/refresh', '/api/identity/me', '/.well-known/jwks.json']) {
    assert.ok(doc.paths[path], `${path} missing from OpenAPI`);
  }
  assert.ok(doc.paths['/api/identity/register'].post.requestBody);
  const ready = await id.app.inject('/readyz');
  assert.equal(ready.statusCode, 200);
  assert.equal(ready.json().checks.store, 'ok');
  await id.close();
});
