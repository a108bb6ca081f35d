// Choosing the transport from config: embedded without NATS_URL, JetStream
// (relay + durable consumer + readiness) with it; and the naming rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema, currentContext, loadConfig, withContext, type ConfigError } from '@bazaar/kit';
import { testLogger, waitFor, testCredentials } from '@bazaar/kit/testing';
import { openStore } from '@bazaar/store';
import { NatsConfig, appendEvent, cursorStore, eventTransportFromConfig, inboxMigration, natsNames, type InboxTables } from '../src/index.ts';
import { NATS_URL, cleanupFirst, producerStore, removeStreams, requireNats, testPrefix } from './nats-helpers.ts';

const Schema = configSchema({ PORT: configSchema({}).properties.PORT, ...NatsConfig });

test('NATS config: unset means embedded, defaults apply, and a bad value is named', () => {
  const plain = loadConfig(Schema, { PORT: '1' });
  assert.equal(plain.NATS_URL, undefined);
  assert.equal(plain.NATS_STREAM_PREFIX, '');
  assert.equal(plain.NATS_MAX_DELIVER, 5);
  const set = loadConfig(Schema, { PORT: '1', NATS_URL: 'nats://a:4222,tls://b:4223', NATS_STREAM_PREFIX: 'ci-1', NATS_MAX_DELIVER: '3' });
  assert.equal(set.NATS_URL, 'nats://a:4222,tls://b:4223');
  assert.equal(set.NATS_MAX_DELIVER, 3);
  assert.throws(() => loadConfig(Schema, { PORT: '1', NATS_STREAM_PREFIX: 'a.b' }), (e: ConfigError) => e.variables.includes('NATS_STREAM_PREFIX'));
  assert.throws(() => loadConfig(Schema, { PORT: '1', NATS_URL: 'http://x:4222' }), (e: ConfigError) => e.variables.includes('NATS_URL'));
  assert.throws(() => loadConfig(Schema, { PORT: '1', NATS_MAX_DELIVER: '0' }), (e: ConfigError) => e.variables.includes('NATS_MAX_DELIVER'));
});

test('stream, subject and durable names follow one scheme, with or without a prefix', () => {
  const plain = natsNames();
  assert.equal(plain.stream('orders'), 'BAZAAR_ORDERS');
  assert.equal(plain.streamSubjects('orders'), 'bazaar.orders.>');
  assert.equal(plain.subject('orders', 'orders.order-confirmed'), 'bazaar.orders.orders.order-confirmed');
  assert.equal(plain.deadLetterStream, 'BAZAAR_DEAD_LETTERS');
  assert.equal(plain.deadLetterSubject('notifications', 'orders'), 'bazaar-dead-letters.notifications.orders');
  const prefixed = natsNames('ci42');
  assert.equal(prefixed.stream('psp-sim'), 'ci42_BAZAAR_PSP-SIM');
  assert.equal(prefixed.subject('orders', 'a b.*'), 'ci42.bazaar.orders.a_b._');
  assert.equal(prefixed.durable('my.consumer'), 'my_consumer');
  assert.throws(() => natsNames('a.b'));
});

test('without NATS_URL the embedded feed is used and nothing connects', async () => {
  const consumerStore = await openStore<InboxTables>({ service: 'c', dataDir: '', inMemory: true, migrations: { '0001_inbox': inboxMigration } });
  const events = eventTransportFromConfig({
    service: 'c',
    config: { NATS_STREAM_PREFIX: '', NATS_MAX_DELIVER: 5 },
    logger: testLogger(),
    feeds: { urls: { orders: 'http://127.0.0.1:9' }, credentials: testCredentials('reports'), cursors: cursorStore(consumerStore.db) },
  });
  assert.equal(events.mode, 'embedded');
  assert.equal(events.relay, undefined);
  assert.equal(events.readiness, undefined);
  const producerOnly = eventTransportFromConfig({ service: 'p', config: { NATS_STREAM_PREFIX: '', NATS_MAX_DELIVER: 5 }, logger: testLogger() });
  assert.throws(() => producerOnly.transport.subscribe({ source: 'x', consumer: 'p', handle: async () => undefined }), /No event feeds configured/);
  await events.close();
  await consumerStore.close();
});

test('with NATS_URL a producer relays its outbox and a consumer gets its events over JetStream; readiness reports the connection', async (t) => {
  await requireNats();
  const prefix = testPrefix();
  const config = { NATS_URL, NATS_STREAM_PREFIX: prefix, NATS_MAX_DELIVER: 5 };
  const store = await producerStore();
  const producer = eventTransportFromConfig({ service: 'producer', config, logger: testLogger(), outbox: store });
  const consumer = eventTransportFromConfig({ service: 'consumer', config, logger: testLogger() });
  const got: string[] = [];
  const traces: (string | undefined)[] = [];
  const sub = consumer.transport.subscribe({
    source: 'producer',
    consumer: 'consumer',
    handle: async (e) => {
      got.push(e.type);
      traces.push(currentContext()?.traceId);
    },
  });
  const cleanup = cleanupFirst(t);
  cleanup(() => sub.stop());
  cleanup(() => removeStreams(prefix));
  cleanup(() => consumer.close());
  cleanup(() => producer.close());
  cleanup(() => store.close());
  assert.equal(producer.mode, 'jetstream');
  assert.ok(producer.relay);
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await withContext({ requestId: 'r', traceId, spanId: '00f067aa0ba902b7' }, () =>
    store.db.transaction().execute((trx) => appendEvent(trx, 'producer', { type: 'test.happened', data: {} })),
  );
  await waitFor('the event over JetStream', () => got.length === 1, 10_000);
  assert.deepEqual(got, ['test.happened']);
  assert.deepEqual(traces, [traceId], 'the handler runs in the trace of the change that caused the event');
  await producer.readiness?.();
  await consumer.readiness?.();
});

test('readiness fails while NATS cannot be reached, and the service still starts', async () => {
  const events = eventTransportFromConfig({ service: 'p', config: { NATS_URL: 'nats://127.0.0.1:1', NATS_STREAM_PREFIX: 'x', NATS_MAX_DELIVER: 5 }, logger: testLogger() });
  assert.equal(events.mode, 'jetstream');
  await assert.rejects(async () => events.readiness?.(), /not connected to NATS/);
  await events.close();
});
