import { Type } from 'typebox';
import { requireService, type ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { RebuildAccepted } from '@bazaar/contracts/reports';
import type { RebuildControl } from '../rebuild.ts';

const FeedStatus = Type.Object({ position: Type.Integer({ minimum: 0 }), feed: Type.String() });
const RebuildStatus = Type.Object({
  rebuilding: Type.Boolean(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  events: Type.Integer({ minimum: 0 }),
  sources: Type.Record(Type.String(), FeedStatus),
});

/** Operations on the read model: internal only (service credential), never routed by the gateway. */
export function internalRoutes(deps: { rebuild: RebuildControl; serviceToken: string }) {
  const internal = requireService(deps.serviceToken);
  return async (app: ServiceApp) => {
    app.post(
      '/internal/reports/rebuild',
      { preHandler: internal, schema: { hide: true, response: { 202: RebuildAccepted, ...errorResponses(401, 403) } } },
      async (_request, reply) => reply.code(202).send({ status: 'rebuilding' as const, ...(await deps.rebuild.request()) }),
    );
    app.get(
      '/internal/reports/rebuild',
      { preHandler: internal, schema: { hide: true, response: { 200: RebuildStatus, ...errorResponses(401, 403) } } },
      async () => deps.rebuild.status(),
    );
  };
}
