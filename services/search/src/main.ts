import { createLogger, loadConfig, main, startService, startTelemetry, serviceCredentials } from '@bazaar/kit';
import { SearchConfig, snapshotDir } from './config.ts';
import { buildApp } from './app.ts';
import { httpFeeds } from './upstream/feeds.ts';
import { createIndexer } from './indexer.ts';
import { snapshotStore } from './store/snapshot.ts';

await main(async () => {
  const config = loadConfig(SearchConfig);
  const credentials = serviceCredentials('search', config);
  startTelemetry({ service: 'search', config });
  const logger = createLogger({ service: 'search', level: config.LOG_LEVEL });
  const snapshots = snapshotStore(snapshotDir(config.BAZAAR_DATA_DIR));
  const indexer = createIndexer({
    feeds: httpFeeds({
      urls: { catalog: config.CATALOG_URL, inventory: config.INVENTORY_URL },
      credentials,
      logger,
      waitMs: config.SEARCH_FEED_WAIT_MS,
    }),
    snapshots,
    logger,
    snapshotIntervalMs: config.SEARCH_SNAPSHOT_INTERVAL_MS,
  });
  await indexer.start();
  logger.info({ snapshot: snapshots.location, catalog: config.CATALOG_URL, inventory: config.INVENTORY_URL }, 'indexing catalog and inventory events');
  const app = buildApp({ model: indexer, logger, credentials, bodyLimit: config.BODY_LIMIT_BYTES });
  // After requests drain: stop the feeds, then save the last snapshot.
  app.addHook('onClose', async () => indexer.stop());
  await startService({ app, config, logger });
});
