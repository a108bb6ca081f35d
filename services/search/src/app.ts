import { createServiceApp, type Logger, type ServiceApp, type ServiceCredentials } from '@bazaar/kit';
import type { SearchReadModel } from './indexer.ts';
import { searchRoutes } from './routes/search.ts';
import { internalRoutes } from './routes/internal.ts';

export interface SearchDeps {
  /** Started and stopped by the caller. */
  model: SearchReadModel;
  logger: Logger;
  /** Credential for /internal endpoints. */
  credentials: ServiceCredentials;
  bodyLimit?: number;
  defaultMetrics?: boolean;
}

/** The search HTTP app (no listen()): the public search and the operator endpoints. */
export function buildApp(deps: SearchDeps): ServiceApp {
  const app = createServiceApp({
    name: 'search',
    description: 'Full-text product search: a read model of the catalog and stock, fed by events',
    logger: deps.logger,
    credentials: deps.credentials,
    // Ready once the index is complete; catalog and inventory being down later only makes it stale, so they are not checks.
    readiness: { index: () => deps.model.checkReady() },
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  app.register(searchRoutes({ model: deps.model }));
  app.register(internalRoutes({ model: deps.model }));
  return app;
}
