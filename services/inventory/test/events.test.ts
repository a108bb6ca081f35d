import { test } from 'node:test';
import assert from 'node:assert/strict';

import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { testLogger, waitFor, testCredentials } from '@bazaar/kit/testing';
import { createHttpFeedTransport, cursorStore, startConsumer, type EventTransport, type Subscription } from '@bazaar/messaging';
import { catalogHandlers } from '../src/events.ts';
import { createStockIfMissing } from '../src/store/index.ts';
import { startFakeCatalog } from './fake-catalog.ts';
import { available, bearer, manualClock, outbox, reserve, setStock, settle, startInventory } from './helpers.ts';

for (const dialect of DIALECTS) {
  test(`${dialect}: every change of available units is an inventory.stock-changed event in the outbox; nothing else is`, async (t) => {
    const clock = manualClock();
    const { app, admin } = await startInventory({ now: clock.now, where: await testLocation(dialect, 'inventory', t) });
    await setStock(app, admin, { a: 10, b: 5 });
    await setStock(app, admin, { a: 10 }); // unchanged: no event
    await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 2 }, { productId: 'b', quantity: 1 }] });
    await reserve(app, { orderId: 'o1', items: [{ productId: 'a', quantity: 2 }] }); // a retry: no event
    await reserve(app, { orderId: 'o2', items: [{ productId: 'a', quantity: 1 }, { productId: 'b', quantity: 99 }] }); // refused: no event
    await settle(app, 'o1', 'commit'); // available does not change: no event
    await reserve(app, { orderId: 'o3', items: [{ productId: 'a', quantity: 3 }] });
    await settle(app, 'o3', 'release');
    await settle(app, 'o3', 'release'); // idempotent: no event
    await reserve(app, { orderId: 'o4', items: [{ productId: 'b', quantity: 4 }], ttlSeconds: 1 });
    clock.advance(1000);
    assert.equal(await available(app, 'b'), 4); // expiry, found lazily
    const events = await outbox(app);
    assert.ok(events.every((e) => e.type === 'inventory.stock-changed' && e.source === 'inventory' && e.specversion === '1.0'));
    assert.ok(events.every((e) => e.subject === (e.data as { productId: string }).productId));
    assert.deepEqual(
      events.map((e) => e.data),
      [
        { productId: 'a', available: 10 }, // PUT creates
        { productId: 'b', available: 5 },
        { productId: 'a', available: 8 }, // o1 reserves
        { productId: 'b', available: 4 },
        { productId: 'a', available: 5 }, // o3 reserves
        { productId: 'a', available: 8 }, // o3 released
        { productId: 'b', available: 0 }, // o4 reserves
        { productId: 'b', available: 4 }, // o4 expired
      ],
    );
    await app.close();
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: catalog.product-created gives a new product its initial stock exactly once, even when delivered twice`, async (t) => {
    const catalog = await startFakeCatalog();
    const { app, admin, store } = await startInventory({ where: await testLocation(dialect, 'inventory', t) });
    const logger = testLogger();
    // Every delivery the real transport makes, duplicates included.
    const deliveries: string[] = [];
    const counted = (inner: EventTransport): EventTransport => ({
      subscribe: (sub) =>
        inner.subscribe({
          ...sub,
          handle: async (event) => {
            deliveries.push(event.subject ?? '');
            await sub.handle(event);
          },
        }),
    });
    const consume = (): Subscription =>
      startConsumer({
        db: store.db,
        transport: counted(createHttpFeedTransport({ urls: { catalog: catalog.url }, credentials: testCredentials('inventory'), cursors: cursorStore(store.db), logger, waitMs: 2000 })),
        consumer: 'inventory',
        source: 'catalog',
        handlers: catalogHandlers({ initialStock: 100 }),
        logger,
      });
    const known = (id: string) => async () => ((await app.inject({ url: `/api/inventory/${id}` })).statusCode === 200 ? true : undefined);
    let consumer = consume();
    try {
      // An admin set p3's stock before the catalog announced it: the announcement must not overwrite it.
      await setStock(app, admin, { p3: 7 });
      await catalog.created('p1', 'p2', 'p3');
      await waitFor('the three events to be handled', async () => ((await store.db.selectFrom('inbox').select('event_id').execute()).length === 3 ? true : undefined), 30_000);
      assert.equal(await available(app, 'p1'), 100);
      assert.equal(await available(app, 'p3'), 7);
      assert.equal((await reserve(app, { orderId: 'o1', items: [{ productId: 'p1', quantity: 10 }] })).status, 201);

      // Deliver everything again: rewind the consumer's cursor, as after a crash before the cursor was saved.
      await consumer.stop();
      await cursorStore(store.db).save('catalog/inventory', 0);
      consumer = consume();
      // The catalog also announces p1 again under a new event id; p4 follows, so once p4 is known the rest was seen.
      await catalog.created('p1', 'p4');
      await waitFor('inventory to learn p4', known('p4'), 30_000);

      assert.deepEqual(deliveries, ['p1', 'p2', 'p3', 'p1', 'p2', 'p3', 'p1', 'p4'], 'the first three really came twice');
      assert.equal(await available(app, 'p1'), 90, 'not reset by the redelivery or the re-announcement');
      assert.equal(await available(app, 'p2'), 100);
      assert.equal(await available(app, 'p3'), 7);
      assert.equal(await available(app, 'p4'), 100);
      const initial = (await outbox(app)).filter((e) => (e.data as { available: number }).available === 100).map((e) => e.subject);
      assert.deepEqual(initial.sort(), ['p1', 'p2', 'p4'], 'one initial-stock event per new product');
      assert.equal((await store.db.selectFrom('inbox').select('event_id').execute()).length, 5, 'five distinct events handled once each');
    } finally {
      await consumer.stop();
      await app.close();
      await catalog.close();
    }
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: createStockIfMissing runs in the caller transaction: a rollback leaves neither the stock nor its event`, async (t) => {
    const { app, store } = await startInventory({ where: await testLocation(dialect, 'inventory', t) });
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        assert.equal(await createStockIfMissing(trx, { productId: 'p1', available: 100, now: new Date().toISOString() }), true);
        throw new Error('handler failed later');
      }),
      /handler failed later/,
    );
    assert.equal((await app.inject({ url: '/api/inventory/p1' })).statusCode, 404);
    assert.deepEqual(await outbox(app), []);
    await app.close();
  });
}

test('a refused PUT changes nothing and publishes nothing', async () => {
  const { app, admin, customer } = await startInventory();
  await setStock(app, admin, { a: 3 });
  const res = await app.inject({ method: 'PUT', url: '/api/inventory/a', headers: bearer(customer), payload: { available: 1000 } });
  assert.equal(res.statusCode, 403);
  assert.equal(await available(app, 'a'), 3);
  assert.equal((await outbox(app)).length, 1);
  await app.close();
});
