import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { inventoryRepository, openInventoryStore } from '../src/store/index.ts';

for (const dialect of DIALECTS) {
  test(`${dialect}: a durable store keeps stock, reservations and events across a reopen, and migrates once`, async (t) => {
    const where = await testLocation(dialect, 'inventory', t, { file: true });
    const first = await openInventoryStore(where);
    assert.deepEqual(first.applied, ['0001_init', '0002_outbox', '0003_inbox', '0004_outbox_relay', '0005_stock_adjustments']);
    if (dialect === 'sqlite') assert.ok(first.location.endsWith('inventory.sqlite'));
    const repo = inventoryRepository(first.db);
    const now = new Date().toISOString();
    const later = new Date(Date.now() + 60_000).toISOString();
    await repo.setAvailable({ productId: 'a', available: 10, now });
    assert.equal((await repo.reserve({ orderId: 'o1', items: [{ productId: 'a', quantity: 3 }], expiresAt: later, now })).kind, 'created');
    assert.equal((await repo.reserve({ orderId: 'o2', items: [{ productId: 'a', quantity: 2 }], expiresAt: later, now })).kind, 'created');
    await repo.commit({ orderId: 'o2', now });
    await first.close();

    const second = await openInventoryStore(where);
    t.after(() => second.close());
    assert.deepEqual(second.applied, [], 'nothing to migrate the second time');
    const again = inventoryRepository(second.db);
    assert.deepEqual(await again.stock('a'), { productId: 'a', available: 5, reserved: 3, committed: 2 });
    assert.deepEqual(await again.reservation('o1'), { orderId: 'o1', status: 'RESERVED', items: [{ productId: 'a', quantity: 3 }], expiresAt: later, releaseReason: null });
    assert.equal((await again.reservation('o2'))?.status, 'COMMITTED');
    // The reservation made before the restart still works after it, and a retry of it takes nothing.
    assert.equal((await again.reserve({ orderId: 'o1', items: [{ productId: 'a', quantity: 3 }], expiresAt: later, now })).kind, 'exists');
    assert.equal((await again.release({ orderId: 'o1', now })).kind, 'settled');
    assert.deepEqual(await again.stock('a'), { productId: 'a', available: 8, reserved: 0, committed: 2 });
    const events = await second.db.selectFrom('outbox').select(['type', 'data']).orderBy('seq').execute();
    assert.deepEqual(events.map((e) => JSON.parse(e.data).available), [10, 7, 5, 8]);
  });

  test(`${dialect}: the database itself refuses a negative counter (the last line of defence)`, async (t) => {
    const store = await openInventoryStore(await testLocation(dialect, 'inventory', t));
    t.after(() => store.close());
    await inventoryRepository(store.db).setAvailable({ productId: 'a', available: 1, now: new Date().toISOString() });
    await assert.rejects(store.db.updateTable('stock').set({ available: -1 }).where('product_id', '=', 'a').execute(), /CHECK constraint failed|violates check constraint/);
  });
}
