import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/search';
import { runSearch } from '../domain/search.ts';
import type { SearchReadModel } from '../indexer.ts';

/** GET /api/search: public, read-only. */
export function searchRoutes(deps: { model: SearchReadModel }) {
  return async (app: ServiceApp) => {
    serve(app, routes.search, async (request) => runSearch(deps.model.search, request.query));
  };
}
