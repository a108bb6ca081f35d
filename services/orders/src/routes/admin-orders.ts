import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/orders';
import type { BackOffice } from '../domain/back-office.ts';

/** The back office's orders (admin role, checked from the descriptors' access). */
export function adminOrderRoutes(deps: { backOffice: BackOffice }) {
  return async (app: ServiceApp) => {
    serve(app, routes.adminListOrders, async (request) => deps.backOffice.list(request.query));
    serve(app, routes.adminGetOrder, async (request) => deps.backOffice.get(request.params.id));
    serve(app, routes.shipOrder, async (request) => deps.backOffice.ship(request.params.id, request.body));
    serve(app, routes.refundOrder, async (request) => deps.backOffice.refund(request.params.id, request.body));
  };
}
