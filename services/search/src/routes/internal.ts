import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/search';
import type { SearchReadModel } from '../indexer.ts';

/** Operator endpoints (service credential; never routed by the gateway). */
export function internalRoutes(deps: { model: SearchReadModel }) {
  return async (app: ServiceApp) => {
    serve(app, routes.status, async () => deps.model.status());
    serve(app, routes.rebuild, async (request, reply) => {
      request.log.warn('index rebuild requested');
      await deps.model.rebuild('requested through POST /internal/search/rebuild');
      return reply.code(202).send(deps.model.status());
    });
  };
}
