import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/payments';
import type { Payments } from '../domain/payments.ts';

/** Internal endpoints (service credential): the checkout saga in orders is the caller. */
export function paymentRoutes(deps: { payments: Payments }) {
  return async (app: ServiceApp) => {
    serve(app, routes.authorize, async (request, reply) => reply.code(201).send(await deps.payments.authorize(request.body)));
    serve(app, routes.get, async (request) => deps.payments.get(request.params.orderId));
    for (const action of ['capture', 'void', 'refund'] as const) {
      serve(app, routes[action], async (request) => deps.payments[action](request.params.orderId));
    }
  };
}
