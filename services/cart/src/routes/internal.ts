import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/cart';
import type { Carts } from '../domain/cart.ts';

/** Service-to-service: orders reads a user's priced cart at checkout. Never routed by the gateway. */
export function internalRoutes(deps: { carts: Carts }) {
  return async (app: ServiceApp) => {
    serve(app, routes.pricedCart, async (request) => deps.carts.get(request.params.userId));
  };
}
