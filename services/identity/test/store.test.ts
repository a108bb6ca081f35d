import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreDialect } from '@bazaar/store';
import { DIALECTS, recordQueries, sqlitePlan, testLocation, type AfterHook } from '@bazaar/store/testing';
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

// The gateway asks for the families revoked lately every REVOCATION_POLL_MS, and every sign-in and refresh leaves a
// row for good: the question must be answered from an index of the revoked rows, not by reading every token ever.
test('sqlite: the families revoked lately come from an index of the revoked tokens, never from every token ever', async (t) => {
  const { store } = await setup('sqlite', t);
  t.after(() => store.close());
  const recorded = recordQueries(store.db);
  const tokens = repositories(recorded.db).refreshTokens;
  for (const [id, family] of [['t1', 'family-1'], ['t2', 'family-2'], ['t2-next', 'family-2'], ['t3', 'family-3']] as const) await tokens.insert(token(id, family));
  await tokens.revokeFamily('family-1', '2026-01-01T10:00:00.000Z');
  await tokens.revokeFamily('family-2', '2026-01-01T12:00:00.000Z');

  recorded.statements.length = 0;
  assert.deepEqual(await tokens.revokedSince('2026-01-01T11:00:00.000Z'), ['family-2'], 'revoked in the window, each family once');
  assert.equal(recorded.statements.length, 1);
  const plan = await sqlitePlan(store.db, recorded.statements[0] as string);
  assert.ok(plan.some((step) => /^SEARCH refresh_tokens USING COVERING INDEX refresh_tokens_revoked_idx /.test(step)), `read through the index of revoked tokens: ${plan.join(' | ')}`);
  assert.ok(!plan.some((step) => step.startsWith('SCAN')), `no whole table or index read: ${plan.join(' | ')}`);
});
