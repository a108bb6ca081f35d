import { createServiceApp, type Logger, type ServiceApp, type ServiceClient, type ReadinessCheck, type ServiceCredentials } from '@bazaar/kit';
import { eventFeedRoutes } from '@bazaar/messaging';
import { createPayments } from './domain/payments.ts';
import { pspGateway } from './upstream/psp-sim.ts';
import { paymentRepository, type PaymentsStore } from './store/index.ts';
import { paymentRoutes } from './routes/payments.ts';
import { startReconciler } from './reconciler.ts';

export interface PaymentsDeps {
  /** Opened and migrated by the caller, who also closes it. */
  store: PaymentsStore;
  logger: Logger;
  /** Client for psp-sim (createServiceClient: timeout, retries, breaker); closed by the caller. */
  psp: ServiceClient;
  /** Credential for /internal endpoints. */
  credentials: ServiceCredentials;
  /** More /readyz checks besides the store, e.g. `nats` when events travel over JetStream. */
  readiness?: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  defaultMetrics?: boolean;
  /** Run the reconciliation sweep of stale intents (PAYMENTS_RECONCILE_*); off when absent (tests drive it). */
  reconcile?: { intervalMs: number; olderThanMs: number };
}

/** The payments HTTP app (no listen()). */
export function buildApp(deps: PaymentsDeps): ServiceApp {
  const app = createServiceApp({
    name: 'payments',
    description: 'Payment intents: authorize, capture, void, refund',
    logger: deps.logger,
    credentials: deps.credentials,
    // The PSP is not a readiness check on purpose: without it payments can still answer reads and
    // replays, and pulling every instance out of rotation would turn a PSP outage into a payments outage.
    readiness: { store: () => deps.store.ping(), ...deps.readiness },
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  const payments = createPayments({ payments: paymentRepository(deps.store.db), psp: pspGateway(deps.psp) });
  app.register(paymentRoutes({ payments }));
  if (deps.reconcile) {
    const { intervalMs, olderThanMs } = deps.reconcile;
    const reconciler = startReconciler({ intervalMs, reconcile: () => payments.reconcile({ olderThanMs }), logger: deps.logger });
    app.addHook('preClose', async () => reconciler.stop());
  }
  app.register(eventFeedRoutes({ db: deps.store.db }));
  return app;
}
