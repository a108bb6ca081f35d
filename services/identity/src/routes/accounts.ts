import { principalOf, serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/identity';
import type { Accounts } from '../domain/accounts.ts';

/** POST /api/identity/register (202, the same for a new and an existing email), GET /api/identity/me. */
export function accountRoutes(deps: { accounts: Accounts }) {
  return async (app: ServiceApp) => {
    serve(app, routes.register, async (request, reply) => {
      const { email, outcome } = await deps.accounts.register(request.body);
      request.log.info({ outcome }, 'registration');
      return reply.code(202).send({ status: 'accepted', email, message: 'If this email can be registered, its account is ready: log in with the password you chose.' });
    });
    serve(app, routes.me, async (request) => deps.accounts.profile(principalOf(request).id));
  };
}
