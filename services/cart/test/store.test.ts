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

// Issue 12: orders.order-confirmed lands seconds after checkout. It names the
// cart revision the order was placed from; a line the shopper set after it
// stays as the shopper set it, and nothing changed means no new revision.
for (const kind of KINDS) {
  test(`${kind}: a late order confirmation leaves alone a line set again after checkout, and changes no revision (issue 12)`, async (t) => {
    const store = await withStore(kind, t);
    await store.setQuantity('u', 'a', 2);
    const placedAt = (await store.snapshot('u')).revision;
    // The first checkout seemed slow: the shopper puts the same product in again.
    await store.setQuantity('u', 'a', 2);
    const before = await store.snapshot('u');
    await store.removeOrdered('u', [{ productId: 'a', quantity: 2 }], placedAt);
    assert.deepEqual(await store.snapshot('u'), before, 'the line stays and the revision does not move');
  });
}

for (const kind of KINDS) {
  test(`${kind}: a late order confirmation takes out the ordered lines and keeps a product added after checkout (issue 12)`, async (t) => {
    const store = await withStore(kind, t);
    await store.setQuantity('u', 'a', 2);
    await store.setQuantity('u', 'b', 1);
    const placedAt = (await store.snapshot('u')).revision;
    await store.setQuantity('u', 'c', 3);
    await store.removeOrdered('u', [{ productId: 'a', quantity: 2 }, { productId: 'b', quantity: 1 }], placedAt);
    assert.deepEqual(await store.snapshot('u'), { lines: [{ productId: 'c', quantity: 3 }], revision: placedAt + 2 }, 'one new revision for the change');
  });
}

for (const kind of KINDS) {
  test(`${kind}: a redelivered order confirmation changes nothing, also after the shopper added the product again (issue 12)`, async (t) => {
    const store = await withStore(kind, t);
    await store.setQuantity('u', 'a', 2);
    const placedAt = (await store.snapshot('u')).revision;
    const ordered = [{ productId: 'a', quantity: 2 }];
    await store.removeOrdered('u', ordered, placedAt);
    const emptied = await store.snapshot('u');
    assert.deepEqual(emptied.lines, []);
    await store.removeOrdered('u', ordered, placedAt);
    assert.deepEqual(await store.snapshot('u'), emptied, 'nothing left to take, no new revision');
    await store.setQuantity('u', 'a', 1);
    const refilled = await store.snapshot('u');
    await store.removeOrdered('u', ordered, placedAt);
    assert.deepEqual(await store.snapshot('u'), refilled, 'the product added again after the order stays');
  });
}

for (const kind of KINDS) {
  test(`${kind}: removal at a cart revision lowers a line once: lowered, it counts as set after that revision`, async (t) => {
    const store = await withStore(kind, t);
    await store.setQuantity('u', 'a', 3);
    const placedAt = (await store.snapshot('u')).revision;
    await store.removeOrdered('u', [{ productId: 'a', quantity: 2 }], placedAt);
    const lowered = await store.snapshot('u');
    assert.deepEqual(lowered, { lines: [{ productId: 'a', quantity: 1 }], revision: placedAt + 1 });
    // The cart's route and the order-confirmed event both apply the same order.
    await store.removeOrdered('u', [{ productId: 'a', quantity: 2 }], placedAt);
    assert.deepEqual(await store.snapshot('u'), lowered, 'the second application changes nothing');
  });
}

for (const kind of KINDS) {
  test(`${kind}: an order confirmation without a cart revision (from before orders sent it) takes the ordered quantities out as before`, async (t) => {
    const store = await withStore(kind, t);
    await store.setQuantity('u', 'a', 3);
    await store.setQuantity('u', 'b', 1);
    await store.setQuantity('u', 'a', 5);
    const { revision } = await store.snapshot('u');
    await store.removeOrdered('u', [{ productId: 'a', quantity: 3 }, { productId: 'b', quantity: 1 }]);
    assert.deepEqual(await store.snapshot('u'), { lines: [{ productId: 'a', quantity: 2 }], revision: revision + 1 });
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: a line stored before lines kept their revision counts as set at 0: an order confirmation takes it out`, async (t) => {
    const db = await openCartDatabase(await testLocation(dialect, 'cart', t));
    t.after(() => db.close());
    const now = new Date().toISOString();
    // As the cart wrote it before migration 0004: no set_revision, so the column's default.
    await db.db.insertInto('cart_lines').values({ user_id: 'u', product_id: 'a', quantity: 2, position: 1, added_at: now, updated_at: now }).execute();
    await db.db.insertInto('cart_revisions').values({ user_id: 'u', revision: 7 }).execute();
    const store = sqliteCartStore(db.db, { maxLines: 50 });
    await store.removeOrdered('u', [{ productId: 'a', quantity: 2 }], 7);
    assert.deepEqual(await store.snapshot('u'), { lines: [], revision: 8 });
  });
}
