import { Type, type Static } from 'typebox';
import { Money } from './common.ts';
import { OPERATOR, access, defineRoute } from './route.ts';
import { CategorySlug } from './catalog.ts';

/** Contract of the search service (routes under /api/search): a read model of the catalog and stock. */

/** Bound for prices in filters: the same ceiling Money has. */
const MAX_MINOR_UNITS = 100_000_000_000;

export const SearchQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Words to look for; prefixes and small typos match. Empty: every product' })),
    category: Type.Optional(CategorySlug),
    minPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_MINOR_UNITS, description: 'Lowest price, in minor units (e.g. cents), inclusive' })),
    maxPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_MINOR_UNITS, description: 'Highest price, in minor units (e.g. cents), inclusive' })),
    inStock: Type.Optional(Type.Boolean({ description: 'true: only products with units available; false: only products without' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The nextCursor of the previous page, unchanged' })),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

export const SearchHit = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  price: Money,
  /** Units available, as inventory last reported them (0 until it has). */
  available: Type.Integer({ minimum: 0 }),
  /** Relevance to q (higher is better); 0 when q is empty. */
  score: Type.Number({ minimum: 0 }),
});
export type SearchHit = Static<typeof SearchHit>;

export const SearchResult = Type.Object({
  items: Type.Array(SearchHit),
  /** Matches of q and every filter, over all pages. */
  total: Type.Integer({ minimum: 0 }),
  /** Matches per category, for q and every filter except category (so other categories stay visible). */
  facets: Type.Object({ category: Type.Record(Type.String(), Type.Integer({ minimum: 0 })) }),
  /** Pass as cursor for the next page; null on the last page. */
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type SearchResult = Static<typeof SearchResult>;

const SourceStatus = Type.Object({ position: Type.Integer(), caughtUp: Type.Boolean(), error: Type.Optional(Type.String()) });
export const IndexStatus = Type.Object({
  phase: Type.Union([Type.Literal('starting'), Type.Literal('rebuilding'), Type.Literal('ready')]),
  rebuildReason: Type.Union([Type.String(), Type.Null()]),
  products: Type.Integer(),
  eventsApplied: Type.Integer(),
  sources: Type.Record(Type.String(), SourceStatus),
  lastSnapshotAt: Type.Union([Type.String(), Type.Null()]),
});
export type IndexStatus = Static<typeof IndexStatus>;

/** The search service's routes: public search; status and rebuild for operators (service credential). */
export const routes = {
  search: defineRoute({
    service: 'search', method: 'GET', path: '/api/search', access: access.public,
    summary: 'Search products: words (prefix and typo tolerant), filters, category facets, pages', tags: ['search'],
    query: SearchQuery, responses: { 200: SearchResult }, errors: [400],
  }),
  status: defineRoute({
    service: 'search', method: 'GET', path: '/internal/search/status', access: access.service(OPERATOR),
    summary: 'Index phase, size and feed positions', tags: ['internal'],
    responses: { 200: IndexStatus }, errors: [401, 403],
  }),
  rebuild: defineRoute({
    service: 'search', method: 'POST', path: '/internal/search/rebuild', access: access.service(OPERATOR),
    summary: "Drop the index and its snapshot and rebuild from every feed's history", tags: ['internal'],
    responses: { 202: IndexStatus }, errors: [401, 403],
  }),
};
