import { createAuthenticator, createLogger, loadConfig, main, remoteKeys, runService, startTelemetry } from '@bazaar/kit';
import { postgresTarget } from '@bazaar/store';
import { cursorStore, eventTransportFromConfig, startConsumer } from '@bazaar/messaging';
import { InventoryConfig } from './config.ts';
import { buildApp } from './app.ts';
import { catalogHandlers } from './events.ts';
import { openInventoryStore } from './store/index.ts';

await main(async () => {
  const config = loadConfig(InventoryConfig);
  startTelemetry({ service: 'inventory', config });
  const logger = createLogger({ service: 'inventory', level: config.LOG_LEVEL });
  const store = await openInventoryStore({
    dataDir: config.BAZAAR_DATA_DIR,
    postgres: postgresTarget({ service: 'inventory', databaseUrl: config.INVENTORY_DATABASE_URL, serverUrl: config.BAZAAR_POSTGRES_URL, poolSize: config.BAZAAR_POSTGRES_POOL_SIZE }),
  });
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  // NATS_URL set: catalog events arrive over JetStream and a relay publishes ours; unset: the embedded HTTP feeds.
  const events = eventTransportFromConfig({
    service: 'inventory',
    config,
    logger,
    outbox: store,
    feeds: { urls: { catalog: config.CATALOG_URL }, serviceToken: config.BAZAAR_SERVICE_TOKEN, cursors: cursorStore(store.db) },
  });
  const app = buildApp({
    store,
    logger,
    auth: createAuthenticator(remoteKeys(config.IDENTITY_URL)),
    serviceToken: config.BAZAAR_SERVICE_TOKEN,
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
  // The consumer stops (finishing the event in hand), then the relay publishes what is left, then the store closes.
  app.addHook('preClose', async () => catalogEvents.stop());
  app.addHook('onClose', async () => {
    await events.close();
    await store.close();
  });
  await runService({ app, host: config.HOST, port: config.PORT, logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
});
