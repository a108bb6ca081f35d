/**
 * A stand-in producer for consumers' tests: a real outbox (an in-memory store
 * with the outbox and relay migrations, as a producing service has) served by
 * the real event feed over HTTP on a local port. It can stop serving and
 * start again on the same port, as the real service restarts; the outbox is
 * kept. Exported from `@bazaar/messaging/testing`.
 */
import { createServiceApp, type ServiceApp, type ServiceCredentials } from '@bazaar/kit';
import { freePort, testLogger } from '@bazaar/kit/testing';
import { openStore, type Store } from '@bazaar/store';
import type { EventData, EventType } from '@bazaar/contracts/events';
import { eventFeedRoutes } from './feed.ts';
import { appendEvent, outboxMigration, rowToEvent, type OutboxTables } from './outbox.ts';
import { outboxRelayMigration } from './relay-store.ts';
import type { AnyCloudEvent, NewEvent } from './types.ts';

export interface TestProducerOptions {
  /** The service it stands in for: the events' source. */
  source: string;
  /** Whose credentials it accepts on its feed (testCredentials from @bazaar/kit/testing, or a service's own). */
  credentials: ServiceCredentials;
  /** false: pick the port but serve nothing until start() (a producer that is down at first). Default true. */
  listen?: boolean;
}

export interface TestProducer {
  /** The feed's base URL; the same after stop() and start(). */
  url: string;
  port: number;
  /** The store holding the outbox, e.g. for an outbox relay to JetStream. */
  store: Store<OutboxTables>;
  /** Append one event in its own transaction, as the producer would; returns it as consumers will read it. */
  publish<T extends EventType>(type: T, data: EventData<T>, subject?: string): Promise<AnyCloudEvent>;
  /** Append events in one transaction, in order. */
  publishAll(events: NewEvent[]): Promise<AnyCloudEvent[]>;
  /** Stop serving the feed (the outbox is kept). */
  stop(): Promise<void>;
  /** Serve the feed again, on the same port. */
  start(): Promise<void>;
  /** Stop serving and close the store. */
  close(): Promise<void>;
}

/** Start a stand-in producer; close() it when done. */
export async function startTestProducer(opts: TestProducerOptions): Promise<TestProducer> {
  const { source, credentials } = opts;
  const store = await openStore<OutboxTables>({
    service: source,
    dataDir: '',
    inMemory: true,
    migrations: { '0001_outbox': outboxMigration, '0002_outbox_relay': outboxRelayMigration },
  });
  let port = opts.listen === false ? await freePort() : 0;
  let app: ServiceApp | undefined;

  const start = async () => {
    if (app) throw new Error(`the ${source} stand-in is already serving`);
    const next = createServiceApp({ name: source, logger: testLogger(), defaultMetrics: false, credentials });
    next.register(eventFeedRoutes({ db: store.db }));
    await next.listen({ host: '127.0.0.1', port });
    port = (next.server.address() as { port: number }).port;
    app = next;
  };
  const stop = async () => {
    await app?.close();
    app = undefined;
  };
  const publishAll = async (events: NewEvent[]): Promise<AnyCloudEvent[]> => {
    const ids = await store.db.transaction().execute(async (trx) => {
      const written: string[] = [];
      for (const event of events) written.push(await appendEvent(trx, source, event));
      return written;
    });
    if (ids.length === 0) return [];
    const rows = await store.db.selectFrom('outbox').selectAll().where('id', 'in', ids).orderBy('seq').execute();
    return rows.map(rowToEvent);
  };

  try {
    if (opts.listen !== false) await start();
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    async publish(type, data, subject) {
      const [event] = await publishAll([{ type, data, ...(subject === undefined ? {} : { subject }) }]);
      if (!event) throw new Error(`the ${type} event was not written`);
      return event;
    },
    publishAll,
    stop,
    start,
    async close() {
      await stop();
      await store.close();
    },
  };
}
