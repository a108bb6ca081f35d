import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { openCartDatabase } from '../src/store/index.ts';
import { bearer, products, startCart, startCatalogStandIn } from './helpers.ts';

for (const dialect of DIALECTS) {
  test(`${dialect}: a durable store keeps carts across restarts; migrations run once`, async (t) => {
    const where = await testLocation(dialect, 'cart', t, { file: true });
    const catalog = await startCatalogStandIn();
    t.after(() => catalog.close());

    const first = await startCart({ catalogUrl: catalog.url, store: await openCartDatabase(where) });
    assert.deepEqual(first.store.applied, ['0001_init', '0002_inbox', '0003_cart_revisions', '0004_line_revisions']);
    if (dialect === 'sqlite') assert.ok(existsSync(join(where.dataDir, 'cart.sqlite')));
    const token = await first.token('alice');
    await first.app.inject({ method: 'PUT', url: `/api/cart/items/${products.chair.id}`, headers: bearer(token), payload: { quantity: 1 } });
    await first.app.inject({ method: 'PUT', url: `/api/cart/items/${products.mug.id}`, headers: bearer(token), payload: { quantity: 4 } });
    const before = (await first.app.inject({ url: '/api/cart', headers: bearer(token) })).json();
    await first.close();

    const second = await startCart({ catalogUrl: catalog.url, store: await openCartDatabase(where) });
    assert.deepEqual(second.store.applied, [], 'applied migrations are not re-run');
    const after = (await second.app.inject({ url: '/api/cart', headers: bearer(await second.token('alice')) })).json();
    assert.deepEqual(after, before);
    assert.equal(after.total.amount, 14999 + 4 * 899);
    await second.close();
  });
}
