import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/inventory';
import type { Inventory } from '../domain/inventory.ts';

/** Reservations, for the checkout saga (orders). Internal: service credential only, never routed by the gateway. */
export function reservationRoutes(deps: { inventory: Inventory }) {
  return async (app: ServiceApp) => {
    serve(app, routes.reserve, async (request, reply) => {
      const { created, reservation } = await deps.inventory.reserve(request.body);
      return reply.code(created ? 201 : 200).send(reservation);
    });
    serve(app, routes.reservation, async (request) => deps.inventory.reservation(request.params.orderId));
    serve(app, routes.commit, async (request) => deps.inventory.commit(request.params.orderId));
    serve(app, routes.release, async (request) => deps.inventory.release(request.params.orderId));
  };
}
