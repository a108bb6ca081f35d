import { requireService, type ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { OrderIdParams, Reservation, ReserveRequest } from '@bazaar/contracts/inventory';
import type { Inventory } from '../domain/inventory.ts';

/** Reservations, for the checkout saga (orders). Internal: service credential only, never routed by the gateway. */
export function reservationRoutes(deps: { inventory: Inventory; serviceToken: string }) {
  return async (app: ServiceApp) => {
    const preHandler = requireService(deps.serviceToken);
    const tags = ['reservations'];

    app.post(
      '/internal/inventory/reservations',
      {
        preHandler,
        schema: {
          summary: 'Reserve every item or none; the same orderId again returns its reservation (200) without reserving twice',
          tags,
          body: ReserveRequest,
          response: { 200: Reservation, 201: Reservation, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const { created, reservation } = await deps.inventory.reserve(request.body);
        return reply.code(created ? 201 : 200).send(reservation);
      },
    );

    app.get(
      '/internal/inventory/reservations/:orderId',
      { preHandler, schema: { summary: 'The reservation of an order', tags, params: OrderIdParams, response: { 200: Reservation, ...errorResponses(401, 403, 404) } } },
      async (request) => deps.inventory.reservation(request.params.orderId),
    );

    app.post(
      '/internal/inventory/reservations/:orderId/commit',
      {
        preHandler,
        schema: { summary: 'The reserved stock is sold (idempotent)', tags, params: OrderIdParams, response: { 200: Reservation, ...errorResponses(401, 403, 404, 409) } },
      },
      async (request) => deps.inventory.commit(request.params.orderId),
    );

    app.post(
      '/internal/inventory/reservations/:orderId/release',
      {
        preHandler,
        schema: { summary: 'The reserved stock goes back on sale (idempotent)', tags, params: OrderIdParams, response: { 200: Reservation, ...errorResponses(401, 403, 404, 409) } },
      },
      async (request) => deps.inventory.release(request.params.orderId),
    );
  };
}
