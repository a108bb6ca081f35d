import type { SearchQuery, SearchResult } from '@bazaar/contracts/search';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { SearchPage, SearchParams } from './product-index.ts';

/** Default page size when the query names none. */
export const DEFAULT_LIMIT = 20;

/**
 * Run a search query (already checked against its schema): check what the
 * schema cannot (the cursor, the price range), search, and hand out the
 * next page's cursor.
 */
export function runSearch(search: (params: SearchParams) => SearchPage, query: SearchQuery): SearchResult {
  const { minPrice, maxPrice } = query;
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
    throw errors.INVALID_PRICE_RANGE(`minPrice (${minPrice}) is above maxPrice (${maxPrice}); both are in minor units (cents) and inclusive.`);
  }
  let offset = 0;
  if (query.cursor !== undefined) {
    const decoded = decodeCursor(query.cursor);
    if (decoded === undefined) throw errors.INVALID_CURSOR('Pass back the nextCursor of a previous page unchanged, or omit it for the first page.');
    offset = decoded;
  }
  const page = search({ q: query.q, category: query.category, minPrice, maxPrice, inStock: query.inStock, limit: query.limit ?? DEFAULT_LIMIT, offset });
  return { items: page.items, total: page.total, facets: page.facets, nextCursor: page.nextOffset === null ? null : encodeCursor(page.nextOffset) };
}
