// The outbox relay against a real nats-server, on SQLite and PostgreSQL:
// order, crash safety (publish without mark), and several relays on one outbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { SpanKind, parseTraceparent, withContext } from '@bazaar/kit';
import { captureSpans, testLogger, waitFor } from '@bazaar/kit/testing';
import { openStore, type Store } from '@bazaar/store';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import {
  appendEvent,
  createJetStreamTransport,
  natsNames,
  outboxMigration,
  outboxRelayMigration,
  publishEvent,
  readOutbox,
  startOutboxRelay,
  type OutboxTables,
} from '../src/index.ts';
import { relayQueries } from '../src/relay-store.ts';
import { ensureStream, sourceStreamConfig } from '../src/jetstream/streams.ts';
import { cleanupFirst, connections, removeStreams, requireNats, testPrefix } from './nats-helpers.ts';

const migrations = { '0001_outbox': outboxMigration, '0002_outbox_relay': outboxRelayMigration };

async function append(store: Store<OutboxTables>, from: number, count: number): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    for (let n = from; n < from + count; n++) await appendEvent(trx, 'producer', { type: n % 2 ? 'test.odd' : 'test.even', subject: `n${n}`, data: { n } });
  });
}

/** Outbox rows not yet marked published. */
async function unpublished(store: Store<OutboxTables>): Promise<number> {
  const db = store.db as unknown as Kysely<{ outbox: { published_at: string | null } }>;
  const row = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('published_at', 'is', null).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The stream's messages, in stream order, by Nats-Msg-Id. */
async function streamIds(conn: ReturnType<ReturnType<typeof connections>['open']>, stream: string): Promise<{ ids: string[]; subjects: string[]; traceparents: (string | undefined)[] }> {
  const h = await conn.ready();
  const info = await h.jsm.streams.info(stream);
  const out = { ids: [] as string[], subjects: [] as string[], traceparents: [] as (string | undefined)[] };
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await h.jsm.streams.getMessage(stream, { seq });
    if (!m) continue;
    out.ids.push(m.header.get('Nats-Msg-Id'));
    out.subjects.push(m.subject);
    out.traceparents.push(m.header.get('traceparent') || undefined);
  }
  return out;
}

