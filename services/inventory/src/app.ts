import { createServiceApp, type Authenticator, type Logger, type ServiceApp, type ReadinessCheck, type ServiceCredentials } from '@bazaar/kit';
import { eventFeedRoutes } from '@bazaar/messaging';
import { createInventory, type Clock } from './domain/inventory.ts';
import { inventoryRepository, type InventoryStore } from './store/index.ts';
import { stockRoutes } from './routes/stock.ts';
import { reservationRoutes } from './routes/reservations.ts';
import { startSweeper } from './sweeper.ts';

export interface InventoryDeps {
  /** Opened and migrated by the caller, who also closes it (after the app: the sweeper stops first). */
  store: InventoryStore;
  logger: Logger;
  /** Verifies callers' access tokens (identity's JWKS in production). */
  auth: Authenticator;
  /** Credential for /internal endpoints (reservations, the event feed). */
  credentials: ServiceCredentials;
  /** Interval of the expired-reservation sweep; 0 turns the background sweep off (lazy expiry still applies). */
  sweepMs: number;
  /** The time; tests move it instead of waiting. */
  now?: Clock;
  /** More /readyz checks besides the store, e.g. `nats` when events travel over JetStream. */
  readiness?: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  defaultMetrics?: boolean;
}

/** Inventory's HTTP app (no listen()); it runs the expiry sweeper until it is closed. */
export function buildApp(deps: InventoryDeps): ServiceApp {
  const app = createServiceApp({
    name: 'inventory',
    description: 'Stock per product and reservations with expiry',
    logger: deps.logger,
    auth: deps.auth,
    credentials: deps.credentials,
    readiness: { store: () => deps.store.ping(), ...deps.readiness },
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  const inventory = createInventory({ repo: inventoryRepository(deps.store.db), ...(deps.now ? { now: deps.now } : {}) });
  app.register(stockRoutes({ inventory }));
  app.register(reservationRoutes({ inventory }));
  app.register(eventFeedRoutes({ db: deps.store.db }));

  if (deps.sweepMs > 0) {
    const sweeper = startSweeper({ intervalMs: deps.sweepMs, sweep: () => inventory.expireDue(), logger: deps.logger });
    // preClose runs before any onClose hook, so a pass in progress ends before the store closes.
    app.addHook('preClose', async () => sweeper.stop());
  }
  return app;
}
