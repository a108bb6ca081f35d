// The embedded transport (producer outbox served over HTTP, consumer long-polls
// with a durable cursor) against the transport conformance suite, with real
// SQLite stores and a real HTTP server.
import { testLogger, testCredentials } from '@bazaar/kit/testing';
import { openStore, type Store } from '@bazaar/store';
import { startTestProducer, transportConformance, type ConformanceHarness } from '../src/conformance.ts';
import { cursorStore, createHttpFeedTransport, inboxMigration, type InboxTables } from '../src/index.ts';

async function setup(): Promise<ConformanceHarness> {
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

transportConformance('embedded HTTP feed', setup);
