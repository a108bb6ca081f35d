// The stand-in producer that consumers' tests use: real outbox, real feed over
// HTTP, stopped and started again on the same address with the outbox kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProducer } from '../src/conformance.ts';
import { callAs, testCredentials } from '@bazaar/kit/testing';

async function feed(url: string, source = 'orders'): Promise<{ status: number; events: { id: string; type: string; subject?: string; sequence: number }[] }> {
  const res = await fetch(`${url}/internal/events?after=0`, { headers: callAs(source) });
  return { status: res.status, events: res.status === 200 ? ((await res.json()) as { events: [] }).events : [] };
}

test('publish returns the event as the feed serves it; the feed needs a consumer credential', async (t) => {
  const p = await startTestProducer({ source: 'orders', credentials: testCredentials('orders') });
  t.after(() => p.close());
  assert.equal(p.url, `http://127.0.0.1:${p.port}`);
  const data = { orderId: 'o-1', userId: 'u-1', email: 'u@example.test', items: [], total: { amount: 0, currency: 'EUR' }, confirmedAt: '2026-01-02T10:00:00.000Z' };
  const one = await p.publish('orders.order-confirmed', data, 'o-1');
  assert.deepEqual([one.source, one.type, one.subject, one.sequence, one.data], ['orders', 'orders.order-confirmed', 'o-1', 1, data]);
  const [two, three] = await p.publishAll([{ type: 'x.a', data: { n: 2 } }, { type: 'x.b', subject: 's', data: { n: 3 } }]);
  assert.deepEqual([two?.sequence, two?.subject, three?.sequence, three?.type], [2, undefined, 3, 'x.b']);
  const served = await feed(p.url);
  assert.equal(served.status, 200);
  assert.deepEqual(served.events.map((e) => e.id), [one.id, two?.id, three?.id]);
  assert.equal((await fetch(`${p.url}/internal/events?after=0`)).status, 401);
});

test('stop and start serve again on the same URL with the outbox kept; listen: false starts down', async (t) => {
  const p = await startTestProducer({ source: 'catalog', credentials: testCredentials('catalog'), listen: false });
  t.after(() => p.close());
  await assert.rejects(fetch(p.url), TypeError, 'nothing listens before start()');
  await p.publish('catalog.product-created', { id: 'p1', sku: 'SKU-1', name: 'One', description: '', category: 'books', price: { amount: 100, currency: 'EUR' } }, 'p1');
  await p.start();
  assert.deepEqual((await feed(p.url, 'catalog')).events.map((e) => e.subject), ['p1']);
  await assert.rejects(p.start(), /already serving/);
  await p.stop();
  await assert.rejects(fetch(p.url), TypeError, 'nothing listens after stop()');
  await p.publishAll([{ type: 'catalog.product-created', subject: 'p2', data: {} }]);
  await p.start();
  assert.deepEqual((await feed(p.url, 'catalog')).events.map((e) => e.subject), ['p1', 'p2']);
});
