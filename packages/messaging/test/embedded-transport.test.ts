// The embedded transport (producer outbox served over HTTP, consumer long-polls
// with a durable cursor) against the transport conformance suite, with real
// SQLite stores and a real HTTP server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { manualClock, testLogger, testCredentials, waitFor, type ManualClock } from '@bazaar/kit/testing';
import { openStore, type Store } from '@bazaar/store';
import { startTestProducer, transportConformance, type ConformanceHarness } from '../src/conformance.ts';
import { cursorStore, createHttpFeedTransport, inboxMigration, type AnyCloudEvent, type InboxTables } from '../src/index.ts';
import { sleep } from '../src/sleep.ts';

async function setup(linger?: { ms: number; clock?: ManualClock }): Promise<ConformanceHarness> {
  const producer = await startTestProducer({ source: 'producer', credentials: testCredentials('producer') });
  const consumerStore: Store<InboxTables> = await openStore<InboxTables>({ service: 'c', dataDir: '', inMemory: true, migrations: { '0001_inbox': inboxMigration } });
  return {
    source: 'producer',
    transport: () =>
      createHttpFeedTransport({
        urls: { producer: producer.url },
        credentials: testCredentials('reports'),
        cursors: cursorStore(consumerStore.db),
        logger: testLogger(),
        waitMs: 2000,
        ...(linger ? { lingerMs: linger.ms, ...(linger.clock ? { clock: linger.clock } : {}) } : {}),
      }),
    async publish(events) {
      await producer.publishAll(events);
    },
    stopProducer: producer.stop,
    startProducer: producer.start,
    async close() {
      await producer.close();
      await consumerStore.close();
    },
  };
}

transportConformance('embedded HTTP feed', () => setup());
// The same promises with a linger between pages (reports' setting): it only delays.
transportConformance('embedded HTTP feed, lingering 20 ms', () => setup({ ms: 20 }));

test('with a linger, events that trickle in while the consumer waits arrive as one batch', async () => {
  const clock = manualClock({ autoAdvance: false });
  const h = await setup({ ms: 250, clock });
  const batches: number[][] = [];
  const sub = h.transport().subscribe({
    source: 'producer',
    consumer: 'lingering',
    handle: async () => assert.fail('a page is handed over as a batch'),
    handleBatch: async (events: AnyCloudEvent[]) => {
      batches.push(events.map((e) => (e.data as { n: number }).n));
    },
  });
  try {
    const one = (n: number) => ({ type: 'test.counted', subject: `n${n}`, data: { n } });
    await h.publish([one(1)]);
    await waitFor('the first event, alone', () => batches.length === 1);
    await waitFor('the consumer lingering after a short page', () => clock.pending() === 1);
    // Three appends, each its own transaction, while the consumer lingers: without the linger each would be a page.
    for (const n of [2, 3, 4]) await h.publish([one(n)]);
    assert.equal(batches.length, 1, 'nothing read during the linger');
    clock.advance(250);
    await waitFor('the three events that came during the linger', () => batches.length === 2);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
  } finally {
    await sub.stop();
    await h.close();
  }
});

test('sleep leaves no listener on the signal once it has slept (a long retry loop would pile them up)', async () => {
  const abort = new AbortController();
  for (let i = 0; i < 20; i++) await sleep(1, abort.signal);
  assert.equal(getEventListeners(abort.signal, 'abort').length, 0);
  const pending = sleep(60_000, abort.signal);
  abort.abort();
  await pending; // resolves at once on abort
});

test('through a backlog, the next page is asked for while a full one is handled; every event once, in order', async () => {
  const { createServer, request } = await import('node:http');
  const producer = await startTestProducer({ source: 'producer', credentials: testCredentials('producer') });
  const consumerStore: Store<InboxTables> = await openStore<InboxTables>({ service: 'c', dataDir: '', inMemory: true, migrations: { '0001_inbox': inboxMigration } });
  // A pass-through proxy in front of the feed that notes which pages were asked for.
  const asked: number[] = [];
  const target = new URL(producer.url);
  const proxy = createServer((req, res) => {
    asked.push(Number(new URL(req.url ?? '/', 'http://x').searchParams.get('after')));
    const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    // Connections cut when the test ends (the consumer's long poll) are nobody's failure.
    upstream.on('error', () => res.destroy());
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const published = await producer.publishAll(Array.from({ length: 250 }, (_, n) => ({ type: 'test.counted', subject: `n${n}`, data: { n } })));
  const transport = createHttpFeedTransport({
    urls: { producer: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` },
    credentials: testCredentials('reports'),
    cursors: cursorStore(consumerStore.db),
    logger: testLogger(),
    waitMs: 500,
  });
  const seen: number[] = [];
  const sizes: number[] = [];
  const sub = transport.subscribe({
    source: 'producer',
    consumer: 'backlog',
    handle: async () => assert.fail('every page of the backlog is handed over as a batch'),
    handleBatch: async (events: AnyCloudEvent[]) => {
      const last = (events.at(-1) as AnyCloudEvent).sequence;
      // Still handling this page: the one after it is already on its way.
      if (events.length === 100) await waitFor(`the page after ${last} asked for while page ending ${last} is handled`, () => asked.includes(last));
      sizes.push(events.length);
      seen.push(...events.map((e) => (e.data as { n: number }).n));
    },
  });
  try {
    await waitFor('all 250 events handled', () => seen.length >= 250);
    assert.deepEqual(seen, Array.from({ length: 250 }, (_, n) => n), 'each once, in order');
    assert.deepEqual(sizes, [100, 100, 50]);
    assert.equal(asked.filter((a) => a === (published[99] as AnyCloudEvent).sequence).length, 1, 'the page after the first was asked for once, not again after it was handled');
  } finally {
    await sub.stop();
    proxy.closeAllConnections();
    await new Promise<void>((r) => proxy.close(() => r()));
    await producer.close();
    await consumerStore.close();
  }
});
