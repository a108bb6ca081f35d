import type { ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { LoginRequest, RefreshRequest, TokenPair } from '@bazaar/contracts/identity';
import type { Sessions } from '../domain/sessions.ts';

/** POST /api/identity/login, POST /api/identity/refresh. */
export function tokenRoutes(deps: { sessions: Sessions }) {
  return async (app: ServiceApp) => {
    app.post(
      '/api/identity/login',
      {
        schema: {
          summary: 'Exchange email and password for an access and a refresh token',
          tags: ['tokens'],
          body: LoginRequest,
          response: { 200: TokenPair, ...errorResponses(400, 401) },
        },
      },
      async (request, reply) => {
        const pair = await deps.sessions.login(request.body);
        // Token responses must not be cached (RFC 6749 §5.1).
        return reply.header('cache-control', 'no-store').send(pair);
      },
    );

    app.post(
      '/api/identity/refresh',
      {
        schema: {
          summary: 'Exchange a refresh token for a new pair; the presented one stops working',
          tags: ['tokens'],
          body: RefreshRequest,
          response: { 200: TokenPair, ...errorResponses(400, 401) },
        },
      },
      async (request, reply) => {
        const pair = await deps.sessions.refresh(request.body.refreshToken);
        return reply.header('cache-control', 'no-store').send(pair);
      },
    );
  };
}
