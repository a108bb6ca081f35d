import type { AddressInfo } from 'node:net';
import { createServiceApp } from '@bazaar/kit';
import { testLogger } from '@bazaar/kit/testing';
import { openStore } from '@bazaar/store';
import { appendEvent, eventFeedRoutes, eventTransportFromConfig, outboxMigration, outboxRelayMigration, type OutboxTables } from '@bazaar/messaging';
import type { ProductChangedData } from '@bazaar/contracts/events';
import { SERVICE_TOKEN } from './helpers.ts';

/**
 * A real catalog stand-in: an in-memory outbox written with appendEvent and
 * served by the real event feed over HTTP on a free port — the embedded
 * transport exactly as the catalog runs it, without the catalog's products.
 * With `nats`, its outbox is also relayed to JetStream, as the catalog's is
 * when NATS_URL is set.
 */
export async function startFakeCatalog(opts: { nats?: { url: string; prefix: string } } = {}) {
  const store = await openStore<OutboxTables>({
    service: 'catalog',
    dataDir: '',
    inMemory: true,
    migrations: { '0001_outbox': outboxMigration, '0002_outbox_relay': outboxRelayMigration },
  });
  const app = createServiceApp({ name: 'catalog', logger: testLogger(), defaultMetrics: false });
  app.register(eventFeedRoutes({ db: store.db, serviceToken: SERVICE_TOKEN }));
  const events = opts.nats
    ? eventTransportFromConfig({ service: 'catalog', config: { NATS_URL: opts.nats.url, NATS_STREAM_PREFIX: opts.nats.prefix, NATS_MAX_DELIVER: 5 }, logger: testLogger(), outbox: store })
    : undefined;
  app.addHook('onClose', async () => {
    await events?.close();
    await store.close();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const product = (id: string): ProductChangedData => ({ id, sku: `SKU-${id}`, name: `Product ${id}`, description: '', category: 'books', price: { amount: 1000, currency: 'EUR' } });
  return {
    url,
    /** Publish catalog.product-created for each id, in one transaction, as the catalog does. */
    async created(...ids: string[]) {
      await store.db.transaction().execute(async (trx) => {
        for (const id of ids) await appendEvent(trx, 'catalog', { type: 'catalog.product-created', subject: id, data: product(id) });
      });
    },
    close: () => app.close(),
  };
}
