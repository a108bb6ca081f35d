import { createAuthenticator, createLogger, loadConfig, main, remoteKeys, startService, startTelemetry, serviceCredentials } from '@bazaar/kit';
import { storeLocation } from '@bazaar/store';
import { eventTransportFromConfig } from '@bazaar/messaging';
import { OrdersConfig } from './config.ts';
import { buildApp } from './app.ts';
import { openOrdersStore } from './store/index.ts';

await main(async () => {
  const config = loadConfig(OrdersConfig);
  const credentials = serviceCredentials('orders', config);
  startTelemetry({ service: 'orders', config });
  const logger = createLogger({ service: 'orders', level: config.LOG_LEVEL });
  const store = await openOrdersStore(storeLocation({ service: 'orders', config, databaseUrl: config.ORDERS_DATABASE_URL }));
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  // With NATS_URL: a relay publishes the outbox to JetStream. Either way /internal/events serves it (read models replay it).
  const events = eventTransportFromConfig({ service: 'orders', config, logger, outbox: store });
  const app = buildApp({
    store,
    logger,
    auth: createAuthenticator(remoteKeys(config.IDENTITY_URL)),
    credentials,
    bodyLimit: config.BODY_LIMIT_BYTES,
    settings: {
      cartUrl: config.CART_URL,
      inventoryUrl: config.INVENTORY_URL,
      paymentsUrl: config.PAYMENTS_URL,
      notificationsUrl: config.NOTIFICATIONS_URL,
      sagaDeadlineMs: config.SAGA_DEADLINE_MS,
      checkoutWaitMs: config.CHECKOUT_WAIT_MS,
      sweepMs: config.ORDERS_SWEEP_MS,
      upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
      cartClearTimeoutMs: config.CART_CLEAR_TIMEOUT_MS,
      reservationTtlSeconds: config.RESERVATION_TTL_SECONDS,
      sagaLeaseMs: config.SAGA_LEASE_MS,
    },
  });
  // The saga runner stops in preClose (no more events written); the relay publishes what is left, then the store closes.
  app.addHook('onClose', async () => {
    await events.close();
    await store.close();
  });
  await startService({ app, config, logger });
});
