import type { ServiceApp } from '@bazaar/kit';
import { CategoryList } from '@bazaar/contracts/catalog';
import type { Catalog } from '../domain/products.ts';

/** Categories with their product counts. */
export function categoryRoutes(deps: { catalog: Catalog }) {
  return async (app: ServiceApp) => {
    app.get(
      '/api/catalog/categories',
      { schema: { summary: 'All categories, by name, with product counts', tags: ['categories'], response: { 200: CategoryList } } },
      async () => ({ items: await deps.catalog.categories() }),
    );
  };
}
