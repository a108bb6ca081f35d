// How far a producer's history goes, as a rebuilding read model asks it: the feed's newest event (order=desc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callAs, testCredentials } from '@bazaar/kit/testing';
import { startTestProducer } from '../src/conformance.ts';
import { feedProbe, replayProgress } from '../src/feed-probe.ts';

test('the feed serves newest first on order=desc (next: the newest in the page); oldest first as before otherwise', async (t) => {
  const p = await startTestProducer({ source: 'orders', credentials: testCredentials('orders') });
  t.after(() => p.close());
  await p.publishAll([1, 2, 3, 4].map((n) => ({ type: 'x.n', data: { n } })));
  const page = async (query: string) => {
    const res = await fetch(`${p.url}/internal/events?${query}`, { headers: callAs('orders') });
    assert.equal(res.status, 200, query);
    const body = (await res.json()) as { events: { sequence: number }[]; next: number };
    return [body.events.map((e) => e.sequence), body.next];
  };
  assert.deepEqual(await page('after=0&limit=2'), [[1, 2], 2]);
  assert.deepEqual(await page('after=0&limit=2&order=asc'), [[1, 2], 2]);
  assert.deepEqual(await page('after=0&limit=2&order=desc'), [[4, 3], 4]);
  assert.deepEqual(await page('after=3&order=desc'), [[4], 4]);
  assert.deepEqual(await page('after=4&order=desc'), [[], 4]);
  const bad = await fetch(`${p.url}/internal/events?order=newest`, { headers: callAs('orders') });
  assert.equal(bad.status, 400);
});

test("feedProbe.head: the newest event's sequence, 0 for an empty feed; a feed that cannot be asked throws", async (t) => {
  const orders = await startTestProducer({ source: 'orders', credentials: testCredentials('orders') });
  const payments = await startTestProducer({ source: 'payments', credentials: testCredentials('payments') });
  const probe = feedProbe({ urls: { orders: orders.url, payments: payments.url }, credentials: testCredentials('reports') });
  t.after(async () => {
    await probe.close();
    await orders.close();
    await payments.close();
  });
  await orders.publishAll([{ type: 'x.a', data: {} }, { type: 'x.b', data: {} }, { type: 'x.c', data: {} }]);
  assert.equal(await probe.head('orders'), 3);
  assert.equal(await probe.head('payments'), 0);
  await payments.stop();
  await assert.rejects(probe.head('payments'));
});

test('replayProgress: replayed once the position reaches the head asked at the first look of the replay; a restart asks again', async () => {
  const heads: Record<string, number> = { orders: 10 };
  let asked = 0;
  const replay = replayProgress({
    head: async (source: string) => {
      asked += 1;
      if (!(source in heads)) throw new Error(`${source} unreachable`);
      return heads[source] as number;
    },
  });
  assert.equal(await replay.replayed('orders', 4), false);
  // The feed grows meanwhile (shoppers check out): the history to replay is what it held when first asked.
  heads.orders = 50;
  assert.equal(await replay.replayed('orders', 10), true);
  assert.equal(asked, 1, 'asked once per source per replay');
  await assert.rejects(replay.replayed('payments', 0), /unreachable/);
  heads.payments = 0;
  assert.equal(await replay.replayed('payments', 0), true, 'a feed that could not be asked is asked again');
  replay.restart();
  assert.equal(await replay.replayed('orders', 10), false, 'a new replay asks the head again: 50 now');
  assert.equal(await replay.replayed('orders', 50), true);
});
