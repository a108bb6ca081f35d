import { createLogger, loadConfig, main, runService, startTelemetry } from '@bazaar/kit';
import { postgresTarget } from '@bazaar/store';
import { buildApp } from './app.ts';
import { IdentityConfig } from './config.ts';
import { openIdentityStore } from './store/index.ts';

await main(async () => {
  const config = loadConfig(IdentityConfig);
  startTelemetry({ service: 'identity', config });
  const logger = createLogger({ service: 'identity', level: config.LOG_LEVEL });
  const store = await openIdentityStore({
    dataDir: config.BAZAAR_DATA_DIR,
    postgres: postgresTarget({ service: 'identity', databaseUrl: config.IDENTITY_DATABASE_URL, serverUrl: config.BAZAAR_POSTGRES_URL, poolSize: config.BAZAAR_POSTGRES_POOL_SIZE }),
  });
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  const app = await buildApp({ config, store, logger });
  app.addHook('onClose', async () => store.close());
  await runService({ app, host: config.HOST, port: config.PORT, logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
});
