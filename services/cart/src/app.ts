import { createServiceApp, type Authenticator, type Logger, type ServiceApp, type ReadinessCheck, type ServiceCredentials } from '@bazaar/kit';
import { createCarts, MAX_LINES, type ProductLookup } from './domain/cart.ts';
import { cartRoutes } from './routes/cart.ts';
import { internalRoutes } from './routes/internal.ts';
import { sqliteCartStore, type CartDatabase, type CartStore } from './store/index.ts';

export interface CartDeps {
  /** Opened and migrated by the caller, who also closes it. */
  store: CartDatabase;
  /** Where carts live when not in `store` (Redis, with REDIS_URL; `store` keeps the inbox). The caller closes it. */
  cartStore?: CartStore;
  /** Where names and prices come from (the catalog over HTTP in production). */
  products: ProductLookup;
  logger: Logger;
  /** Verifies callers' access tokens (identity's JWKS in production). */
  auth: Authenticator;
  /** Currency of cart totals (the catalog's). */
  currency: string;
  /** Credential for /internal endpoints. */
  credentials: ServiceCredentials;
  /** More /readyz checks besides the store, e.g. `nats` when events travel over JetStream. */
  readiness?: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  defaultMetrics?: boolean;
}

/** The cart's HTTP app (no listen(); the event consumer is started by main.ts). */
export function buildApp(deps: CartDeps): ServiceApp {
  const app = createServiceApp({
    name: 'cart',
    description: 'One cart per user, priced from the catalog at read time',
    logger: deps.logger,
    auth: deps.auth,
    credentials: deps.credentials,
    readiness: { store: () => deps.store.ping(), ...deps.readiness },
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  const carts = createCarts({
    store: deps.cartStore ?? sqliteCartStore(deps.store.db, { maxLines: MAX_LINES }),
    products: deps.products,
    currency: deps.currency,
    logger: deps.logger,
  });
  app.register(cartRoutes({ carts }));
  app.register(internalRoutes({ carts }));
  return app;
}
