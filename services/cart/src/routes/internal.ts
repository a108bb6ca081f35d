import { requireService, type ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { Cart, UserIdParams } from '@bazaar/contracts/cart';
import type { Carts } from '../domain/cart.ts';

/** Service-to-service: orders reads a user's priced cart at checkout. Never routed by the gateway. */
export function internalRoutes(deps: { carts: Carts; serviceToken: string }) {
  return async (app: ServiceApp) => {
    app.get(
      '/internal/carts/:userId',
      {
        preHandler: requireService(deps.serviceToken),
        schema: { summary: "A user's cart, priced now (internal: service credential)", tags: ['internal'], params: UserIdParams, response: { 200: Cart, ...errorResponses(401, 403, 503) } },
      },
      async (request) => deps.carts.get(request.params.userId),
    );
  };
}
