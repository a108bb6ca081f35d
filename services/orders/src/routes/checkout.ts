import { Type } from 'typebox';
import { principalOf, type Authenticator, type ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { CheckoutRequest, CheckoutResponse } from '@bazaar/contracts/orders';
import { errors } from '../errors.ts';
import type { Checkout } from '../domain/checkout.ts';

const CheckoutHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Chosen by the client, one per checkout attempt; a retry sends the same key and body' })),
});

/** POST /api/checkout: the user's cart becomes an order, paid through the checkout saga. */
export function checkoutRoutes(deps: { checkout: Checkout; auth: Authenticator }) {
  return async (app: ServiceApp) => {
    app.post(
      '/api/checkout',
      {
        preHandler: deps.auth.requireUser,
        schema: {
          summary: 'Check out the cart: 201 with the final status, or 202 PENDING while the saga is still running',
          tags: ['checkout'],
          security: [{ bearer: [] }],
          headers: CheckoutHeaders,
          body: CheckoutRequest,
          response: {
            201: { ...CheckoutResponse, description: 'The saga finished: CONFIRMED or CANCELLED (see the order for the reason)' },
            202: { ...CheckoutResponse, description: 'Still PENDING; poll GET /api/orders/:id' },
            ...errorResponses(400, 401, 409, 422, 502, 503, 504),
          },
        },
      },
      async (request, reply) => {
        const startedAt = Date.now();
        const key = request.headers['idempotency-key'];
        if (typeof key !== 'string' || key.length === 0) {
          throw errors.IDEMPOTENCY_KEY_REQUIRED('Send an Idempotency-Key header (1–200 characters, e.g. a UUID) so a retried checkout never orders twice.');
        }
        const user = principalOf(request);
        const result = await deps.checkout.checkout({
          user: { id: user.id, email: user.email },
          key,
          body: request.body,
          traceId: request.bazaar.traceId,
          startedAt,
        });
        return reply.code(result.status === 'PENDING' ? 202 : 201).send(result);
      },
    );
  };
}
