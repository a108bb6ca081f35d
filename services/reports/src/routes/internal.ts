import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/reports';
import type { RebuildControl } from '../rebuild.ts';

/** Operations on the read model: internal only (service credential), never routed by the gateway. */
export function internalRoutes(deps: { rebuild: RebuildControl }) {
  return async (app: ServiceApp) => {
    serve(app, routes.requestRebuild, async (_request, reply) => reply.code(202).send({ status: 'rebuilding' as const, ...(await deps.rebuild.request()) }));
    serve(app, routes.rebuildStatus, async () => deps.rebuild.status());
  };
}
