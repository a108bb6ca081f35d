import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, login, register, startIdentity } from './helpers.ts';

const ADMIN = { email: 'admin@bazaar.local', password: 'bazaar-admin-password' };

/** Identity with a clock that moves one second per read, so every account has its own creation time. */
async function withAccounts() {
  // Starts now: tokens it signs are checked against the real time.
  let now = Date.now();
  const id = await startIdentity({ clock: () => (now += 1000) });
  const people = [
    { email: 'ada@example.com', name: 'Ada Lovelace' },
    { email: 'grace@example.com', name: 'Grace Hopper' },
    { email: 'linus@example.org', name: 'Linus 100%_Sure' },
    { email: 'ALAN@example.com', name: 'Alan Turing' },
  ];
  const users = [];
  for (const p of people) users.push(await register(id.app, { ...p, password: 'correct horse battery staple' }));
  const admin = (await login(id.app, ADMIN)).accessToken;
  const customer = (await login(id.app, { email: 'ada@example.com', password: 'correct horse battery staple' })).accessToken;
  return { id, users, admin, customer };
}

test('admins page through accounts newest first, with roles and creation time and never a password hash', async () => {
  const { id, admin } = await withAccounts();
  const seen: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/api/identity/customers?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await id.app.inject({ url, headers: bearer(admin) });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(!/password|hash|argon/i.test(res.body), 'no password hash in the answer');
    const body = res.json() as { items: Record<string, unknown>[]; nextCursor: string | null };
    assert.ok(body.items.length <= 2);
    seen.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  assert.deepEqual(seen.map((c) => c.email), ['alan@example.com', 'linus@example.org', 'grace@example.com', 'ada@example.com', 'admin@bazaar.local']);
  assert.deepEqual(Object.keys(seen[0] as object).sort(), ['createdAt', 'email', 'id', 'name', 'roles']);
  assert.deepEqual(seen.at(-1)?.roles, ['admin', 'customer']);
  await id.close();
});

test('q finds accounts by part of the email or the name, case-insensitively; LIKE wildcards are taken literally', async () => {
  const { id, admin } = await withAccounts();
  const find = async (q: string) => {
    const res = await id.app.inject({ url: `/api/identity/customers?q=${encodeURIComponent(q)}`, headers: bearer(admin) });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { items: { email: string }[] }).items.map((c) => c.email);
  };
  assert.deepEqual(await find('HOPPER'), ['grace@example.com']);
  assert.deepEqual(await find('Alan'), ['alan@example.com']);
  assert.deepEqual(await find('example.org'), ['linus@example.org']);
  assert.deepEqual(await find('%_'), ['linus@example.org']);
  assert.deepEqual(await find('_'), ['linus@example.org']);
  assert.deepEqual(await find('nobody-like-this'), []);
  await id.close();
});

test('one account by id; an unknown id is 404 CUSTOMER_NOT_FOUND; a forged cursor is 400 INVALID_CURSOR', async () => {
  const { id, admin, users } = await withAccounts();
  const one = await id.app.inject({ url: `/api/identity/customers/${users[1]?.id}`, headers: bearer(admin) });
  assert.equal(one.statusCode, 200, one.body);
  assert.equal(one.json().email, 'grace@example.com');
  assert.deepEqual(one.json().roles, ['customer']);
  assert.ok(!('passwordHash' in one.json()));
  const missing = await id.app.inject({ url: '/api/identity/customers/no-such-id', headers: bearer(admin) });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'CUSTOMER_NOT_FOUND');
  const forged = await id.app.inject({ url: '/api/identity/customers?cursor=bm90LW91cnM', headers: bearer(admin) });
  assert.equal(forged.statusCode, 400);
  assert.equal(forged.json().code, 'INVALID_CURSOR');
  await id.close();
});

test('the customer routes are admin-only: anonymous 401, a customer 403 (even for their own account)', async () => {
  const { id, customer, users } = await withAccounts();
  for (const url of ['/api/identity/customers', '/api/identity/customers?q=ada', `/api/identity/customers/${users[0]?.id}`]) {
    assert.equal((await id.app.inject({ url })).statusCode, 401, url);
    const res = await id.app.inject({ url, headers: bearer(customer) });
    assert.equal(res.statusCode, 403, url);
    assert.ok(!res.body.includes('ada@example.com'), 'nothing of the account leaks in the refusal');
  }
  await id.close();
});
