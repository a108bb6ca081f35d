/**
 * The back office's customers: list and search (email or name), paged newest
 * first, and one customer's page linking to their orders. Calls identity with
 * the admin's own token, so identity's admin check decides what is shown.
 */
import type { ServiceApp } from '@bazaar/kit';
import { errors } from '../errors.ts';
import type { Pages } from '../render.ts';
import { callerOf } from '../session.ts';
import { upstreamFailure, type ShopApi } from '../upstream/shop.ts';
import { queryText, requireAdmin } from './support.ts';

const CUSTOMERS_PER_PAGE = 25;

export interface AdminCustomersDeps {
  api: ShopApi;
  pages: Pages;
}

export function adminCustomerRoutes(deps: AdminCustomersDeps) {
  const { api, pages } = deps;
  return async (app: ServiceApp) => {
    app.addHook('preHandler', requireAdmin);

    app.get('/admin/customers', { schema: { hide: true } }, async (request, reply) => {
      const q = queryText(request, 'q').trim().slice(0, 200);
      const cursor = queryText(request, 'cursor') || undefined;
      const result = await api.customers(callerOf(request), { limit: CUSTOMERS_PER_PAGE, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) }).catch((error: unknown) => {
        // A cursor from an old link is no reason for an error page: start again from the newest.
        if (upstreamFailure(error)?.code === 'INVALID_CURSOR') return undefined;
        throw error;
      });
      const page = result ?? (await api.customers(callerOf(request), { limit: CUSTOMERS_PER_PAGE, ...(q ? { q } : {}) }));
      return pages.render(request, reply, 'admin/customers', { title: 'Customers', section: 'admin', q, result: page, cursor: result ? cursor : undefined });
    });

    app.get('/admin/customers/:id', { schema: { hide: true } }, async (request, reply) => {
      const { id } = request.params as { id: string };
      if (id.length > 100) throw errors.CUSTOMER_NOT_FOUND();
      const customer = await api.customer(callerOf(request), id).catch((error: unknown) => {
        if (upstreamFailure(error)?.status === 404) throw errors.CUSTOMER_NOT_FOUND();
        throw error;
      });
      return pages.render(request, reply, 'admin/customer', { title: customer.name, section: 'admin', customer });
    });
  };
}
