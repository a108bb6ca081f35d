import { principalOf, serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/identity';
import type { Accounts } from '../domain/accounts.ts';

/** POST /api/identity/register, GET /api/identity/me. */
export function accountRoutes(deps: { accounts: Accounts }) {
  return async (app: ServiceApp) => {
    serve(app, routes.register, async (request, reply) => {
      const account = await deps.accounts.register(request.body);
      return reply.code(201).send({ id: account.id, email: account.email, name: account.name });
    });
    serve(app, routes.me, async (request) => deps.accounts.profile(principalOf(request).id));
  };
}
