import { configDefault, createServiceApp, type Authenticator, type Logger, type ServiceApp, type ReadinessCheck, type ServiceCredentials } from '@bazaar/kit';
import { eventFeedRoutes } from '@bazaar/messaging';
import { createBackOffice } from './domain/back-office.ts';
import { createCardVault } from './domain/card-vault.ts';
import { createCheckout } from './domain/checkout.ts';
import { createOrderQueries } from './domain/orders.ts';
import { createSagaRunner } from './domain/runner.ts';
import { adminOrderRoutes } from './routes/admin-orders.ts';
import { checkoutRoutes } from './routes/checkout.ts';
import { orderRoutes } from './routes/orders.ts';
import { newLeaseOwner, orderRepository, type OrdersStore } from './store/index.ts';
import { createUpstreams } from './upstream/index.ts';
import { OrdersConfig } from './config.ts';

/** Timing of checkout and the saga (from config; tests shrink them). */
export interface OrdersSettings {
  cartUrl: string;
  inventoryUrl: string;
  paymentsUrl: string;
  /** NOTIFICATIONS_URL: the back office's order page lists the emails sent about the order. */
  notificationsUrl: string;
  /** SAGA_DEADLINE_MS */
  sagaDeadlineMs: number;
  /** CHECKOUT_WAIT_MS */
  checkoutWaitMs: number;
  /** ORDERS_SWEEP_MS */
  sweepMs: number;
  /** UPSTREAM_TIMEOUT_MS */
  upstreamTimeoutMs: number;
  /** CART_CLEAR_TIMEOUT_MS: longest a confirmed checkout waits for the cart to take the ordered lines out. Default 300. */
  cartClearTimeoutMs?: number;
  reservationTtlSeconds: number;
  /** SAGA_LEASE_MS: how long a saga stays with an instance that stopped renewing its lease. */
  sagaLeaseMs: number;
  /** First retry delay of a failed saga step (doubles up to retryMaxMs). Default 200. */
  retryBaseMs?: number;
  /** Default 2000. */
  retryMaxMs?: number;
  /** Default: the kit's (5000). */
  breakerHalfOpenAfterMs?: number;
}

export interface OrdersDeps {
  /** Opened and migrated by the caller, who also closes it (after the app). */
  store: OrdersStore;
  logger: Logger;
  /** Verifies callers' access tokens (identity's JWKS in production). */
  auth: Authenticator;
  /** Credential for calling /internal endpoints and serving the event feed. */
  credentials: ServiceCredentials;
  settings: OrdersSettings;
  /** More /readyz checks besides the store, e.g. `nats` when events travel over JetStream. */
  readiness?: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  defaultMetrics?: boolean;
}

/**
 * The orders app (no listen()). Sagas are resumed when the app is ready and
 * stop, with their in-flight step saved, when it closes.
 */
export function buildApp(deps: OrdersDeps): ServiceApp {
  const { settings } = deps;
  const app = createServiceApp({
    name: 'orders',
    description: 'Orders and the checkout saga',
    logger: deps.logger,
    auth: deps.auth,
    credentials: deps.credentials,
    readiness: { store: () => deps.store.ping(), ...deps.readiness },
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });

  const orders = orderRepository(deps.store.db, { owner: newLeaseOwner(), ms: settings.sagaLeaseMs });
  const upstreams = createUpstreams({
    cartUrl: settings.cartUrl,
    inventoryUrl: settings.inventoryUrl,
    paymentsUrl: settings.paymentsUrl,
    notificationsUrl: settings.notificationsUrl,
    credentials: deps.credentials,
    timeoutMs: settings.upstreamTimeoutMs,
    ...(settings.breakerHalfOpenAfterMs === undefined ? {} : { breakerHalfOpenAfterMs: settings.breakerHalfOpenAfterMs }),
  });
  const vault = createCardVault();
  const runner = createSagaRunner({
    orders,
    inventory: upstreams.inventory,
    payments: upstreams.payments,
    vault,
    logger: deps.logger,
    settings: {
      sweepMs: settings.sweepMs,
      retry: { baseMs: settings.retryBaseMs ?? 200, maxMs: settings.retryMaxMs ?? 2000 },
      reservationTtlSeconds: settings.reservationTtlSeconds,
    },
  });
  const checkout = createCheckout({
    orders,
    cart: upstreams.cart,
    runner,
    vault,
    logger: deps.logger,
    settings: { deadlineMs: settings.sagaDeadlineMs, cartClearTimeoutMs: settings.cartClearTimeoutMs ?? configDefault(OrdersConfig, 'CART_CLEAR_TIMEOUT_MS') },
  });

  app.register(checkoutRoutes({ checkout, waitMs: settings.checkoutWaitMs }));
  const waitFor = async (orderId: string, ms: number) => {
    await runner.waitFor(orderId, ms).done;
    return !runner.isStopping();
  };
  app.register(orderRoutes({ queries: createOrderQueries({ orders, waitFor }) }));
  app.register(adminOrderRoutes({ backOffice: createBackOffice({ orders, payments: upstreams.payments, notifications: upstreams.notifications }) }));
  app.register(eventFeedRoutes({ db: deps.store.db }));

  app.addHook('onReady', async () => runner.start());
  // Before the server closes: release waiting checkouts, let steps in flight save their result.
  app.addHook('preClose', async () => runner.stop());
  app.addHook('onClose', async () => upstreams.close());
  return app;
}
