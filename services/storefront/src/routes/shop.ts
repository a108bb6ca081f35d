/** Browsing: home, category pages, search (with instant suggestions), product pages. */
import type { Clock, Logger, ServiceApp } from '@bazaar/kit';
import type { ProductImageRepository } from '../domain/model.ts';
import { errors } from '../errors.ts';
import type { Pages } from '../render.ts';
import { upstreamFailure, type SearchHit, type ShopApi } from '../upstream/shop.ts';
import { queryText } from './support.ts';
import { refreshing } from '../refreshing.ts';

const PAGE_SIZE = 12;
const HOME_PER_CATEGORY = 4;
const HOME_TTL_MS = 15_000;

/** Price filters of the search page; value = "min-max" in minor units. */
export const PRICE_RANGES = [
  { value: '', label: 'Any price' },
  { value: '0-2500', label: 'Under €25' },
  { value: '2500-5000', label: '€25 to €50' },
  { value: '5000-10000', label: '€50 to €100' },
  { value: '10000-25000', label: '€100 to €250' },
  { value: '25000-', label: '€250 and more' },
];

export interface ShopDeps {
  api: ShopApi;
  pages: Pages;
  images: ProductImageRepository;
  lowStock: number;
  logger: Logger;
  clock?: Clock;
}

export function shopRoutes(deps: ShopDeps) {
  const { api, pages, images } = deps;
  // The home page's rows: a search per category, kept 15 s and refreshed in the background (refreshing.ts).
  const homeRows = refreshing(
    async () => {
      // Not the lenient menu: rows built on a catalog that did not answer would be kept empty for 15 s.
      const categories = await pages.loadCategories();
      try {
        const results = await Promise.all(categories.map((c) => api.search({ category: c.slug, limit: HOME_PER_CATEGORY })));
        return categories.map((category, i) => ({ category, items: (results[i] as { items: SearchHit[] }).items })).filter((r) => r.items.length > 0);
      } catch (error) {
        deps.logger.warn({ err: error }, 'home page products unavailable');
        throw error;
      }
    },
    { ttlMs: HOME_TTL_MS, ...(deps.clock ? { clock: deps.clock } : {}) },
  );

  return async (app: ServiceApp) => {
    app.get('/', { schema: { hide: true } }, async (request, reply) => {
      // The home page is the door: when search is down it still opens, with the departments only.
      // (A failed load is logged where it happens; the rows of before are shown if there are any.)
      const rows = await homeRows().catch(() => []);
      const all = rows.flatMap((r) => r.items.map((p) => p.id));
      return pages.render(request, reply, 'home', { title: 'Good things, honestly priced', rows, images: await images.findMany(all), low: deps.lowStock });
    });

    app.get('/c/:slug', { schema: { hide: true } }, async (request, reply) => {
      const { slug } = request.params as { slug: string };
      const categories = await pages.categories();
      const category = categories.find((c) => c.slug === slug);
      if (!category) throw errors.PAGE_NOT_FOUND(`There is no category "${slug}".`);
      const cursor = queryText(request, 'cursor') || undefined;
      const page = await api.search({ category: slug, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }).catch((error: unknown) => {
        if (upstreamFailure(error)?.status === 400) throw errors.PAGE_NOT_FOUND('This page link is not valid any more.');
        throw error;
      });
      const stock = new Map(page.items.map((p) => [p.id, p.available]));
      return pages.render(request, reply, 'category', {
        title: category.name,
        category,
        items: page.items,
        stock,
        cursor,
        nextCursor: page.nextCursor,
        images: await images.findMany(page.items.map((p) => p.id)),
        low: deps.lowStock,
      });
    });

    app.get('/search', { schema: { hide: true } }, async (request, reply) => {
      const q = queryText(request, 'q').trim();
      const category = queryText(request, 'category');
      const price = queryText(request, 'price');
      const inStock = queryText(request, 'inStock') === 'true';
      const cursor = queryText(request, 'cursor') || undefined;
      const range = PRICE_RANGES.some((r) => r.value === price) ? price : '';
      const [minText = '', maxText = ''] = range.split('-');
      const categories = await pages.categories();
      const validCategory = categories.some((c) => c.slug === category) ? category : '';
      const query = {
        ...(q ? { q } : {}),
        ...(validCategory ? { category: validCategory } : {}),
        ...(minText ? { minPrice: Number(minText) } : {}),
        ...(maxText ? { maxPrice: Number(maxText) - 1 } : {}),
        ...(inStock ? { inStock: true } : {}),
        limit: PAGE_SIZE,
      };
      const result = await api.search({ ...query, ...(cursor ? { cursor } : {}) }).catch(async (error: unknown) => {
        // A stale cursor (the index changed) starts again from the first page.
        if (cursor && upstreamFailure(error)?.status === 400) return api.search(query);
        throw error;
      });
      const params = (extra: Record<string, string>) => {
        const p = new URLSearchParams();
        if (q) p.set('q', q);
        if (validCategory) p.set('category', validCategory);
        if (range) p.set('price', range);
        if (inStock) p.set('inStock', 'true');
        for (const [k, v] of Object.entries(extra)) p.set(k, v);
        return `/search?${p.toString()}`;
      };
      const facetCategories = categories.map((c) => ({ slug: c.slug, name: c.name, count: result.facets.category[c.slug] ?? 0 })).filter((c) => c.count > 0 || c.slug === validCategory);
      return pages.render(request, reply, 'search', {
        title: q ? `Search: ${q}` : 'All products',
        q,
        result,
        filters: { category: validCategory, price: range, inStock },
        facetCategories,
        priceRanges: PRICE_RANGES,
        cursor,
        firstUrl: params({}),
        nextUrl: result.nextCursor ? params({ cursor: result.nextCursor }) : undefined,
        images: await images.findMany(result.items.map((p) => p.id)),
        low: deps.lowStock,
      });
    });

    // Instant search: the script asks for a few names while the shopper types.
    app.get('/search/suggest', { schema: { hide: true } }, async (request, reply) => {
      const q = queryText(request, 'q').trim();
      if (q.length < 2) return reply.header('cache-control', 'no-store').send({ items: [] });
      const result = await api.search({ q, limit: 6 });
      reply.header('cache-control', 'public, max-age=10');
      return { items: result.items.map((p) => ({ id: p.id, name: p.name, price: p.price, url: `/p/${encodeURIComponent(p.id)}` })) };
    });

    app.get('/p/:id', { schema: { hide: true } }, async (request, reply) => {
      const { id } = request.params as { id: string };
      if (id.length > 100) throw errors.PRODUCT_NOT_FOUND();
      // The product and its stock are asked at once (one round trip, not two); stock is shown when inventory
      // answers, and the page works without it.
      const [product, stock, categories, image] = await Promise.all([
        api.product(id).catch((error: unknown) => {
          if (upstreamFailure(error)?.status === 404) throw errors.PRODUCT_NOT_FOUND('It may have been removed from the catalog.');
          throw error;
        }),
        api.stock(id).catch(() => undefined),
        pages.categories(),
        images.find(id),
      ]);
      return pages.render(request, reply, 'product', {
        title: product.name,
        product,
        categoryName: categories.find((c) => c.slug === product.category)?.name ?? product.category,
        available: stock?.available,
        low: deps.lowStock,
        image,
      });
    });
  };
}
