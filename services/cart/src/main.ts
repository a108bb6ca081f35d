import { createAuthenticator, createLogger, loadConfig, main, remoteKeys, startService, startTelemetry, serviceCredentials } from '@bazaar/kit';
import { storeLocation } from '@bazaar/store';
import { cursorStore, eventTransportFromConfig } from '@bazaar/messaging';
import { buildApp } from './app.ts';
import { CartConfig } from './config.ts';
import { startCartConsumer } from './events.ts';
import { MAX_LINES } from './domain/cart.ts';
import { openCartDatabase, openRedisCartStore } from './store/index.ts';
import { catalogProducts } from './upstream/catalog.ts';

await main(async () => {
  const config = loadConfig(CartConfig);
  const credentials = serviceCredentials('cart', config);
  startTelemetry({ service: 'cart', config });
  const logger = createLogger({ service: 'cart', level: config.LOG_LEVEL });
  const store = await openCartDatabase(storeLocation({ service: 'cart', config, databaseUrl: config.CART_DATABASE_URL }));
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  // REDIS_URL set: carts live in Redis; the relational store keeps the inbox and feed cursor.
  const redis = config.REDIS_URL
    ? await openRedisCartStore({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, ttlSeconds: config.CART_TTL_DAYS * 86_400, maxLines: MAX_LINES })
    : undefined;
  const products = catalogProducts({ baseUrl: config.CATALOG_URL, credentials, timeoutMs: config.CATALOG_TIMEOUT_MS });
  // NATS_URL set: orders' events arrive over JetStream (durable consumer "cart"); unset: the embedded HTTP feed.
  const events = eventTransportFromConfig({
    service: 'cart',
    config,
    logger,
    feeds: { urls: { orders: config.ORDERS_URL }, credentials, cursors: cursorStore(store.db), lingerMs: config.EVENT_FEED_LINGER_MS },
  });
  const app = buildApp({
    store,
    products,
    logger,
    auth: createAuthenticator(remoteKeys(config.IDENTITY_URL)),
    currency: config.CART_CURRENCY,
    credentials,
    bodyLimit: config.BODY_LIMIT_BYTES,
    ...(redis ? { readiness: { redis: () => redis.ping() } } : {}),
    ...(redis ? { cartStore: redis } : {}),
  });
  const consumer = startCartConsumer({ db: store.db, transport: events.transport, logger, ...(redis ? { redis } : {}) });
  // One hook, in order: no event is half-handled when the store closes.
  app.addHook('onClose', async () => {
    await consumer.stop();
    await events.close();
    await redis?.close();
    await products.close();
    await store.close();
  });
  await startService({ app, config, logger });
});
