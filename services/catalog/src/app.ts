import { createServiceApp, type Authenticator, type Logger, type ServiceApp, type ReadinessCheck, type ServiceCredentials } from '@bazaar/kit';
import { createCatalog } from './domain/products.ts';
import { productRepository, type CatalogStore } from './store/index.ts';
import { productRoutes } from './routes/products.ts';
import { categoryRoutes } from './routes/categories.ts';
import { eventFeedRoutes } from '@bazaar/messaging';

export interface CatalogDeps {
  /** Opened, migrated and seeded by the caller, who also closes it. */
  store: CatalogStore;
  logger: Logger;
  /** Verifies callers' access tokens (identity's JWKS in production). */
  auth: Authenticator;
  currency: string;
  /** Credential for /internal endpoints (the event feed). */
  credentials: ServiceCredentials;
  /** More /readyz checks besides the store, e.g. `nats` when events travel over JetStream. */
  readiness?: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  defaultMetrics?: boolean;
}

/** The catalog's HTTP app (no listen()). */
export function buildApp(deps: CatalogDeps): ServiceApp {
  const app = createServiceApp({
    name: 'catalog',
    description: 'Products, categories and prices',
    logger: deps.logger,
    auth: deps.auth,
    credentials: deps.credentials,
    readiness: { store: () => deps.store.ping(), ...deps.readiness },
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  const catalog = createCatalog({ products: productRepository(deps.store.db), currency: deps.currency });
  app.register(productRoutes({ catalog }));
  app.register(categoryRoutes({ catalog }));
  app.register(eventFeedRoutes({ db: deps.store.db }));
  return app;
}
