import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/catalog';
import type { Catalog } from '../domain/products.ts';

/** Categories with their product counts. */
export function categoryRoutes(deps: { catalog: Catalog }) {
  return async (app: ServiceApp) => {
    serve(app, routes.listCategories, async () => ({ items: await deps.catalog.categories() }));
  };
}
