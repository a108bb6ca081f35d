import { errorResponses } from '@bazaar/contracts/common';
import { SearchQuery, SearchResult } from '@bazaar/contracts/search';
import type { ServiceApp } from '@bazaar/kit';
import { runSearch } from '../domain/search.ts';
import type { SearchReadModel } from '../indexer.ts';

/** GET /api/search: public, read-only. */
export function searchRoutes(deps: { model: SearchReadModel }) {
  return async (app: ServiceApp) => {
    app.get(
      '/api/search',
      {
        schema: {
          summary: 'Search products: words (prefix and typo tolerant), filters, category facets, pages',
          tags: ['search'],
          querystring: SearchQuery,
          response: { 200: SearchResult, ...errorResponses(400) },
        },
      },
      async (request) => runSearch(deps.model.search, request.query),
    );
  };
}
