import { createServiceApp, type Logger, type ServiceApp } from '@bazaar/kit';
import type { PspConfig } from '@bazaar/contracts/psp';
import { createLedger } from './domain/ledger.ts';
import { createBehaviour } from './domain/behaviour.ts';
import { authorizationRoutes } from './routes/authorizations.ts';
import { adminRoutes } from './routes/admin.ts';

export interface PspSimDeps {
  logger: Logger;
  /** Latency and failure rate at start; changed at run time through PUT /admin/config. */
  behaviour: PspConfig;
  /** Source of randomness for failure decisions (tests pass a fixed one). Default Math.random. */
  random?: () => number;
  /** The clock card expiry is judged by. */
  now?: () => Date;
  /** How the configured latency is waited (tests pass a manual clock's). Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  bodyLimit?: number;
  defaultMetrics?: boolean;
}

/** psp-sim's HTTP app (no listen()). State is in memory, per process. */
export function buildApp(deps: PspSimDeps): ServiceApp {
  const app = createServiceApp({
    name: 'psp-sim',
    description: 'Payment service provider simulator: the stand-in card network',
    logger: deps.logger,
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  const ledger = createLedger(deps.now ? { now: deps.now } : {});
  const behaviour = createBehaviour({ initial: deps.behaviour, ...(deps.random ? { random: deps.random } : {}), ...(deps.sleep ? { sleep: deps.sleep } : {}) });
  app.register(authorizationRoutes({ ledger, behaviour }));
  app.register(adminRoutes({ ledger, behaviour }));
  return app;
}
