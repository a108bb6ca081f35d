import type { ListOrdersQuery, Order, OrderList } from '@bazaar/contracts/orders';
import { errors } from '../errors.ts';
import type { OrderFilter, OrderPosition, OrderRecord, OrderRepository } from './model.ts';

/**
 * Cursors are opaque to clients (the catalog's rules): base64url of the last
 * order's creation time and id. Paging by that unique, immutable key means an
 * order placed between two pages never shifts them.
 */
export function encodeOrderCursor(at: OrderPosition): string {
  return Buffer.from(`o:${at.createdAt}|${at.id}`, 'utf8').toString('base64url');
}

/** The position a cursor stands for, or undefined if it is not one of ours. */
export function decodeOrderCursor(cursor: string): OrderPosition | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const match = /^o:([^|]+)\|(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { createdAt: match[1] as string, id: match[2] as string } : undefined;
}

/**
 * How a long-poll waits for an order to become final: resolves after `ms`, or
 * earlier when it may have; false when this instance is shutting down (its
 * waits end at once), so the long-poll answers with the status it has instead
 * of asking the store again and again until its own time runs out.
 */
export type WaitForOrder = (orderId: string, ms: number) => Promise<boolean>;

/** An order as its customer sees it (and the base of the back office's view). */
export function toOrder(r: OrderRecord): Order {
  return {
    id: r.id,
    status: r.status,
    items: r.items,
    total: r.total,
    ...(r.reason === null ? {} : { reason: r.reason }),
    createdAt: r.createdAt,
    customer: { email: r.email, ...(r.customerName === undefined ? {} : { name: r.customerName }) },
    ...(r.shippingAddress === undefined ? {} : { shippingAddress: r.shippingAddress }),
    ...(r.shipment === undefined ? {} : { shipment: r.shipment }),
    ...(r.refund === undefined ? {} : { refund: r.refund }),
  };
}

/**
 * One page of the orders `filter` selects, newest first, after the query's
 * cursor: the customer's list and the back office's share these rules.
 */
export async function pageOfOrders(orders: OrderRepository, filter: OrderFilter, query: { limit?: number; cursor?: string }): Promise<{ items: OrderRecord[]; nextCursor: string | null }> {
  let after: OrderPosition | undefined;
  if (query.cursor !== undefined) {
    after = decodeOrderCursor(query.cursor);
    if (after === undefined) throw errors.INVALID_CURSOR('Pass back the nextCursor of a previous page unchanged, or omit it for the first page.');
  }
  const page = await orders.page(filter, { limit: query.limit ?? 20, ...(after === undefined ? {} : { after }) });
  const last = page.items.at(-1);
  return { items: page.items, nextCursor: page.more && last ? encodeOrderCursor(last) : null };
}

/** Reading orders: a user sees their own; an admin sees any. */
export function createOrderQueries(deps: { orders: OrderRepository; waitFor?: WaitForOrder; now?: () => number }) {
  const now = deps.now ?? Date.now;

  return {
    /** One page of the user's orders, newest first. */
    async list(userId: string, query: ListOrdersQuery): Promise<OrderList> {
      const page = await pageOfOrders(deps.orders, { userId, ...(query.status === undefined ? {} : { status: query.status }) }, query);
      return { items: page.items.map(toOrder), nextCursor: page.nextCursor };
    },

    /**
     * Someone else's order is 404, not 403: its existence is not disclosed.
     * With `waitUntil` (a long-poll), a PENDING order is answered when it
     * becomes final or at that time, whichever comes first.
     */
    async get(id: string, viewer: { id: string; roles: string[] }, waitUntil?: number): Promise<Order> {
      let order = await deps.orders.get(id);
      if (!order || (order.userId !== viewer.id && !viewer.roles.includes('admin'))) throw errors.ORDER_NOT_FOUND(`You have no order with id ${id}.`);
      // Woken at once when this instance drives the saga; otherwise the store is looked at every quarter second.
      while (order.status === 'PENDING' && waitUntil !== undefined && deps.waitFor && now() < waitUntil) {
        const more = await deps.waitFor(id, Math.min(250, waitUntil - now()));
        order = (await deps.orders.get(id)) ?? order;
        if (!more) break;
      }
      return toOrder(order);
    },
  };
}

export type OrderQueries = ReturnType<typeof createOrderQueries>;
