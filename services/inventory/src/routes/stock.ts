import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/inventory';
import type { Inventory } from '../domain/inventory.ts';

/** Stock levels: anyone reads, admins set. */
export function stockRoutes(deps: { inventory: Inventory }) {
  return async (app: ServiceApp) => {
    serve(app, routes.stockLevel, async (request) => deps.inventory.stockLevel(request.params.productId));
    serve(app, routes.setStock, async (request) => deps.inventory.setStock(request.params.productId, request.body.available));
  };
}
