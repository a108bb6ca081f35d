import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/cart';
import type { Carts } from '../domain/cart.ts';

/**
 * Service-to-service, never routed by the gateway: orders reads a user's
 * priced cart at checkout, and tells the cart which lines an order it just
 * confirmed bought (before answering the shopper; the event stays the guarantee).
 */
export function internalRoutes(deps: { carts: Carts }) {
  return async (app: ServiceApp) => {
    serve(app, routes.pricedCart, async (request) => deps.carts.get(request.params.userId));
    serve(app, routes.removeOrdered, async (request, reply) => {
      await deps.carts.removeOrdered(request.params.userId, request.body);
      return reply.code(204).send();
    });
  };
}
