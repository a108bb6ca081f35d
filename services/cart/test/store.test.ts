// The CartStore contract, run against every implementation: the relational one
// on SQLite and PostgreSQL, and the Redis one (a unique key prefix per test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreDialect } from '@bazaar/store';
import { DIALECTS, testLocation, type AfterHook } from '@bazaar/store/testing';
import type { CartStore } from '../src/store/index.ts';
import { openCartDatabase, sqliteCartStore } from '../src/store/index.ts';
import { testRedis } from './redis.ts';

/** Every CartStore implementation, in the order tests run them. */
const KINDS: readonly (StoreDialect | 'redis')[] = [...DIALECTS, 'redis'];

async function withStore(kind: StoreDialect | 'redis', t: AfterHook, maxLines = 50): Promise<CartStore> {
  if (kind === 'redis') return (await testRedis(t)).open({ maxLines });
  const db = await openCartDatabase(await testLocation(kind, 'cart', t));
  t.after(() => db.close());
  return sqliteCartStore(db.db, { maxLines });
}

for (const kind of KINDS) {
  test(`${kind}: lines come back in the order first added; setting a quantity updates in place; 0 removes`, async (t) => {
    const store = await withStore(kind, t);
    assert.deepEqual(await store.getLines('u'), []);
    assert.equal(await store.setQuantity('u', 'b', 1), 'set');
    assert.equal(await store.setQuantity('u', 'a', 2), 'set');
    assert.equal(await store.setQuantity('u', 'b', 5), 'set');
    assert.deepEqual(await store.getLines('u'), [{ productId: 'b', quantity: 5 }, { productId: 'a', quantity: 2 }]);
    assert.equal(await store.setQuantity('u', 'b', 0), 'removed');
    await store.remove('u', 'nothing-here');
    assert.deepEqual(await store.getLines('u'), [{ productId: 'a', quantity: 2 }]);
    assert.deepEqual(await store.getLines('someone-else'), []);
  });
}

for (const kind of KINDS) {
  test(`${kind}: the line limit holds under concurrent additions`, async (t) => {
    const store = await withStore(kind, t, 5);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.setQuantity('u', `p${i}`, 1)));
    assert.equal(results.filter((r) => r === 'set').length, 5);
    assert.equal(results.filter((r) => r === 'cart-full').length, 7);
    assert.equal((await store.getLines('u')).length, 5);
    assert.equal(await store.setQuantity('u', 'p0', 9), 'set', 'existing lines still change');
  });
}

for (const kind of KINDS) {
  test(`${kind}: removeOrdered takes the ordered quantities out: lines at 0 go, others stay, other users untouched`, async (t) => {
    const store = await withStore(kind, t);
    await store.setQuantity('u', 'a', 3);
    await store.setQuantity('u', 'b', 1);
    await store.setQuantity('u', 'c', 2);
    await store.setQuantity('v', 'a', 3);
    await store.removeOrdered('u', [
      { productId: 'a', quantity: 2 },
      { productId: 'b', quantity: 1 },
      { productId: 'gone', quantity: 4 },
    ]);
    assert.deepEqual(await store.getLines('u'), [{ productId: 'a', quantity: 1 }, { productId: 'c', quantity: 2 }]);
    assert.deepEqual(await store.getLines('v'), [{ productId: 'a', quantity: 3 }]);
    // More ordered than the cart holds (the user lowered it after checkout): the line goes, never negative.
    await store.removeOrdered('u', [{ productId: 'a', quantity: 5 }]);
    assert.deepEqual(await store.getLines('u'), [{ productId: 'c', quantity: 2 }]);
    await store.removeOrdered('u', []);
    assert.deepEqual(await store.getLines('u'), [{ productId: 'c', quantity: 2 }]);
  });
}
