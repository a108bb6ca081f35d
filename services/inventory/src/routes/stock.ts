import { principalOf, serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/inventory';
import type { Inventory } from '../domain/inventory.ts';

/** Stock levels: anyone reads, admins set (each change recorded with its reason) and read the adjustments. */
export function stockRoutes(deps: { inventory: Inventory }) {
  return async (app: ServiceApp) => {
    serve(app, routes.stockLevel, async (request) => deps.inventory.stockLevel(request.params.productId));
    serve(app, routes.setStock, async (request) => {
      const { id, email } = principalOf(request);
      return deps.inventory.setStock(request.params.productId, request.body.available, { reason: request.body.reason, by: { id, email } });
    });
    serve(app, routes.stockAdjustments, async (request) => deps.inventory.adjustments(request.params.productId, request.query));
  };
}
