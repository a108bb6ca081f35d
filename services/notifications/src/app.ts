import { createServiceApp, type Logger, type ServiceApp, type ReadinessCheck, type ServiceCredentials } from '@bazaar/kit';
import { emailRepository, type NotificationsStore } from './store/index.ts';
import { emailRoutes } from './routes/emails.ts';

export interface NotificationsDeps {
  /** Opened and migrated by the caller, who also closes it. */
  store: NotificationsStore;
  logger: Logger;
  /** Credential for /internal endpoints. */
  credentials: ServiceCredentials;
  /** More /readyz checks besides the store, e.g. `nats` when events travel over JetStream. */
  readiness?: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  defaultMetrics?: boolean;
}

/** The notifications HTTP app (no listen()): health, metrics and the internal email records. */
export function buildApp(deps: NotificationsDeps): ServiceApp {
  const app = createServiceApp({
    name: 'notifications',
    description: 'Emails about orders, sent over SMTP exactly once per event',
    logger: deps.logger,
    credentials: deps.credentials,
    // SMTP is deliberately not a readiness check: emails queue while it is down and go out when it is back.
    readiness: { store: () => deps.store.ping(), ...deps.readiness },
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  app.register(emailRoutes({ emails: emailRepository(deps.store.db) }));
  return app;
}
