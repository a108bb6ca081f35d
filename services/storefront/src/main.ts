import { join, resolve } from 'node:path';
import { createLogger, loadConfig, main, startService } from '@bazaar/kit';
import { postgresTarget } from '@bazaar/store';
import { buildApp } from './app.ts';
import { StorefrontConfig } from './config.ts';
import { databaseImageBytes, diskImageBytes, openStorefrontStore, productImageRepository, sessionRepository } from './store/index.ts';
import { closeClients, gatewayClients, shopApi } from './upstream/shop.ts';

await main(async () => {
  const config = loadConfig(StorefrontConfig);
  const logger = createLogger({ service: 'storefront', level: config.LOG_LEVEL });
  const postgres = postgresTarget({ service: 'storefront', databaseUrl: config.STOREFRONT_DATABASE_URL, serverUrl: config.BAZAAR_POSTGRES_URL, poolSize: config.BAZAAR_POSTGRES_POOL_SIZE, env: config.BAZAAR_ENV, singleInstance: config.BAZAAR_SINGLE_INSTANCE });
  const store = await openStorefrontStore({ dataDir: config.BAZAAR_DATA_DIR, postgres });
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  const clients = gatewayClients(config.GATEWAY_URL);
  const sessions = sessionRepository(store.db);
  // Image bytes: files under the data directory by default; in the database on PostgreSQL, where instances share no disk (ADR 0035).
  const imageBytes = postgres ? databaseImageBytes(store.db) : diskImageBytes(join(resolve(config.BAZAAR_DATA_DIR), 'storefront-images'));
  const { app } = buildApp({
    logger,
    api: shopApi(clients),
    sessions,
    imageRepo: productImageRepository(store.db),
    imageBytes,
    cookieSecret: config.COOKIE_SECRET,
    sessionTtlSeconds: config.SESSION_TTL_SECONDS,
    imageMaxBytes: config.IMAGE_MAX_BYTES,
    imageMaxPixels: config.IMAGE_MAX_PIXELS,
    lowStock: config.LOW_STOCK_THRESHOLD,
    orderWaitMs: config.ORDER_WAIT_MS,
    readiness: { store: () => store.ping() },
    bodyLimit: Math.max(config.BODY_LIMIT_BYTES, config.IMAGE_MAX_BYTES + 65_536),
  });
  const purge = setInterval(() => {
    sessions.purgeExpired(Date.now()).catch((error: unknown) => logger.warn({ err: error }, 'session purge failed'));
  }, 3_600_000);
  purge.unref();
  app.addHook('onClose', async () => {
    clearInterval(purge);
    await closeClients(clients);
    await store.close();
  });
  await startService({ app, config, logger });
});
