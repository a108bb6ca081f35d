import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import type { AnyCloudEvent } from '@bazaar/messaging';
import { bearer, lamp, startCatalog } from './helpers.ts';
import { callAs } from '@bazaar/kit/testing';

const feed = async (app: Awaited<ReturnType<typeof startCatalog>>['app'], after: number, limit = 500) => {
  const res = await app.inject({ url: `/internal/events?after=${after}&limit=${limit}`, headers: callAs('catalog') });
  assert.equal(res.statusCode, 200);
  return res.json() as { events: AnyCloudEvent[]; next: number };
};

for (const dialect of DIALECTS) {
  test(`${dialect}: the seed announces every product as catalog.product-created, in order`, async (t) => {
    const { app } = await startCatalog({ where: await testLocation(dialect, 'catalog', t) });
    const events: AnyCloudEvent[] = [];
    let after = 0;
    for (let pages = 0; ; pages++) {
      assert.ok(pages <= 600, `the feed still had events after ${pages} pages (cursor stuck at ${after}?)`);
      const page = await feed(app, after);
      if (page.events.length === 0) break;
      events.push(...page.events);
      after = page.next;
    }
    assert.equal(events.length, 600);
    assert.ok(events.every((e) => e.type === 'catalog.product-created' && e.source === 'catalog' && e.specversion === '1.0'));
    assert.deepEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1));
    await app.close();
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: create and update publish events with the product as it now is; a refused write publishes nothing`, async (t) => {
    const { app, admin } = await startCatalog({ seed: false, where: await testLocation(dialect, 'catalog', t) });
    const created = (await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp })).json();
    assert.equal((await app.inject({ method: 'POST', url: '/api/catalog/products', headers: bearer(admin), payload: lamp })).statusCode, 409);
    await app.inject({ method: 'PATCH', url: `/api/catalog/products/${created.id}`, headers: bearer(admin), payload: { name: 'Brighter Lamp' } });
    const { events } = await feed(app, 0);
    assert.deepEqual(events.map((e) => e.type), ['catalog.product-created', 'catalog.product-updated']);
    assert.equal(events[0]?.subject, created.id);
    assert.deepEqual(events[0]?.data, created);
    assert.equal((events[1]?.data as { name: string }).name, 'Brighter Lamp');
    await app.close();
  });
}

test('the event feed is internal: 401 without the service credential', async () => {
  const { app } = await startCatalog({ seed: false });
  assert.equal((await app.inject({ url: '/internal/events' })).statusCode, 401);
  await app.close();
});
