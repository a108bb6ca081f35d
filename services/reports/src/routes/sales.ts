import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/reports';
import type { Reports } from '../domain/sales.ts';

/** Sales analytics: admins only. */
export function salesRoutes(deps: { reports: Reports }) {
  return async (app: ServiceApp) => {
    serve(app, routes.sales, async (request) => deps.reports.sales(request.query));
  };
}
