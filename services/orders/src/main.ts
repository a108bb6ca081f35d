import { createAuthenticator, createLogger, loadConfig, main, remoteKeys, runService, startTelemetry } from '@bazaar/kit';
import { postgresTarget } from '@bazaar/store';
import { eventTransportFromConfig } from '@bazaar/messaging';
import { OrdersConfig } from './config.ts';
import { buildApp } from './app.ts';
import { openOrdersStore } from './store/index.ts';

await main(async () => {
  const config = loadConfig(OrdersConfig);
  startTelemetry({ service: 'orders', config });
  const logger = createLogger({ service: 'orders', level: config.LOG_LEVEL });
  const store = await openOrdersStore({
    dataDir: config.BAZAAR_DATA_DIR,
    postgres: postgresTarget({ service: 'orders', databaseUrl: config.ORDERS_DATABASE_URL, serverUrl: config.BAZAAR_POSTGRES_URL, poolSize: config.BAZAAR_POSTGRES_POOL_SIZE }),
  }, { sagaLeaseMs: config.SAGA_LEASE_MS });
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  // With NATS_URL: a relay publishes the outbox to JetStream. Either way /internal/events serves it (read models replay it).
  const events = eventTransportFromConfig({ service: 'orders', config, logger, outbox: store });
  const app = buildApp({
    store,
    logger,
    auth: createAuthenticator(remoteKeys(config.IDENTITY_URL)),
    serviceToken: config.BAZAAR_SERVICE_TOKEN,
    bodyLimit: config.BODY_LIMIT_BYTES,
    settings: {
      cartUrl: config.CART_URL,
      inventoryUrl: config.INVENTORY_URL,
      paymentsUrl: config.PAYMENTS_URL,
      sagaDeadlineMs: config.SAGA_DEADLINE_MS,
      checkoutWaitMs: config.CHECKOUT_WAIT_MS,
      sweepMs: config.ORDERS_SWEEP_MS,
      upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
      reservationTtlSeconds: config.RESERVATION_TTL_SECONDS,
    },
  });
  // The saga runner stops in preClose (no more events written); the relay publishes what is left, then the store closes.
  app.addHook('onClose', async () => {
    await events.close();
    await store.close();
  });
  await runService({ app, host: config.HOST, port: config.PORT, logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
});
