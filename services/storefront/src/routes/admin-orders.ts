/**
 * The back office's orders, for the admin role: every customer's orders with
 * filters and paging, an order's detail, mark shipped and refund. Every call
 * carries the admin's own token, so orders' admin checks decide what really
 * happens; the guard here only picks the page. Both moves are idempotent at
 * orders, so a double submit ships or refunds once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceApp } from '@bazaar/kit';
import type { AdminListOrdersQuery, OrderStatus } from '@bazaar/contracts/orders';
import { errors } from '../errors.ts';
import type { Pages } from '../render.ts';
import { callerOf } from '../session.ts';
import { upstreamFailure, type AdminOrder, type ShopApi } from '../upstream/shop.ts';
import { form, queryText, requireAdmin, seeOther } from './support.ts';

export interface AdminOrderDeps {
  api: ShopApi;
  pages: Pages;
}

const STATUSES: readonly OrderStatus[] = ['PENDING', 'CONFIRMED', 'SHIPPED', 'REFUNDED', 'CANCELLED'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TRACKING = /^[A-Za-z0-9][A-Za-z0-9 -]*$/;

interface Filters {
  status: string;
  customer: string;
  from: string;
  to: string;
}

type ShipField = 'carrier' | 'trackingNumber';
type RefundField = 'confirm' | 'reason';

/** What the detail page shows besides the order: the forms' values and what was wrong with them. */
interface DetailState {
  status?: number;
  ship?: { values: Record<ShipField, string>; errors: Partial<Record<ShipField, string>> };
  refund?: { values: { restock: boolean; reason: string }; errors: Partial<Record<RefundField, string>> };
  formError?: string;
}

/** The list's filters from the query string, checked: what is wrong is said, not sent to orders. */
function filtersOf(request: FastifyRequest): { filters: Filters; query: AdminListOrdersQuery; problems: string[] } {
  const filters: Filters = { status: queryText(request, 'status'), customer: queryText(request, 'customer').trim(), from: queryText(request, 'from'), to: queryText(request, 'to') };
  const problems: string[] = [];
  const query: AdminListOrdersQuery = { limit: 25 };
  if (filters.status) {
    if (STATUSES.includes(filters.status as OrderStatus)) query.status = filters.status as OrderStatus;
    else problems.push('Choose a status from the list.');
  }
  if (filters.customer) query.userId = filters.customer.slice(0, 100);
  for (const key of ['from', 'to'] as const) {
    if (!filters[key]) continue;
    if (DATE.test(filters[key]) && !Number.isNaN(Date.parse(filters[key]))) query[key] = filters[key];
    else problems.push(`“${key === 'from' ? 'Placed from' : 'Placed until'}” must be a date like 2026-12-31.`);
  }
  if (query.from && query.to && query.from > query.to) problems.push('“Placed from” must not be after “Placed until”.');
  const cursor = queryText(request, 'cursor');
  if (cursor) query.cursor = cursor;
  return { filters, query, problems };
}

/** The query string of the list with these filters (and a cursor), for links. */
function listUrl(filters: Filters, cursor?: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
  if (cursor) params.set('cursor', cursor);
  const qs = params.toString();
  return `/admin/orders${qs ? `?${qs}` : ''}`;
}

