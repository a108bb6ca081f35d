import { principalOf, serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/cart';
import type { Carts } from '../domain/cart.ts';

/**
 * The caller's own cart. The user comes from the access token, never from the
 * URL, so nobody can name another user's cart.
 */
export function cartRoutes(deps: { carts: Carts }) {
  return async (app: ServiceApp) => {
    serve(app, routes.getCart, async (request) => deps.carts.get(principalOf(request).id));
    serve(app, routes.setQuantity, async (request) => deps.carts.setQuantity(principalOf(request).id, request.params.productId, request.body.quantity));
    serve(app, routes.removeItem, async (request) => deps.carts.remove(principalOf(request).id, request.params.productId));
  };
}
