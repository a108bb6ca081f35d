import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreDialect } from '@bazaar/store';
import { DIALECTS, testLocation, type AfterHook } from '@bazaar/store/testing';
import { openIdentityStore, repositories } from '../src/store/index.ts';

const at = '2026-01-01T00:00:00.000Z';
const token = (id: string, familyId = 'family-1') => ({ id, tokenHash: `hash-${id}`, userId: 'u1', familyId, createdAt: at, expiresAt: '2026-02-01T00:00:00.000Z' });

async function setup(dialect: StoreDialect, t: AfterHook) {
  const store = await openIdentityStore(await testLocation(dialect, 'identity', t));
  const repos = repositories(store.db);
  assert.equal(await repos.users.create({ id: 'u1', email: 'a@example.com', name: 'A', roles: ['customer'], passwordHash: 'x', createdAt: at }), 'created');
  return { store, repos };
}

for (const dialect of DIALECTS) {
  test(`${dialect}: rotation is conditional: a token can be rotated once; a second, racing rotation is stale and adds nothing`, async (t) => {
    const { store, repos } = await setup(dialect, t);
    await repos.refreshTokens.insert(token('t1'));
    assert.equal(await repos.refreshTokens.rotate({ fromId: 't1', next: token('t2'), at }), 'rotated');
    assert.equal(await repos.refreshTokens.rotate({ fromId: 't1', next: token('t3'), at }), 'stale');
    assert.equal(await repos.refreshTokens.findByHash('hash-t3'), undefined, 'the losing successor was not stored');
    assert.equal((await repos.refreshTokens.findByHash('hash-t1'))?.usedAt, at);
    assert.equal((await repos.refreshTokens.findByHash('hash-t2'))?.usedAt, null);
    await store.close();
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: a revoked token cannot be rotated; revoking a family touches only that family`, async (t) => {
    const { store, repos } = await setup(dialect, t);
    await repos.refreshTokens.insert(token('t1'));
    await repos.refreshTokens.insert(token('other', 'family-2'));
    assert.equal(await repos.refreshTokens.revokeFamily('family-1', at), 1);
    assert.equal(await repos.refreshTokens.revokeFamily('family-1', at), 0, 'already revoked');
    assert.equal(await repos.refreshTokens.rotate({ fromId: 't1', next: token('t2'), at }), 'stale');
    assert.equal((await repos.refreshTokens.findByHash('hash-other'))?.revokedAt, null);
    await store.close();
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: a duplicate email is reported, not thrown, and leaves no partial user behind`, async (t) => {
    const { store, repos } = await setup(dialect, t);
    assert.equal(await repos.users.create({ id: 'u2', email: 'a@example.com', name: 'B', roles: ['customer'], passwordHash: 'y', createdAt: at }), 'email-taken');
    assert.equal(await repos.users.findById('u2'), undefined);
    const roles = await store.db.selectFrom('user_roles').selectAll().where('user_id', '=', 'u2').execute();
    assert.equal(roles.length, 0);
    await store.close();
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: two rotations of one token at the same moment: exactly one wins`, async (t) => {
    const { store, repos } = await setup(dialect, t);
    t.after(() => store.close());
    await repos.refreshTokens.insert(token('t1'));
    const outcomes = await Promise.all([
      repos.refreshTokens.rotate({ fromId: 't1', next: token('t2'), at }),
      repos.refreshTokens.rotate({ fromId: 't1', next: token('t3'), at }),
      repos.refreshTokens.rotate({ fromId: 't1', next: token('t4'), at }),
    ]);
    assert.deepEqual([...outcomes].sort(), ['rotated', 'stale', 'stale']);
    const successors = await store.db.selectFrom('refresh_tokens').select('id').where('id', '!=', 't1').execute();
    assert.equal(successors.length, 1);
  });

  test(`${dialect}: two registrations of one email at the same moment: one user, the other is told the email is taken`, async (t) => {
    const { store, repos } = await setup(dialect, t);
    t.after(() => store.close());
    const outcomes = await Promise.all(['u2', 'u3', 'u4'].map((id) => repos.users.create({ id, email: 'same@example.com', name: id, roles: ['customer'], passwordHash: 'x', createdAt: at })));
    assert.deepEqual([...outcomes].sort(), ['created', 'email-taken', 'email-taken']);
    assert.equal((await store.db.selectFrom('user_roles').selectAll().execute()).length, 2, "u1's role and the winner's");
  });
}
