import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/identity';
import type { Customers } from '../domain/customers.ts';

/** GET /api/identity/customers (search, paging) and /api/identity/customers/:id, admin only (enforced by the kit from the contract). */
export function customerRoutes(deps: { customers: Customers }) {
  return async (app: ServiceApp) => {
    serve(app, routes.listCustomers, async (request) => deps.customers.list(request.query));
    serve(app, routes.getCustomer, async (request) => deps.customers.get(request.params.id));
  };
}
