import { createAuthenticator, createLogger, loadConfig, main, remoteKeys, startService, startTelemetry, serviceCredentials } from '@bazaar/kit';
import { storeLocation } from '@bazaar/store';
import { cursorStore, eventTransportFromConfig, startConsumer } from '@bazaar/messaging';
import { InventoryConfig } from './config.ts';
import { buildApp } from './app.ts';
import { catalogHandlers, orderHandlers } from './events.ts';
import { openInventoryStore } from './store/index.ts';

await main(async () => {
  const config = loadConfig(InventoryConfig);
  const credentials = serviceCredentials('inventory', config);
  startTelemetry({ service: 'inventory', config });
  const logger = createLogger({ service: 'inventory', level: config.LOG_LEVEL });
  const store = await openInventoryStore(storeLocation({ service: 'inventory', config, databaseUrl: config.INVENTORY_DATABASE_URL }));
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  // NATS_URL set: catalog events arrive over JetStream and a relay publishes ours; unset: the embedded HTTP feeds.
  const events = eventTransportFromConfig({
    service: 'inventory',
    config,
    logger,
    outbox: store,
    feeds: { urls: { catalog: config.CATALOG_URL, orders: config.ORDERS_URL }, credentials, cursors: cursorStore(store.db), lingerMs: config.EVENT_FEED_LINGER_MS },
  });
  const app = buildApp({
    store,
    logger,
    auth: createAuthenticator(remoteKeys(config.IDENTITY_URL)),
    credentials,
    sweepMs: config.INVENTORY_SWEEP_MS,
    bodyLimit: config.BODY_LIMIT_BYTES,
  });
  const catalogEvents = startConsumer({
    db: store.db,
    transport: events.transport,
    consumer: 'inventory',
    source: 'catalog',
    handlers: catalogHandlers({ initialStock: config.INVENTORY_INITIAL_STOCK }),
    logger,
  });
  const orderEvents = startConsumer({ db: store.db, transport: events.transport, consumer: 'inventory', source: 'orders', handlers: orderHandlers(), logger });
  // The consumers stop (finishing the event in hand), then the relay publishes what is left, then the store closes.
  app.addHook('preClose', async () => {
    await Promise.all([catalogEvents.stop(), orderEvents.stop()]);
  });
  app.addHook('onClose', async () => {
    await events.close();
    await store.close();
  });
  await startService({ app, config, logger });
});
