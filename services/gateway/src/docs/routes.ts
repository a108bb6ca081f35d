import type { RouteDef } from '@bazaar/contracts';
import type { ServiceApp } from '@bazaar/kit';
import type { RouteTable } from '../routes.ts';
import { DOCS_CSP, renderDocs } from './html.ts';
import { documentFromDescriptors } from './openapi.ts';

/**
 * GET /docs (one browsable HTML reference) and GET /docs/openapi.json (the
 * document), generated once at start-up from the same route descriptors as
 * the routing table: a route the gateway exposes is documented, and nothing
 * else is.
 */
export function docsRoutes(deps: { descriptors: readonly RouteDef[]; routes: RouteTable }) {
  const doc = documentFromDescriptors(deps.descriptors, deps.routes);
  const html = renderDocs(doc);
  return async (app: ServiceApp) => {
    app.get('/docs', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('content-security-policy', DOCS_CSP).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html),
    );
    app.get('/docs/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').send(doc));
  };
}
