import type { ServiceApp } from '@bazaar/kit';
import { Jwks } from '@bazaar/contracts/identity';
import type { KeyRing } from '../domain/keys.ts';

/** GET /.well-known/jwks.json: the public keys other services verify access tokens with. */
export function jwksRoutes(deps: { keys: KeyRing }) {
  return async (app: ServiceApp) => {
    app.get(
      '/.well-known/jwks.json',
      { schema: { summary: 'Public signing keys (RFC 7517)', tags: ['tokens'], response: { 200: Jwks } } },
      async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(deps.keys.jwks),
    );
  };
}
