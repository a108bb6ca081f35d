import type { Authenticator, ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { ProductIdParams, SetStockRequest, StockLevel } from '@bazaar/contracts/inventory';
import type { Inventory } from '../domain/inventory.ts';

/** Stock levels: anyone reads, admins set. */
export function stockRoutes(deps: { inventory: Inventory; auth: Authenticator }) {
  return async (app: ServiceApp) => {
    app.get(
      '/api/inventory/:productId',
      { schema: { summary: 'Units of a product available to buy', tags: ['stock'], params: ProductIdParams, response: { 200: StockLevel, ...errorResponses(400, 404) } } },
      async (request) => deps.inventory.stockLevel(request.params.productId),
    );

    app.put(
      '/api/inventory/:productId',
      {
        preHandler: deps.auth.requireRole('admin'),
        schema: {
          summary: 'Set the units available (admin); reserved and committed units are unchanged',
          tags: ['stock'],
          security: [{ bearer: [] }],
          params: ProductIdParams,
          body: SetStockRequest,
          response: { 200: StockLevel, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => deps.inventory.setStock(request.params.productId, request.body.available),
    );
  };
}
