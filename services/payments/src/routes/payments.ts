import { requireService, type ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { AuthorizeRequest, OrderIdParams, Payment } from '@bazaar/contracts/payments';
import type { Payments } from '../domain/payments.ts';

/** Internal endpoints (service credential): the checkout saga in orders is the caller. */
export function paymentRoutes(deps: { payments: Payments; serviceToken: string }) {
  return async (app: ServiceApp) => {
    const preHandler = requireService(deps.serviceToken);
    const tags = ['payments'];

    app.post(
      '/internal/payments/authorize',
      {
        preHandler,
        schema: {
          summary: 'Authorize the amount of an order on a card (idempotent by orderId, also across PSP timeouts)',
          tags,
          body: AuthorizeRequest,
          response: { 201: Payment, ...errorResponses(400, 401, 402, 403, 409, 503, 504) },
        },
      },
      async (request, reply) => reply.code(201).send(await deps.payments.authorize(request.body)),
    );

    app.get(
      '/internal/payments/:orderId',
      { preHandler, schema: { summary: "An order's payment", tags, params: OrderIdParams, response: { 200: Payment, ...errorResponses(401, 403, 404) } } },
      async (request) => deps.payments.get(request.params.orderId),
    );

    const actions = [
      { action: 'capture', summary: 'Capture an authorized payment (idempotent)' },
      { action: 'void', summary: 'Void an authorized payment (idempotent; a declined one is a no-op)' },
      { action: 'refund', summary: 'Refund a captured payment (idempotent)' },
    ] as const;
    for (const { action, summary } of actions) {
      app.post(
        `/internal/payments/:orderId/${action}`,
        { preHandler, schema: { summary, tags, params: OrderIdParams, response: { 200: Payment, ...errorResponses(401, 403, 404, 409, 503, 504) } } },
        async (request) => deps.payments[action](request.params.orderId),
      );
    }
  };
}
