import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { decodeProtectedHeader } from 'jose';
import { generateSigningKey } from '../src/domain/keys.ts';
import { openIdentityStore, repositories } from '../src/store/index.ts';
import { bearer, customer, login, register, startIdentity, verifyWithJwks } from './helpers.ts';

for (const dialect of DIALECTS) {
  test(`${dialect}: a durable store keeps users, signing key and admin across restarts; migrations run once`, async (t) => {
    const where = await testLocation(dialect, 'identity', t, { file: true });
    const admin = { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'first admin passphrase' };

    const first = await startIdentity({ store: await openIdentityStore(where), env: admin });
    assert.deepEqual(first.store.applied, ['0001_init', '0002_users_by_creation', '0003_revoked_families']);
    if (dialect === 'sqlite') assert.ok(existsSync(join(where.dataDir, 'identity.sqlite')));
    const user = await register(first.app);
    const issued = await login(first.app);
    const jwksBefore = (await first.app.inject('/.well-known/jwks.json')).json();
    assert.ok(first.lines.some((l) => /admin account created/.test(l)));
    assert.ok(first.lines.some((l) => /generated a new token signing key/.test(l)));
    await first.close();

    // Second start: a different ADMIN_PASSWORD must not change the existing admin's password.
    const second = await startIdentity({ store: await openIdentityStore(where), env: { ...admin, ADMIN_PASSWORD: 'second admin passphrase' } });
    assert.deepEqual(second.store.applied, [], 'applied migrations are not re-run');
    assert.ok(!second.lines.some((l) => /admin account created/.test(l)), 'the admin is not re-created');
    assert.ok(!second.lines.some((l) => /generated a new token signing key/.test(l)), 'the signing key is reused');
    assert.deepEqual((await second.app.inject('/.well-known/jwks.json')).json(), jwksBefore);

    // The token issued before the restart still verifies, against the JWKS and through /me.
    assert.equal((await verifyWithJwks(second.app, issued.accessToken)).payload.sub, user.id);
    const me = await second.app.inject({ url: '/api/identity/me', headers: bearer(issued.accessToken) });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().email, customer.email);
    // So does the refresh token, and the registered user's password.
    assert.equal((await second.app.inject({ method: 'POST', url: '/api/identity/refresh', payload: { refreshToken: issued.refreshToken } })).statusCode, 200);
    await login(second.app);

    await login(second.app, { email: admin.ADMIN_EMAIL, password: 'first admin passphrase' });
    const withNew = await second.app.inject({ method: 'POST', url: '/api/identity/login', payload: { email: admin.ADMIN_EMAIL, password: 'second admin passphrase' } });
    assert.equal(withNew.statusCode, 401, 'the admin password was not overwritten');
    const admins = await second.store.db.selectFrom('users').select('id').where('email', '=', admin.ADMIN_EMAIL).execute();
    assert.equal(admins.length, 1);
    await second.close();
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: key rotation: a newer key signs, the older one stays published so its tokens still verify`, async (t) => {
    const where = await testLocation(dialect, 'identity', t, { file: true });
    const first = await startIdentity({ store: await openIdentityStore(where) });
    await register(first.app);
    const before = await login(first.app);
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    // An operator adds a key (what a rotation command will do), then restarts.
    const added = await generateSigningKey(() => Date.now() + 1000);
    await repositories(first.store.db).signingKeys.insert(added);
    await first.close();

    const second = await startIdentity({ store: await openIdentityStore(where) });
    const kids = (await second.app.inject('/.well-known/jwks.json')).json().keys.map((k: { kid: string }) => k.kid).sort();
    assert.deepEqual(kids, [oldKid, added.kid].sort());
    const after = await login(second.app);
    assert.equal(decodeProtectedHeader(after.accessToken).kid, added.kid, 'the newest key signs');
    assert.equal((await second.app.inject({ url: '/api/identity/me', headers: bearer(before.accessToken) })).statusCode, 200);
    assert.equal((await second.app.inject({ url: '/api/identity/me', headers: bearer(after.accessToken) })).statusCode, 200);
    await second.close();
  });
}
