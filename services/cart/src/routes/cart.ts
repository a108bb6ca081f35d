import type { FastifyReply } from 'fastify';
import { principalOf, serve, type ServiceApp } from '@bazaar/kit';
import { routes, type Cart } from '@bazaar/contracts/cart';
import type { Carts } from '../domain/cart.ts';

/** Every cart answer carries its version as a strong ETag (RFC 9110 §8.8.3): the If-Match of checkout. */
export function withETag(reply: FastifyReply, cart: Cart): Cart {
  void reply.header('etag', `"${cart.version}"`);
  return cart;
}

/**
 * The caller's own cart. The user comes from the access token, never from the
 * URL, so nobody can name another user's cart.
 */
export function cartRoutes(deps: { carts: Carts }) {
  return async (app: ServiceApp) => {
    serve(app, routes.getCart, async (request, reply) => withETag(reply, await deps.carts.get(principalOf(request).id)));
    serve(app, routes.setQuantity, async (request, reply) =>
      withETag(reply, await deps.carts.setQuantity(principalOf(request).id, request.params.productId, request.body.quantity)),
    );
    serve(app, routes.removeItem, async (request, reply) => withETag(reply, await deps.carts.remove(principalOf(request).id, request.params.productId)));
  };
}
