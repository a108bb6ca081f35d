import { principalOf, type Authenticator, type ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { Cart, CartItemParams, SetQuantityRequest } from '@bazaar/contracts/cart';
import type { Carts } from '../domain/cart.ts';

/**
 * The caller's own cart. The user comes from the access token, never from the
 * URL, so nobody can name another user's cart.
 */
export function cartRoutes(deps: { carts: Carts; auth: Authenticator }) {
  return async (app: ServiceApp) => {
    const preHandler = deps.auth.requireUser;
    const doc = { tags: ['cart'], security: [{ bearer: [] }] };

    app.get(
      '/api/cart',
      { preHandler, schema: { ...doc, summary: 'My cart, priced now', response: { 200: Cart, ...errorResponses(401, 503) } } },
      async (request) => deps.carts.get(principalOf(request).id),
    );

    app.put(
      '/api/cart/items/:productId',
      {
        preHandler,
        schema: {
          ...doc,
          summary: 'Set how many of a product my cart holds (0 removes it); answers the updated cart',
          params: CartItemParams,
          body: SetQuantityRequest,
          response: { 200: Cart, ...errorResponses(400, 401, 404, 503) },
        },
      },
      async (request) => deps.carts.setQuantity(principalOf(request).id, request.params.productId, request.body.quantity),
    );

    app.delete(
      '/api/cart/items/:productId',
      {
        preHandler,
        schema: { ...doc, summary: 'Remove a product from my cart (idempotent); answers the updated cart', params: CartItemParams, response: { 200: Cart, ...errorResponses(401, 503) } },
      },
      async (request) => deps.carts.remove(principalOf(request).id, request.params.productId),
    );
  };
}
