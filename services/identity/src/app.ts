import { createAuthenticator, createServiceApp, type Logger, type ServiceApp } from '@bazaar/kit';
import { DEFAULT_ADMIN_PASSWORD, type IdentityConfigValues } from './config.ts';
import { createAccounts } from './domain/accounts.ts';
import { createCustomers } from './domain/customers.ts';
import { loadKeyRing } from './domain/keys.ts';
import type { Clock } from './domain/model.ts';
import { createSessions } from './domain/sessions.ts';
import { accountRoutes } from './routes/accounts.ts';
import { customerRoutes } from './routes/customers.ts';
import { jwksRoutes } from './routes/jwks.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { repositories, type IdentityStore } from './store/index.ts';

export interface IdentityDeps {
  config: IdentityConfigValues;
  /** Opened and migrated by the caller, who also closes it. */
  store: IdentityStore;
  logger: Logger;
  /** Current time in ms; tests move it to expire tokens. */
  clock?: Clock;
  defaultMetrics?: boolean;
}

/**
 * Identity's HTTP app. Start-up work happens here, before any request:
 * load (or create) the signing keys and make sure the admin account exists.
 */
export async function buildApp(deps: IdentityDeps): Promise<ServiceApp> {
  const { config, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const repos = repositories(deps.store.db);

  const { ring, created } = await loadKeyRing(repos.signingKeys, clock);
  if (created) logger.info({ kid: created }, 'generated a new token signing key');

  const accounts = createAccounts({ users: repos.users, clock });
  const admin = await accounts.ensureAdmin({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD, name: config.ADMIN_NAME });
  if (admin === 'created') logger.info({ email: config.ADMIN_EMAIL }, 'admin account created');
  if (admin === 'exists-without-admin-role') {
    logger.warn({ email: config.ADMIN_EMAIL }, 'ADMIN_EMAIL belongs to an existing account without the admin role; it was not promoted');
  }
  if (config.ADMIN_PASSWORD === DEFAULT_ADMIN_PASSWORD) {
    logger.warn('ADMIN_PASSWORD is the documented default: set it before this service is reachable by anyone else');
  }

  const sessions = createSessions({
    users: repos.users,
    refreshTokens: repos.refreshTokens,
    keys: ring,
    clock,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    sessionMaxSeconds: config.SESSION_MAX_SECONDS,
    logger,
  });
  // Identity verifies its own tokens with the keys it publishes, exactly as other services do.
  const auth = createAuthenticator(ring.verifier);

  const app = createServiceApp({
    name: 'identity',
    description: 'Users, password hashes, roles and refresh tokens; issues JWTs and serves the JWKS',
    logger,
    auth,
    bodyLimit: config.BODY_LIMIT_BYTES,
    readiness: { store: () => deps.store.ping() },
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  app.register(accountRoutes({ accounts }));
  app.register(tokenRoutes({ sessions }));
  app.register(jwksRoutes({ keys: ring }));
  app.register(customerRoutes({ customers: createCustomers({ users: repos.users }) }));
  return app;
}
