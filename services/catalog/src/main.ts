import { createAuthenticator, createLogger, loadConfig, main, remoteKeys, startService, startTelemetry, serviceCredentials } from '@bazaar/kit';
import { storeLocation } from '@bazaar/store';
import { eventTransportFromConfig } from '@bazaar/messaging';
import { CatalogConfig } from './config.ts';
import { buildApp } from './app.ts';
import { openCatalogStore } from './store/index.ts';
import { seedCatalog } from './seed.ts';

await main(async () => {
  const config = loadConfig(CatalogConfig);
  const credentials = serviceCredentials('catalog', config);
  startTelemetry({ service: 'catalog', config });
  const logger = createLogger({ service: 'catalog', level: config.LOG_LEVEL });
  const store = await openCatalogStore(storeLocation({ service: 'catalog', config, databaseUrl: config.CATALOG_DATABASE_URL }));
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  await seedCatalog({ store, currency: config.CATALOG_CURRENCY, enabled: config.CATALOG_SEED, logger });
  // With NATS_URL: a relay publishes the outbox to JetStream. Either way /internal/events serves it (read models replay it).
  const events = eventTransportFromConfig({ service: 'catalog', config, logger, outbox: store });
  const app = buildApp({
    store,
    logger,
    auth: createAuthenticator(remoteKeys(config.IDENTITY_URL)),
    currency: config.CATALOG_CURRENCY,
    credentials,
    bodyLimit: config.BODY_LIMIT_BYTES,
  });
  app.addHook('onClose', async () => {
    // The relay publishes what is left before the store closes under it.
    await events.close();
    await store.close();
  });
  await startService({ app, config, logger });
});
