import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openIdentityStore, repositories } from '../src/store/index.ts';

const at = '2026-01-01T00:00:00.000Z';
const token = (id: string, familyId = 'family-1') => ({ id, tokenHash: `hash-${id}`, userId: 'u1', familyId, createdAt: at, expiresAt: '2026-02-01T00:00:00.000Z' });

async function setup() {
  const store = await openIdentityStore({ dataDir: '', inMemory: true });
  const repos = repositories(store.db);
  assert.equal(await repos.users.create({ id: 'u1', email: 'a@example.com', name: 'A', roles: ['customer'], passwordHash: 'x', createdAt: at }), 'created');
  return { store, repos };
}

test('rotation is conditional: a token can be rotated once; a second, racing rotation is stale and adds nothing', async () => {
  const { store, repos } = await setup();
  await repos.refreshTokens.insert(token('t1'));
  assert.equal(await repos.refreshTokens.rotate({ fromId: 't1', next: token('t2'), at }), 'rotated');
  assert.equal(await repos.refreshTokens.rotate({ fromId: 't1', next: token('t3'), at }), 'stale');
  assert.equal(await repos.refreshTokens.findByHash('hash-t3'), undefined, 'the losing successor was not stored');
  assert.equal((await repos.refreshTokens.findByHash('hash-t1'))?.usedAt, at);
  assert.equal((await repos.refreshTokens.findByHash('hash-t2'))?.usedAt, null);
  await store.close();
});

test('a revoked token cannot be rotated; revoking a family touches only that family', async () => {
  const { store, repos } = await setup();
  await repos.refreshTokens.insert(token('t1'));
  await repos.refreshTokens.insert(token('other', 'family-2'));
  assert.equal(await repos.refreshTokens.revokeFamily('family-1', at), 1);
  assert.equal(await repos.refreshTokens.revokeFamily('family-1', at), 0, 'already revoked');
  assert.equal(await repos.refreshTokens.rotate({ fromId: 't1', next: token('t2'), at }), 'stale');
  assert.equal((await repos.refreshTokens.findByHash('hash-other'))?.revokedAt, null);
  await store.close();
});

test('a duplicate email is reported, not thrown, and leaves no partial user behind', async () => {
  const { store, repos } = await setup();
  assert.equal(await repos.users.create({ id: 'u2', email: 'a@example.com', name: 'B', roles: ['customer'], passwordHash: 'y', createdAt: at }), 'email-taken');
  assert.equal(await repos.users.findById('u2'), undefined);
  const roles = await store.db.selectFrom('user_roles').selectAll().where('user_id', '=', 'u2').execute();
  assert.equal(roles.length, 0);
  await store.close();
});
