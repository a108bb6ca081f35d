import { createAuthenticator, createLogger, loadConfig, main, remoteKeys, startService, startTelemetry, serviceCredentials } from '@bazaar/kit';
import { ReportsConfig } from './config.ts';
import { buildApp } from './app.ts';
import { openReportsStore } from './store/index.ts';
import { startReportsWorkers } from './workers.ts';

await main(async () => {
  const config = loadConfig(ReportsConfig);
  const credentials = serviceCredentials('reports', config);
  startTelemetry({ service: 'reports', config });
  const logger = createLogger({ service: 'reports', level: config.LOG_LEVEL });
  const store = await openReportsStore({ dataDir: config.BAZAAR_DATA_DIR });
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  const urls = { orders: config.ORDERS_URL, payments: config.PAYMENTS_URL };
  const workers = await startReportsWorkers({ store, logger, urls, credentials, feedWaitMs: config.REPORTS_FEED_WAIT_MS, feedLingerMs: config.EVENT_FEED_LINGER_MS });
  const app = buildApp({
    store,
    logger,
    auth: createAuthenticator(remoteKeys(config.IDENTITY_URL)),
    rebuild: workers.rebuilder,
    credentials,
    currency: config.REPORTS_CURRENCY,
    bodyLimit: config.BODY_LIMIT_BYTES,
  });
  logger.info({ ...urls, location: store.location }, 'consuming orders and payments events into DuckDB');
  // Stop consuming before the store closes; startService runs this after requests drain.
  app.addHook('onClose', async () => {
    await workers.stop();
    await store.close();
  });
  await startService({ app, config, logger });
});
