import { principalOf, type Authenticator, type ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { Me, PublicUser, RegisterRequest } from '@bazaar/contracts/identity';
import type { Accounts } from '../domain/accounts.ts';

/** POST /api/identity/register, GET /api/identity/me. */
export function accountRoutes(deps: { accounts: Accounts; auth: Authenticator }) {
  return async (app: ServiceApp) => {
    app.post(
      '/api/identity/register',
      {
        schema: {
          summary: 'Create a customer account',
          tags: ['accounts'],
          body: RegisterRequest,
          response: { 201: PublicUser, ...errorResponses(400, 409) },
        },
      },
      async (request, reply) => {
        const account = await deps.accounts.register(request.body);
        return reply.code(201).send({ id: account.id, email: account.email, name: account.name });
      },
    );

    app.get(
      '/api/identity/me',
      {
        preHandler: deps.auth.requireUser,
        schema: {
          summary: 'The account the access token belongs to',
          tags: ['accounts'],
          security: [{ bearer: [] }],
          response: { 200: Me, ...errorResponses(401) },
        },
      },
      async (request) => deps.accounts.profile(principalOf(request).id),
    );
  };
}
