// The JetStream transport against the transport conformance suite, through the
// producer's real path: events appended to a SQLite outbox, published by the
// outbox relay to a real nats-server, consumed by durable pull consumers.
// "Producer down" stops the relay (events wait in the outbox), as stopping the
// producer's HTTP server does for the embedded feed.
import { testLogger } from '@bazaar/kit/testing';
import { transportConformance, type ConformanceHarness } from '../src/conformance.ts';
import { appendEvent, createJetStreamTransport, startOutboxRelay, type OutboxRelay } from '../src/index.ts';
import { connections, producerStore, removeStreams, requireNats, testPrefix } from './nats-helpers.ts';

async function setup(): Promise<ConformanceHarness> {
  await requireNats();
  const prefix = testPrefix();
  const conns = connections(prefix);
  const store = await producerStore();
  const producer = conns.open('producer');
  let relay: OutboxRelay | undefined;
  const startProducer = async () => {
    relay = startOutboxRelay({ store, connection: producer, logger: testLogger(), intervalMs: 20 });
  };
  await startProducer();
  return {
    source: 'producer',
    // A new connection per call: a restarted consumer is a new process.
    transport: () => createJetStreamTransport({ connection: conns.open('consumer'), logger: testLogger(), fetchExpiresMs: 5000 }),
    async publish(events) {
      await store.db.transaction().execute(async (trx) => {
        for (const e of events) await appendEvent(trx, 'producer', e);
      });
    },
    async stopProducer() {
      await relay?.stop();
      relay = undefined;
    },
    startProducer,
    async close() {
      try {
        await relay?.stop();
        await conns.closeAll();
        await store.close();
      } finally {
        await removeStreams(prefix);
      }
    },
  };
}

transportConformance('NATS JetStream', setup);
