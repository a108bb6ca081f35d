import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { createServiceApp, withContext } from '@bazaar/kit';
import { captureSpans, manualClock, testLogger, waitFor, callAs, testCredentials } from '@bazaar/kit/testing';
import { openStore, type Migration } from '@bazaar/store';
import { appendEvent, eventFeedRoutes, handleOnce, inboxMigration, outboxMigration, readOutbox, startConsumer, type AnyCloudEvent, type EventTransport, type InboxTables, type OutboxTables } from '../src/index.ts';

interface Counter extends InboxTables, OutboxTables {
  counters: { name: string; value: number };
}

const countersMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createTable('counters').addColumn('name', 'text', (c) => c.primaryKey()).addColumn('value', 'integer', (c) => c.notNull()).execute();
  },
};

async function store() {
  return openStore<Counter>({ service: 'x', dataDir: '', inMemory: true, migrations: { '0001': outboxMigration, '0002': inboxMigration, '0003': countersMigration } });
}

const bump = async (db: Kysely<Counter>): Promise<void> => {
  await db.insertInto('counters').values({ name: 'c', value: 1 }).onConflict((oc) => oc.column('name').doUpdateSet({ value: sql`value + 1` })).execute();
};

test('an event appended in a rolled-back transaction is never published', async () => {
  const s = await store();
  await assert.rejects(
    s.db.transaction().execute(async (trx) => {
      await appendEvent(trx, 'x', { type: 'x.happened', data: {} });
      throw new Error('state change failed');
    }),
  );
  await s.db.transaction().execute(async (trx) => {
    await appendEvent(trx, 'x', { type: 'x.happened', subject: 's1', data: { ok: true } });
  });
  const events = await readOutbox(s.db, 0, 10);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.subject, 's1');
  await s.close();
});

test('events carry the trace context of the request that caused them', async () => {
  const captured = captureSpans();
  const s = await store();
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await withContext({ requestId: 'r', traceId, spanId: '00f067aa0ba902b7' }, () =>
    s.db.transaction().execute((trx) => appendEvent(trx, 'x', { type: 'x.happened', data: {} })),
  );
  const [event] = await readOutbox(s.db, 0, 10);
  // The event names its PRODUCER span, a child of the request's span, as the consumer's parent.
  const producer = captured.spans().find((span) => span.name === 'publish x.happened');
  assert.ok(producer, 'a producer span is recorded');
  assert.equal(producer.traceId, traceId);
  assert.equal(producer.parentSpanId, '00f067aa0ba902b7');
  assert.equal(event?.traceparent, `00-${traceId}-${producer.spanId}-01`);
  await s.close();
});

test('handleOnce applies an effect exactly once per event id, and not at all if the effect fails', async () => {
  const s = await store();
  const event = { id: 'e1', source: 'x', type: 'x.happened' };
  assert.equal(await handleOnce(s.db, event, (trx) => bump(trx)), 'handled');
  assert.equal(await handleOnce(s.db, event, (trx) => bump(trx)), 'duplicate');
  await assert.rejects(handleOnce(s.db, { ...event, id: 'e2' }, async (trx) => {
    await bump(trx);
    throw new Error('boom');
  }));
  const row = await s.db.selectFrom('counters').selectAll().executeTakeFirstOrThrow();
  assert.equal(row.value, 1, 'the failed effect rolled back with its inbox row');
  assert.equal(await handleOnce(s.db, { ...event, id: 'e2' }, (trx) => bump(trx)), 'handled', 'a redelivery of the failed event applies it');
  await s.close();
});

test('startConsumer checks event data against the contract and de-duplicates redeliveries', async () => {
  const s = await store();
  let deliver: ((e: AnyCloudEvent) => Promise<void>) | undefined;
  const transport: EventTransport = {
    subscribe(opts) {
      deliver = opts.handle;
      return { stop: async () => undefined };
    },
  };
  const seen: string[] = [];
  startConsumer({
    db: s.db,
    transport,
    consumer: 'x',
    source: 'inventory',
    logger: testLogger(),
    handlers: {
      'inventory.stock-changed': async (data, _event, trx) => {
        seen.push(`${data.productId}:${data.available}`);
        await bump(trx);
      },
    },
  });
  const envelope = (id: string, data: unknown): AnyCloudEvent => ({ specversion: '1.0', id, source: 'inventory', type: 'inventory.stock-changed', time: new Date().toISOString(), datacontenttype: 'application/json', sequence: 1, data });
  assert.ok(deliver);
  await deliver(envelope('a', { productId: 'p1', available: 3 }));
  await deliver(envelope('a', { productId: 'p1', available: 3 }));
  await deliver(envelope('b', { productId: 'p1', available: -1 }));
  await deliver({ ...envelope('c', {}), type: 'inventory.something-else' });
  assert.deepEqual(seen, ['p1:3']);
  assert.equal((await s.db.selectFrom('counters').selectAll().executeTakeFirstOrThrow()).value, 1);
  await s.close();
});

