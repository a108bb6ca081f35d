import { createLogger, loadConfig, main, startService, startTelemetry } from '@bazaar/kit';
import { storeLocation } from '@bazaar/store';
import { buildApp } from './app.ts';
import { IdentityConfig } from './config.ts';
import { openIdentityStore } from './store/index.ts';

await main(async () => {
  const config = loadConfig(IdentityConfig);
  startTelemetry({ service: 'identity', config });
  const logger = createLogger({ service: 'identity', level: config.LOG_LEVEL });
  const store = await openIdentityStore(storeLocation({ service: 'identity', config, databaseUrl: config.IDENTITY_DATABASE_URL }));
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  const app = await buildApp({ config, store, logger });
  app.addHook('onClose', async () => store.close());
  await startService({ app, config, logger });
});