for (const dialect of DIALECTS) {
  test(`[${dialect}] the relay publishes the outbox in order, with the event id as Nats-Msg-Id and the trace context, and marks rows published`, async (t) => {
    await requireNats();
    const captured = captureSpans();
    const prefix = testPrefix();
    const conns = connections(prefix);
    const cleanup = cleanupFirst(t);
    cleanup(() => removeStreams(prefix));
    cleanup(() => conns.closeAll());
    const store = await openStore<OutboxTables>({ service: 'producer', ...(await testLocation(dialect, 'relay', t)), migrations });
    cleanup(() => store.close());
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await append(store, 1, 10);
    await withContext({ requestId: 'r', traceId, spanId: '00f067aa0ba902b7' }, () => append(store, 11, 10));
    await append(store, 21, 10);
    const conn = conns.open('relay');
    const relay = startOutboxRelay({ store, connection: conn, logger: testLogger(), intervalMs: 20, batch: 7 });
    await waitFor('the outbox to be published', async () => (await unpublished(store)) === 0, 10_000);
    await relay.stop();
    const outbox = await readOutbox(store.db, 0, 100);
    const stream = await streamIds(conn, natsNames(prefix).stream('producer'));
    assert.deepEqual(stream.ids, outbox.map((e) => e.id), 'every event once, in outbox order');
    assert.equal(stream.subjects[0], `${prefix}.bazaar.producer.test.odd`);
    assert.equal(stream.subjects[1], `${prefix}.bazaar.producer.test.even`);
    assert.equal(stream.traceparents[0], undefined);
    assert.equal(stream.traceparents[10], outbox[10]?.traceparent, 'the NATS header carries the envelope\'s traceparent');
    assert.match(String(stream.traceparents[10]), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    assert.deepEqual(relay.stats(), { published: 30, duplicates: 0 });
    // Each traced event's publish to NATS is a CLIENT span, child of the PRODUCER span its header names.
    const sends = captured.spans().filter((s) => s.attributes['messaging.system'] === 'nats' && s.attributes['messaging.operation.type'] === 'send');
    assert.deepEqual(sends.map((s) => s.attributes['messaging.message.id']), outbox.slice(10, 20).map((e) => e.id), 'one send span per traced event, none for the others');
    for (const [i, s] of sends.entries()) {
      const header = parseTraceparent(String(stream.traceparents[10 + i]));
      assert.equal(s.kind, SpanKind.CLIENT);
      assert.equal(s.traceId, traceId);
      assert.equal(s.parentSpanId, header?.parentId, 'child of the PRODUCER span the header carries');
      assert.equal(s.attributes['messaging.destination.name'], stream.subjects[10 + i]);
    }
  });

  test(`[${dialect}] a relay that crashed between publishing and marking re-publishes harmlessly: consumers get each event once`, async (t) => {
    await requireNats();
    const prefix = testPrefix();
    const conns = connections(prefix);
    const subs: { stop(): Promise<void> }[] = [];
    const cleanup = cleanupFirst(t);
    cleanup(() => Promise.all(subs.map((s) => s.stop())));
    cleanup(() => removeStreams(prefix));
    cleanup(() => conns.closeAll());
    const store = await openStore<OutboxTables>({ service: 'producer', ...(await testLocation(dialect, 'relay', t)), migrations });
    cleanup(() => store.close());
    await append(store, 1, 5);
    // The crash: a relay published the first three, and died before marking them.
    const crashed = conns.open('crashed-relay');
    const h = await crashed.ready();
    await ensureStream(h.jsm, sourceStreamConfig(crashed.names, 'producer'), { owner: true });
    for (const event of (await readOutbox(store.db, 0, 3))) await publishEvent(h, crashed.names, event);
    assert.equal(await unpublished(store), 5, 'nothing was marked');

    const relay = startOutboxRelay({ store, connection: conns.open('relay'), logger: testLogger(), intervalMs: 20 });
    await waitFor('the outbox to be published', async () => (await unpublished(store)) === 0, 10_000);
    await relay.stop();
    assert.deepEqual(relay.stats(), { published: 2, duplicates: 3 }, 'JetStream dropped the three re-publishes');

    const got: number[] = [];
    const consumer = conns.open('consumer');
    subs.push(createJetStreamTransport({ connection: consumer, logger: testLogger() }).subscribe({ source: 'producer', consumer: 'c1', handle: async (e) => void got.push((e.data as { n: number }).n) }));
    await waitFor('5 events', () => got.length >= 5, 10_000);
    const info = await (await consumer.ready()).jsm.consumers.info(natsNames(prefix).stream('producer'), 'c1');
    assert.equal(info.num_pending, 0);
    assert.equal(info.delivered.consumer_seq, 5, 'five deliveries in all: no duplicate reached the consumer');
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
  });

  test(`[${dialect}] two relays on one outbox publish every event once, in order`, async (t) => {
    await requireNats();
    const prefix = testPrefix();
    const conns = connections(prefix);
    const cleanup = cleanupFirst(t);
    cleanup(() => removeStreams(prefix));
    cleanup(() => conns.closeAll());
    // Two producer instances: two stores (connections) on one database.
    const location = await testLocation(dialect, 'relay', t, { file: true });
    const a = await openStore<OutboxTables>({ service: 'producer', ...location, migrations });
    cleanup(() => a.close());
    const b = await openStore<OutboxTables>({ service: 'producer', ...location, migrations });
    cleanup(() => b.close());
    const relays = [a, b].map((store, i) => startOutboxRelay({ store, connection: conns.open(`relay-${i}`), logger: testLogger(), intervalMs: 5, batch: 4 }));
    for (let round = 0; round < 10; round++) await append(round % 2 ? a : b, round * 6 + 1, 6);
    await waitFor('the outbox to be published', async () => (await unpublished(a)) === 0, 15_000);
    await Promise.all(relays.map((r) => r.stop()));
    const outbox = await readOutbox(a.db, 0, 100);
    const stream = await streamIds(conns.open('check'), natsNames(prefix).stream('producer'));
    assert.equal(outbox.length, 60);
    assert.deepEqual(stream.ids, outbox.map((e) => e.id), 'every event once, in outbox order');
    const [ra, rb] = relays.map((r) => r.stats());
    assert.equal((ra?.published ?? 0) + (rb?.published ?? 0), 60);
    assert.equal((ra?.duplicates ?? 0) + (rb?.duplicates ?? 0), 0, 'no event was published twice');
  });

  test(`[${dialect}] a second relay claims nothing while another holds the head of the outbox, and takes over when that lease runs out`, async (t) => {
    const cleanup = cleanupFirst(t);
    const store = await openStore<OutboxTables>({ service: 'producer', ...(await testLocation(dialect, 'relay', t)), migrations });
    cleanup(() => store.close());
    await append(store, 1, 5);
    const first = relayQueries(store, 'first');
    const second = relayQueries(store, 'second');
    const claimed = await first.claim(3, 60_000);
    assert.deepEqual(claimed.map((e) => (e.data as { n: number }).n), [1, 2, 3]);
    assert.deepEqual(await second.claim(10, 60_000), [], 'the head is claimed: claiming 4 and 5 would let them overtake 1 to 3');
    await first.markPublished(claimed.slice(0, 2).map((e) => e.sequence));
    assert.deepEqual(await second.claim(10, 60_000), [], 'row 3 is still claimed');
    await first.release();
    assert.deepEqual((await second.claim(10, 60_000)).map((e) => (e.data as { n: number }).n), [3, 4, 5]);
    assert.deepEqual(await first.claim(10, 1), [], 'now the second relay holds the head');
    // A crashed relay's claim lapses: a claim with a 1 ms lease is soon taken over.
    await second.release();
    assert.equal((await first.claim(10, 1)).length, 3);
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual((await second.claim(10, 60_000)).map((e) => (e.data as { n: number }).n), [3, 4, 5]);
  });
}
