import { principalOf, type Authenticator, type ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { Order, OrderIdParams, OrderList } from '@bazaar/contracts/orders';
import type { OrderQueries } from '../domain/orders.ts';

/** The caller's orders; an admin may read any single order. */
export function orderRoutes(deps: { queries: OrderQueries; auth: Authenticator }) {
  return async (app: ServiceApp) => {
    app.get(
      '/api/orders',
      {
        preHandler: deps.auth.requireUser,
        schema: { summary: 'Your orders, newest first', tags: ['orders'], security: [{ bearer: [] }], response: { 200: OrderList, ...errorResponses(401) } },
      },
      async (request) => deps.queries.list(principalOf(request).id),
    );

    app.get(
      '/api/orders/:id',
      {
        preHandler: deps.auth.requireUser,
        schema: { summary: 'One order (yours, or any for an admin)', tags: ['orders'], security: [{ bearer: [] }], params: OrderIdParams, response: { 200: Order, ...errorResponses(401, 404) } },
      },
      async (request) => deps.queries.get(request.params.id, principalOf(request)),
    );
  };
}
