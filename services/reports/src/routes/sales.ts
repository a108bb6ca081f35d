import type { Authenticator, ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { SalesQuery, SalesReport } from '@bazaar/contracts/reports';
import type { Reports } from '../domain/sales.ts';

/** Sales analytics: admins only. */
export function salesRoutes(deps: { reports: Reports; auth: Authenticator }) {
  // onRequest, so an anonymous caller gets 401 and a customer 403 before any 400 about the query.
  const adminOnly = deps.auth.requireRole('admin');
  return async (app: ServiceApp) => {
    app.get(
      '/api/reports/sales',
      {
        onRequest: adminOnly,
        schema: {
          summary: 'Sales of a window of days: orders, revenue, per day, top products, cancellations (admin)',
          description:
            'from/to are inclusive: YYYY-MM-DD is the whole UTC day, a date-time that instant. Without them: all time. ' +
            'Revenue is net of refunds; amounts are integer minor units.',
          tags: ['reports'],
          security: [{ bearer: [] }],
          querystring: SalesQuery,
          response: { 200: SalesReport, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => deps.reports.sales(request.query),
    );
  };
}
