// The embedded transport (producer outbox served over HTTP, consumer long-polls
// with a durable cursor) against the transport conformance suite, with real
// SQLite stores and a real HTTP server.
import { createServiceApp, type ServiceApp } from '@bazaar/kit';
import { testLogger } from '@bazaar/kit/testing';
import { openStore, type Store } from '@bazaar/store';
import { transportConformance, type ConformanceHarness } from '../src/conformance.ts';
import { appendEvent, cursorStore, createHttpFeedTransport, eventFeedRoutes, inboxMigration, outboxMigration, type InboxTables, type OutboxTables } from '../src/index.ts';
import { freePort } from '@bazaar/kit/testing';

const TOKEN = 'conformance-token-0123456789';


async function setup(): Promise<ConformanceHarness> {
  const producerStore: Store<OutboxTables> = await openStore<OutboxTables>({ service: 'p', dataDir: '', inMemory: true, migrations: { '0001_outbox': outboxMigration } });
  const consumerStore: Store<InboxTables> = await openStore<InboxTables>({ service: 'c', dataDir: '', inMemory: true, migrations: { '0001_inbox': inboxMigration } });
  const port = await freePort();
  let producer: ServiceApp | undefined;
  const startProducer = async () => {
    producer = createServiceApp({ name: 'producer', logger: testLogger(), defaultMetrics: false });
    producer.register(eventFeedRoutes({ db: producerStore.db, serviceToken: TOKEN }));
    await producer.listen({ port, host: '127.0.0.1' });
  };
  await startProducer();
  return {
    source: 'producer',
    transport: () =>
      createHttpFeedTransport({
        urls: { producer: `http://127.0.0.1:${port}` },
        serviceToken: TOKEN,
        cursors: cursorStore(consumerStore.db),
        logger: testLogger(),
        waitMs: 2000,
      }),
    async publish(events) {
      await producerStore.db.transaction().execute(async (trx) => {
        for (const e of events) await appendEvent(trx, 'producer', e);
      });
    },
    async stopProducer() {
      await producer?.close();
    },
    startProducer,
    async close() {
      await producer?.close();
      await producerStore.close();
      await consumerStore.close();
    },
  };
}

transportConformance('embedded HTTP feed', setup);
