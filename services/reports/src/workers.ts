import type { Logger, ServiceCredentials } from '@bazaar/kit';
import { createConsumers } from './consumers.ts';
import type { Source } from './events.ts';
import { feedProbe } from '@bazaar/messaging';
import { createRebuilder, type Rebuilder } from './rebuild.ts';
import type { ReportsStore } from './store/index.ts';

export interface WorkerOptions {
  store: ReportsStore;
  logger: Logger;
  /** Base URL of each producer whose feed is read. */
  urls: Record<Source, string>;
  credentials: ServiceCredentials;
  /** Long-poll wait on the feeds (default: the transport's). */
  feedWaitMs?: number;
  /** Pause after a short feed page (default: none). */
  feedLingerMs?: number;
  /** How often a rebuild checks whether it has caught up. */
  rebuildCheckMs?: number;
}

/**
 * The service's background work: read the feeds into DuckDB, and watch a
 * rebuild until it has caught up. stop() ends both and waits for the event
 * in progress, so the store can be closed after it.
 */
export async function startReportsWorkers(opts: WorkerOptions): Promise<{ rebuilder: Rebuilder; stop(): Promise<void> }> {
  const consumers = createConsumers({
    store: opts.store,
    logger: opts.logger,
    urls: opts.urls,
    credentials: opts.credentials,
    ...(opts.feedWaitMs === undefined ? {} : { feedWaitMs: opts.feedWaitMs }),
    ...(opts.feedLingerMs === undefined ? {} : { feedLingerMs: opts.feedLingerMs }),
  });
  const probe = feedProbe<Source>({ urls: opts.urls, credentials: opts.credentials });
  const rebuilder = createRebuilder({
    store: opts.store,
    consumers,
    probe,
    logger: opts.logger,
    ...(opts.rebuildCheckMs === undefined ? {} : { checkEveryMs: opts.rebuildCheckMs }),
  });
  consumers.start();
  await rebuilder.start();
  return {
    rebuilder,
    async stop() {
      await rebuilder.stop();
      await consumers.stop();
      await probe.close();
    },
  };
}