test('an event appended in this process wakes a waiting long poll at once, without waiting for its next look', async () => {
  const s = await store();
  const app = createServiceApp({ name: 'p', logger: testLogger(), defaultMetrics: false, credentials: testCredentials('reports') });
  // The clock never moves: only the append can make the long poll look again.
  const clock = manualClock({ autoAdvance: false });
  app.register(eventFeedRoutes({ db: s.db, clock }));
  let answered = false;
  const waiting = app.inject({ url: '/internal/events?after=0&waitMs=20000', headers: callAs('reports') }).finally(() => (answered = true));
  await waitFor('the long poll to find the outbox empty and wait', () => clock.pending() > 0);
  await s.db.transaction().execute((trx) => appendEvent(trx, 'p', { type: 'x.happened', data: { n: 1 } }));
  await waitFor('the long poll to answer with the event', () => answered);
  assert.equal((await waiting).json().events.length, 1);
  await app.close();
  await s.close();
});

test('the long polls waiting in one process look at the outbox at the same instants (one wake-up for all)', async () => {
  const s = await store();
  const app = createServiceApp({ name: 'p', logger: testLogger(), defaultMetrics: false, credentials: testCredentials('reports') });
  // A manual clock that remembers when each sleeper is due: the long polls' looks.
  const manual = manualClock({ autoAdvance: false });
  const due: number[] = [];
  const clock = { now: () => manual.now(), sleep: (ms: number) => (due.push(manual.now() + ms), manual.sleep(ms)) };
  app.register(eventFeedRoutes({ db: s.db, clock }));
  const headers = callAs('reports');
  const first = app.inject({ url: '/internal/events?after=0&waitMs=20000', headers });
  await waitFor('the first long poll to wait', () => manual.pending() === 1);
  manual.advance(70); // the second consumer asks 70 ms later
  await waitFor('the first long poll to wait again, if its look came', () => manual.pending() === 1);
  const second = app.inject({ url: '/internal/events?after=0&waitMs=20000', headers });
  await waitFor('both long polls to wait', () => manual.pending() === 2);
  const [a, b] = due.slice(-2);
  assert.equal(a, b, `the two polls look at ${a} and ${b}: one wake-up each, not one for both`);
  await s.db.transaction().execute((trx) => appendEvent(trx, 'p', { type: 'x.happened', data: { n: 1 } }));
  assert.equal((await first).json().events.length, 1);
  assert.equal((await second).json().events.length, 1);
  await app.close();
  await s.close();
});

test('a look falls on the next multiple of the period (shifted by the phase), never now', async () => {
  const { nextLook } = await import('../src/feed.ts');
  const manual = manualClock({ start: 1_000_000, autoAdvance: false });
  const asked: number[] = [];
  const clock = { now: () => manual.now(), sleep: (ms: number) => (asked.push(ms), Promise.resolve()) };
  await nextLook(clock, 250, 0); // on a boundary: a whole period
  manual.advance(1);
  await nextLook(clock, 250, 0);
  manual.advance(248);
  await nextLook(clock, 250, 0);
  await nextLook(clock, 250, 0.5); // the phase moves the boundaries by half a period: 1,000,249 → 1,000,375
  assert.deepEqual(asked, [250, 249, 1, 126]);
});

test('the feed long-polls: a request waiting for events answers as soon as one is appended', async () => {
  const s = await store();
  const app = createServiceApp({ name: 'p', logger: testLogger(), defaultMetrics: false, credentials: testCredentials('reports') });
  // The long poll waits on a manual clock that the test steps: how long it waited is read off that clock.
  const clock = manualClock({ autoAdvance: false });
  app.register(eventFeedRoutes({ db: s.db, clock }));
  const headers = callAs('reports');
  const empty = await app.inject({ url: '/internal/events?after=0&waitMs=0', headers });
  assert.deepEqual(empty.json(), { events: [], next: 0 });
  let answered = false;
  const waiting = app.inject({ url: '/internal/events?after=0&waitMs=5000', headers }).finally(() => (answered = true));
  const t0 = clock.now();
  await waitFor('the long poll to find the outbox empty and wait', () => clock.pending() > 0);
  await s.db.transaction().execute((trx) => appendEvent(trx, 'p', { type: 'x.happened', data: { n: 1 } }));
  await waitFor('the long poll to answer', () => {
    if (clock.pending() > 0) clock.advance(50);
    return answered;
  });
  const res = await waiting;
  assert.ok(clock.now() - t0 < 5000, `answered before the wait ran out (after ${clock.now() - t0} ms of its clock)`);
  assert.equal(res.json().events.length, 1);
  assert.equal(res.json().next, 1);
  assert.equal((await app.inject({ url: '/internal/events?after=1&limit=0', headers })).statusCode, 400);
  await app.close();
  await s.close();
});
