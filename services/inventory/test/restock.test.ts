import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { testLogger, waitFor, testCredentials } from '@bazaar/kit/testing';
import { createHttpFeedTransport, cursorStore, startConsumer, type Subscription } from '@bazaar/messaging';
import { startTestProducer } from '@bazaar/messaging/testing';
import type { OrderRefundedData } from '@bazaar/contracts/events';
import { orderHandlers } from '../src/events.ts';
import { inventoryRepository } from '../src/store/index.ts';
import { available, outbox, reserve, setStock, settle, startInventory } from './helpers.ts';

const line = (productId: string, quantity: number) => ({ productId, name: productId, quantity, unitPrice: { amount: 100, currency: 'EUR' }, lineTotal: { amount: 100 * quantity, currency: 'EUR' } });
const refunded = (orderId: string, restock: boolean, items = [line('a', 2), line('b', 1), line('a', 1)]): OrderRefundedData => ({
  orderId,
  userId: 'u1',
  email: 'u1@example.test',
  amount: { amount: 400, currency: 'EUR' },
  restock,
  items,
  refundedAt: '2030-01-01T00:00:00.000Z',
});

for (const dialect of DIALECTS) {
  test(`${dialect}: orders.order-refunded with restock puts the sold units back on hand once, even when delivered twice; without restock nothing moves`, async (t) => {
    const orders = await startTestProducer({ source: 'orders', credentials: testCredentials('orders') });
    const { app, admin, store } = await startInventory({ where: await testLocation(dialect, 'inventory', t) });
    const logger = testLogger();
    const consume = (): Subscription =>
      startConsumer({
        db: store.db,
        transport: createHttpFeedTransport({ urls: { orders: orders.url }, credentials: testCredentials('inventory'), cursors: cursorStore(store.db), logger, waitMs: 2000 }),
        consumer: 'inventory',
        source: 'orders',
        handlers: orderHandlers(),
        logger,
      });
    const handled = (n: number) => async () => ((await store.db.selectFrom('inbox').select('event_id').execute()).length === n ? true : undefined);
    let consumer = consume();
    try {
      await setStock(app, admin, { a: 10, b: 5 });
      await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 3 }, { productId: 'b', quantity: 1 }] });
      await settle(app, 'o1', 'commit');
      await reserve(app, { orderId: 'o2', items: [{ productId: 'b', quantity: 2 }] });
      await settle(app, 'o2', 'commit');
      const before = (await outbox(app)).length;

      await orders.publish('orders.order-refunded', refunded('o2', false, [line('b', 2)]), 'o2');
      await orders.publish('orders.order-refunded', refunded('o1', true), 'o1');
      await waitFor('both refunds handled', handled(2), 30_000);
      assert.equal(await available(app, 'a'), 10, 'the 3 units of a are back');
      assert.equal(await available(app, 'b'), 3, 'the restocked unit of b is back, the refund without restock left b alone');
      const repo = inventoryRepository(store.db);
      assert.equal((await repo.stock('a'))?.committed, 0);
      assert.equal((await repo.stock('b'))?.committed, 2);
      const changes = (await outbox(app)).slice(before).map((e) => e.data);
      assert.deepEqual(changes, [{ productId: 'a', available: 10 }, { productId: 'b', available: 3 }], 'one stock-changed event per restocked product');

      // Deliver everything again, as after a crash before the cursor was saved: nothing moves twice.
      await consumer.stop();
      await cursorStore(store.db).save('orders/inventory', 0);
      consumer = consume();
      await orders.publish('orders.order-refunded', refunded('o9', true, [line('c', 4)]), 'o9');
      await waitFor('the later refund handled', handled(3), 30_000);
      assert.equal(await available(app, 'a'), 10);
      assert.equal(await available(app, 'b'), 3);
      assert.equal(await available(app, 'c'), 4, 'a product inventory never knew gets the units');
    } finally {
      await consumer.stop();
      await app.close();
      await orders.close();
    }
  });
}
