import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/identity';
import type { Sessions } from '../domain/sessions.ts';

/** POST /api/identity/login, /refresh and /logout; the revoked-sessions list the gateway polls. Token responses are never cached (RFC 6749 §5.1). */
export function tokenRoutes(deps: { sessions: Sessions }) {
  return async (app: ServiceApp) => {
    serve(app, routes.login, async (request, reply) => reply.header('cache-control', 'no-store').send(await deps.sessions.login(request.body)));
    serve(app, routes.refresh, async (request, reply) => reply.header('cache-control', 'no-store').send(await deps.sessions.refresh(request.body.refreshToken)));
    serve(app, routes.logout, async (request, reply) => {
      await deps.sessions.logout(request.body.refreshToken);
      return reply.code(204).send();
    });
    serve(app, routes.revokedSessions, async (_request, reply) => reply.header('cache-control', 'no-store').send(await deps.sessions.revokedSessions()));
  };
}
