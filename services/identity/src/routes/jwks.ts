import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/identity';
import type { KeyRing } from '../domain/keys.ts';

/** GET /.well-known/jwks.json: the public keys other services verify access tokens with. */
export function jwksRoutes(deps: { keys: KeyRing }) {
  return async (app: ServiceApp) => {
    serve(app, routes.jwks, async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(deps.keys.jwks));
  };
}