export function adminOrderRoutes(deps: AdminOrderDeps) {
  const { api, pages } = deps;

  async function loadOrder(request: FastifyRequest, id: string): Promise<AdminOrder> {
    try {
      return await api.adminOrder(callerOf(request), id);
    } catch (error) {
      if (upstreamFailure(error)?.status === 404) throw errors.ORDER_NOT_FOUND('No order has this id.');
      throw error;
    }
  }

  async function detail(request: FastifyRequest, reply: FastifyReply, order: AdminOrder, state: DetailState = {}) {
    return pages.render(request, reply, 'admin/order', {
      title: `Order ${order.id.slice(0, 8).toUpperCase()}`,
      section: 'admin' as const,
      status: state.status ?? 200,
      order,
      canShip: order.status === 'CONFIRMED',
      canRefund: order.status === 'CONFIRMED' || order.status === 'SHIPPED',
      ship: state.ship ?? { values: { carrier: '', trackingNumber: '' }, errors: {} },
      refund: state.refund ?? { values: { restock: true, reason: '' }, errors: {} },
      formError: state.formError,
      customerOrders: listUrl({ status: '', customer: order.userId, from: '', to: '' }),
    });
  }

  /** The words for what orders or payments answered to a move that did not happen. */
  function moveFailure(error: unknown, what: 'ship' | 'refund'): { status: number; message: string } | undefined {
    const failure = upstreamFailure(error);
    if (!failure) return undefined;
    if (failure.status === 409 || failure.status === 400) return { status: 409, message: failure.detail ?? `This order cannot be ${what === 'ship' ? 'shipped' : 'refunded'} now.` };
    if (failure.status >= 500) {
      return {
        status: failure.status === 504 ? 504 : 503,
        message:
          what === 'refund'
            ? 'The refund did not go through: payments or the card network did not answer. Nothing was refunded and the order is unchanged; try again in a moment.'
            : 'The order service did not answer; the order is unchanged. Try again in a moment.',
      };
    }
    return undefined;
  }

  return async (app: ServiceApp) => {
    app.addHook('preHandler', requireAdmin);

    app.get('/admin/orders', { schema: { hide: true } }, async (request, reply) => {
      const { filters, query, problems } = filtersOf(request);
      let result: { items: AdminOrder[]; nextCursor: string | null } = { items: [], nextCursor: null };
      if (problems.length === 0) {
        try {
          result = await api.adminOrders(callerOf(request), query);
        } catch (error) {
          const failure = upstreamFailure(error);
          if (failure?.status !== 400) throw error;
          problems.push(failure.detail ?? 'The orders service refused these filters.');
        }
      }
      return pages.render(request, reply, 'admin/orders', {
        title: 'Orders',
        section: 'admin' as const,
        status: problems.length > 0 ? 400 : 200,
        filters,
        statuses: STATUSES,
        problems,
        orders: result.items,
        paged: query.cursor !== undefined,
        firstPage: listUrl(filters),
        nextPage: result.nextCursor ? listUrl(filters, result.nextCursor) : undefined,
      });
    });

    app.get('/admin/orders/:id', { schema: { hide: true } }, async (request, reply) => {
      const { id } = request.params as { id: string };
      return detail(request, reply, await loadOrder(request, id));
    });

    app.post('/admin/orders/:id/shipment', { schema: { hide: true } }, async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = form(request);
      const values = { carrier: (body.carrier ?? '').trim(), trackingNumber: (body.trackingNumber ?? '').trim() };
      const errs: Partial<Record<ShipField, string>> = {};
      if (!values.carrier || values.carrier.length > 60) errs.carrier = 'Enter the carrier, e.g. La Poste (up to 60 characters).';
      if (!TRACKING.test(values.trackingNumber) || values.trackingNumber.length > 60) errs.trackingNumber = 'Enter the tracking number: letters, digits, spaces and dashes (up to 60).';
      if (Object.keys(errs).length > 0) return detail(request, reply, await loadOrder(request, id), { status: 422, ship: { values, errors: errs } });
      try {
        await api.shipOrder(callerOf(request), id, values);
      } catch (error) {
        const failure = moveFailure(error, 'ship');
        if (!failure) throw error;
        return detail(request, reply, await loadOrder(request, id), { status: failure.status, ship: { values, errors: {} }, formError: failure.message });
      }
      return seeOther(reply, `/admin/orders/${encodeURIComponent(id)}?notice=order-shipped`);
    });

    app.post('/admin/orders/:id/refund', { schema: { hide: true } }, async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = form(request);
      const values = { restock: body.restock === 'on' || body.restock === 'true', reason: (body.reason ?? '').trim() };
      const errs: Partial<Record<RefundField, string>> = {};
      // The confirmation box: a refund cannot be undone, so it is never one stray click.
      if (body.confirm !== 'yes') errs.confirm = 'Tick the box to confirm the full refund.';
      if (values.reason.length > 300) errs.reason = 'Keep the reason under 300 characters.';
      if (Object.keys(errs).length > 0) return detail(request, reply, await loadOrder(request, id), { status: 422, refund: { values, errors: errs } });
      try {
        await api.refundOrder(callerOf(request), id, { restock: values.restock, ...(values.reason ? { reason: values.reason } : {}) });
      } catch (error) {
        const failure = moveFailure(error, 'refund');
        if (!failure) throw error;
        return detail(request, reply, await loadOrder(request, id), { status: failure.status, refund: { values, errors: {} }, formError: failure.message });
      }
      return seeOther(reply, `/admin/orders/${encodeURIComponent(id)}?notice=order-refunded`);
    });
  };
}
