import { principalOf, serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/orders';
import type { OrderQueries } from '../domain/orders.ts';
import { answerBy } from './deadline.ts';

/** The caller's orders; an admin may read any single order. */
export function orderRoutes(deps: { queries: OrderQueries }) {
  return async (app: ServiceApp) => {
    serve(app, routes.listOrders, async (request) => deps.queries.list(principalOf(request).id, request.query));
    serve(app, routes.getOrder, async (request) => {
      const wait = request.query.wait;
      const until = wait === undefined || wait === 0 ? undefined : answerBy(request, Date.now(), wait * 1000);
      return deps.queries.get(request.params.id, principalOf(request), until);
    });
  };
}
