// Sessions, image records and image bytes on the real stores: SQLite and PostgreSQL, files on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import type { Session } from '../src/domain/model.ts';
import { databaseImageBytes, diskImageBytes, openStorefrontStore, productImageRepository, sessionRepository } from '../src/store/index.ts';

const session = (over: Partial<Session> = {}): Session => ({
  idHash: 'hash-1',
  userId: 'u-1',
  email: 'sam@example.com',
  name: 'Sam',
  roles: ['customer'],
  accessToken: 'access-1',
  refreshToken: 'refresh-1',
  accessExpiresAt: 1_000_000,
  seenPrices: {},
  createdAt: '2026-12-05T00:00:00.000Z',
  expiresAt: 2_000_000,
  ...over,
});

for (const dialect of DIALECTS) {
  test(`${dialect}: sessions are found until they expire, updated, deleted and purged`, async (t) => {
    const store = await openStorefrontStore(await testLocation(dialect, 'storefront', t));
    t.after(() => store.close());
    const repo = sessionRepository(store.db);
    await repo.create(session());
    await repo.create(session({ idHash: 'hash-2', expiresAt: 500 }));
    assert.deepEqual(await repo.find('hash-1', 1000), session());
    assert.equal(await repo.find('hash-2', 1000), undefined, 'expired');
    await repo.updateTokens('hash-1', { accessToken: 'access-2', refreshToken: 'refresh-2', accessExpiresAt: 1_500_000, expiresAt: 3_000_000 });
    await repo.updateSeenPrices('hash-1', { p: 1999 });
    const found = await repo.find('hash-1', 1000);
    assert.equal(found?.accessToken, 'access-2');
    assert.equal(found?.refreshToken, 'refresh-2');
    assert.equal(found?.accessExpiresAt, 1_500_000);
    assert.deepEqual(found?.seenPrices, { p: 1999 });
    assert.equal(await repo.purgeExpired(1000), 1);
    await repo.delete('hash-1');
    assert.equal(await repo.find('hash-1', 1000), undefined);
  });

  test(`${dialect}: an image record is replaced by the next upload; bytes in the database round-trip`, async (t) => {
    const store = await openStorefrontStore(await testLocation(dialect, 'storefront', t));
    t.after(() => store.close());
    const images = productImageRepository(store.db);
    const first = { productId: 'p-1', digest: 'a'.repeat(20), width: 800, height: 600, bytes: 1234, uploadedBy: 'admin@bazaar.local', uploadedAt: '2026-12-05T00:00:00.000Z' };
    await images.save(first);
    await images.save({ ...first, digest: 'b'.repeat(20) });
    assert.equal((await images.find('p-1'))?.digest, 'b'.repeat(20));
    assert.deepEqual([...(await images.findMany(['p-1', 'p-2'])).keys()], ['p-1']);
    assert.equal((await images.findMany([])).size, 0);
    const bytes = databaseImageBytes(store.db);
    const data = Buffer.from([0, 1, 2, 250, 255]);
    await bytes.put('products/x/1.webp', data);
    await bytes.put('products/x/1.webp', data);
    assert.deepEqual(await bytes.get('products/x/1.webp'), data);
    assert.equal(await bytes.get('products/x/2.webp'), undefined);
  });
}

test('image bytes on disk: written whole, read back, missing is undefined', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-storefront-images-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = diskImageBytes(dir);
  await bytes.put('products/abc/1.webp', Buffer.from('hello'));
  assert.equal((await bytes.get('products/abc/1.webp'))?.toString(), 'hello');
  assert.equal(await bytes.get('products/abc/2.webp'), undefined);
});
