import { createLogger, createServiceClient, loadConfig, main, startService, startTelemetry, serviceCredentials } from '@bazaar/kit';
import { storeLocation } from '@bazaar/store';
import { eventTransportFromConfig } from '@bazaar/messaging';
import { PaymentsConfig } from './config.ts';
import { buildApp } from './app.ts';
import { openPaymentsStore } from './store/index.ts';

await main(async () => {
  const config = loadConfig(PaymentsConfig);
  const credentials = serviceCredentials('payments', config);
  startTelemetry({ service: 'payments', config });
  const logger = createLogger({ service: 'payments', level: config.LOG_LEVEL });
  const store = await openPaymentsStore(storeLocation({ service: 'payments', config, databaseUrl: config.PAYMENTS_DATABASE_URL }));
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  const psp = createServiceClient({ name: 'psp-sim', baseUrl: config.PSP_SIM_URL, timeoutMs: config.PSP_TIMEOUT_MS });
  // With NATS_URL: a relay publishes the outbox to JetStream. Either way /internal/events serves it (read models replay it).
  const events = eventTransportFromConfig({ service: 'payments', config, logger, outbox: store });
  const app = buildApp({
    store,
    logger,
    psp,
    credentials,
    bodyLimit: config.BODY_LIMIT_BYTES,
    reconcile: { intervalMs: config.PAYMENTS_RECONCILE_INTERVAL_MS, olderThanMs: config.PAYMENTS_RECONCILE_AFTER_MS },
  });
  app.addHook('onClose', async () => {
    await psp.close();
    // The relay publishes what is left before the store closes under it.
    await events.close();
    await store.close();
  });
  await startService({ app, config, logger });
});
