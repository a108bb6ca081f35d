import { principalOf, serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/orders';
import type { OrderQueries } from '../domain/orders.ts';

/** The caller's orders; an admin may read any single order. */
export function orderRoutes(deps: { queries: OrderQueries }) {
  return async (app: ServiceApp) => {
    serve(app, routes.listOrders, async (request) => deps.queries.list(principalOf(request).id));
    serve(app, routes.getOrder, async (request) => deps.queries.get(request.params.id, principalOf(request)));
  };
}
