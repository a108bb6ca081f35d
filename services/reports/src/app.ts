import { createServiceApp, type Authenticator, type Logger, type ServiceApp, type ServiceCredentials } from '@bazaar/kit';
import { createReports } from './domain/sales.ts';
import type { RebuildControl } from './rebuild.ts';
import { internalRoutes } from './routes/internal.ts';
import { salesRoutes } from './routes/sales.ts';
import type { ReportsStore } from './store/index.ts';

export interface ReportsDeps {
  /** Opened and migrated by the caller, who also closes it. */
  store: ReportsStore;
  logger: Logger;
  /** Verifies callers' access tokens (identity's JWKS in production). */
  auth: Authenticator;
  /** Rebuild requests and progress (the workers' rebuilder). */
  rebuild: RebuildControl;
  /** Credential for /internal endpoints. */
  credentials: ServiceCredentials;
  /** Currency of a report whose query names none. */
  currency: string;
  bodyLimit?: number;
  defaultMetrics?: boolean;
}

/** The reports HTTP app (no listen()): sales analytics from the DuckDB read model. */
export function buildApp(deps: ReportsDeps): ServiceApp {
  const app = createServiceApp({
    name: 'reports',
    description: 'Sales analytics for admins, from orders\' and payments\' events',
    logger: deps.logger,
    auth: deps.auth,
    credentials: deps.credentials,
    // The producers are deliberately not checked: reports answers from its own file while they are down.
    readiness: { store: () => deps.store.ping(), rebuild: () => deps.rebuild.readiness() },
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  app.register(salesRoutes({ reports: createReports({ figures: deps.store, currency: deps.currency }) }));
  app.register(internalRoutes({ rebuild: deps.rebuild }));
  return app;
}
