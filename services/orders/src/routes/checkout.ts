import { formatTraceparent, principalOf, serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/orders';
import { pathOf } from '@bazaar/contracts/route';
import { errors } from '../errors.ts';
import type { Checkout } from '../domain/checkout.ts';
import { answerBy } from './deadline.ts';

/** POST /api/checkout: the user's cart becomes an order, paid through the checkout saga. */
export function checkoutRoutes(deps: { checkout: Checkout; waitMs: number }) {
  return async (app: ServiceApp) => {
    serve(app, routes.checkout, async (request, reply) => {
      const startedAt = Date.now();
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || key.length === 0) {
        throw errors.IDEMPOTENCY_KEY_REQUIRED('Send an Idempotency-Key header (1–200 characters, e.g. a UUID) so a retried checkout never orders twice.');
      }
      const ifMatch = request.headers['if-match'];
      if (typeof ifMatch !== 'string' || ifMatch.trim() === '' || ifMatch.trim() === '*') {
        throw errors.CART_VERSION_REQUIRED('Send If-Match with the ETag of the cart you showed (GET /api/cart answers it), so the order is made at exactly those prices.');
      }
      const user = principalOf(request);
      const result = await deps.checkout.checkout({
        user: { id: user.id, email: user.email },
        key,
        ifMatch,
        body: request.body,
        traceparent: formatTraceparent(request.bazaar.traceId, request.bazaar.spanId, request.bazaar.traceFlags),
        answerBy: answerBy(request, startedAt, deps.waitMs),
        receivedAt: request.bazaar.receivedAt,
      });
      if (result.status !== 'PENDING') return reply.code(201).send(result);
      // Still running: where to look, and when (RFC 9110 §10.2.2, §10.2.3). GET …?wait= answers as soon as it is final.
      return reply.code(202).header('location', pathOf(routes.getOrder, { id: result.orderId })).header('retry-after', '1').send(result);
    });
  };
}
