import { testLogger, testCredentials } from '@bazaar/kit/testing';
import { eventTransportFromConfig } from '@bazaar/messaging';
import { startTestProducer } from '@bazaar/messaging/testing';
import type { ProductChangedData } from '@bazaar/contracts/events';

/**
 * A real catalog stand-in: an in-memory outbox served by the real event feed
 * over HTTP on a free port — the embedded transport exactly as the catalog
 * runs it, without the catalog's products. With `nats`, its outbox is also
 * relayed to JetStream, as the catalog's is when NATS_URL is set.
 */
export async function startFakeCatalog(opts: { nats?: { url: string; prefix: string } } = {}) {
  const catalog = await startTestProducer({ source: 'catalog', credentials: testCredentials('catalog') });
  const events = opts.nats
    ? eventTransportFromConfig({ service: 'catalog', config: { NATS_URL: opts.nats.url, NATS_STREAM_PREFIX: opts.nats.prefix, NATS_MAX_DELIVER: 5 }, logger: testLogger(), outbox: catalog.store })
    : undefined;
  const product = (id: string): ProductChangedData => ({ id, sku: `SKU-${id}`, name: `Product ${id}`, description: '', category: 'books', price: { amount: 1000, currency: 'EUR' } });
  return {
    url: catalog.url,
    /** Publish catalog.product-created for each id, in one transaction, as the catalog does. */
    async created(...ids: string[]) {
      await catalog.publishAll(ids.map((id) => ({ type: 'catalog.product-created', subject: id, data: product(id) })));
    },
    async close() {
      await catalog.stop();
      await events?.close();
      await catalog.close();
    },
  };
}
