import { Type } from 'typebox';
import { errorResponses } from '@bazaar/contracts/common';
import { requireService, type ServiceApp } from '@bazaar/kit';
import type { SearchReadModel } from '../indexer.ts';

const SourceStatus = Type.Object({ position: Type.Integer(), caughtUp: Type.Boolean(), error: Type.Optional(Type.String()) });
const IndexStatus = Type.Object({
  phase: Type.Union([Type.Literal('starting'), Type.Literal('rebuilding'), Type.Literal('ready')]),
  rebuildReason: Type.Union([Type.String(), Type.Null()]),
  products: Type.Integer(),
  eventsApplied: Type.Integer(),
  sources: Type.Record(Type.String(), SourceStatus),
  lastSnapshotAt: Type.Union([Type.String(), Type.Null()]),
});

/** Operator endpoints (service credential; never routed by the gateway). */
export function internalRoutes(deps: { model: SearchReadModel; serviceToken: string }) {
  const internal = requireService(deps.serviceToken);
  return async (app: ServiceApp) => {
    app.get(
      '/internal/search/status',
      { preHandler: internal, schema: { summary: 'Index phase, size and feed positions', tags: ['internal'], response: { 200: IndexStatus, ...errorResponses(401, 403) } } },
      async () => deps.model.status(),
    );

    app.post(
      '/internal/search/rebuild',
      {
        preHandler: internal,
        schema: { summary: 'Drop the index and its snapshot and rebuild from every feed\'s history', tags: ['internal'], response: { 202: IndexStatus, ...errorResponses(401, 403) } },
      },
      async (request, reply) => {
        request.log.warn('index rebuild requested');
        await deps.model.rebuild('requested through POST /internal/search/rebuild');
        return reply.code(202).send(deps.model.status());
      },
    );
  };
}
