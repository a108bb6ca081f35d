import { Type, type Static } from 'typebox';
import { Money } from './common.ts';
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
