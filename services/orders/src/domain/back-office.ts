import type { AdminListOrdersQuery, AdminOrder, AdminOrderList, OrderEmail, RefundOrderRequest, ShipOrderRequest } from '@bazaar/contracts/orders';
import { errors } from '../errors.ts';
import type { NotificationsPort, OrderFilter, OrderRecord, OrderRepository, PaymentsPort, Refund } from './model.ts';
import { pageOfOrders, toOrder } from './orders.ts';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A query date as an instant (ms): a bare date is the start of that day, UTC. */
function instant(value: string, name: 'from' | 'to'): number {
  const ms = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00.000Z` : value);
  if (Number.isNaN(ms)) throw errors.INVALID_DATE(`${name}=${value} is not a real date; use YYYY-MM-DD or an ISO 8601 date-time.`);
  return ms;
}

/** The back office's filters as the store's: `to` is inclusive (a bare date: that whole day). */
export function adminFilter(query: AdminListOrdersQuery): OrderFilter {
  const from = query.from === undefined ? undefined : instant(query.from, 'from');
  const to = query.to === undefined ? undefined : instant(query.to, 'to') + (DATE_ONLY.test(query.to) ? DAY_MS : 1);
  return {
    ...(query.userId === undefined ? {} : { userId: query.userId }),
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(from === undefined ? {} : { from: new Date(from).toISOString() }),
    ...(to === undefined ? {} : { before: new Date(to).toISOString() }),
  };
}

const toAdmin = (r: OrderRecord, paymentStatus?: string, emails?: OrderEmail[]): AdminOrder => ({
  ...toOrder(r),
  userId: r.userId,
  ...(paymentStatus === undefined ? {} : { paymentStatus }),
  ...(emails === undefined ? {} : { emails }),
});

/** Whether a refund request asks for what was already done (a retry or a double submit). */
const sameRefund = (done: Refund, req: RefundOrderRequest) => done.restock === req.restock && done.reason === req.reason;

/**
 * The back office's orders: every customer's orders, and the two moves an
 * admin makes after confirmation. Both are idempotent: the same request again
 * answers the same order and changes nothing (one event, one PSP refund); a
 * different one on an order already moved is a 409 that says what was done.
 */
export function createBackOffice(deps: { orders: OrderRepository; payments: Pick<PaymentsPort, 'refund' | 'status'>; notifications: NotificationsPort; now?: () => string }) {
  const now = deps.now ?? (() => new Date().toISOString());

  async function find(id: string): Promise<OrderRecord> {
    const order = await deps.orders.get(id);
    if (!order) throw errors.ORDER_NOT_FOUND(`There is no order with id ${id}.`);
    return order;
  }

  /**
   * The order with its payment's state and the emails sent about it, asked
   * side by side; a service that does not answer leaves its part out rather
   * than fail the page (the back office still ships and refunds).
   */
  async function withPaymentAndEmails(order: OrderRecord): Promise<AdminOrder> {
    const [status, emails] = await Promise.all([deps.payments.status(order.id).catch(() => undefined), deps.notifications.emailsFor(order.id).catch(() => undefined)]);
    return toAdmin(order, status, emails);
  }

  function shippedAnswer(order: OrderRecord, req: ShipOrderRequest): AdminOrder {
    const shipment = order.shipment;
    if (shipment && shipment.carrier === req.carrier && shipment.trackingNumber === req.trackingNumber) return toAdmin(order);
    if (shipment) {
      throw errors.ALREADY_SHIPPED(`Order ${order.id} was shipped on ${shipment.shippedAt} with ${shipment.carrier}, tracking ${shipment.trackingNumber}; a shipment is not changed once made.`, {
        shipment,
      });
    }
    throw errors.ORDER_NOT_SHIPPABLE(`Order ${order.id} is ${order.status}; only a CONFIRMED order can be shipped.`, { status: order.status });
  }

  function refundedAnswer(order: OrderRecord, req: RefundOrderRequest): AdminOrder {
    const refund = order.refund;
    if (refund && sameRefund(refund, req)) return toAdmin(order);
    if (refund) {
      throw errors.ALREADY_REFUNDED(`Order ${order.id} was already refunded on ${refund.refundedAt} (restock: ${refund.restock ? 'yes' : 'no'}); nothing more was refunded.`, { refund });
    }
    throw errors.ORDER_NOT_REFUNDABLE(`Order ${order.id} is ${order.status}; only a CONFIRMED or SHIPPED order can be refunded.`, { status: order.status });
  }

  return {
    /** One page of every customer's orders, newest first, filtered. */
    async list(query: AdminListOrdersQuery): Promise<AdminOrderList> {
      const page = await pageOfOrders(deps.orders, adminFilter(query), query);
      return { items: page.items.map((r) => toAdmin(r)), nextCursor: page.nextCursor };
    },

    async get(id: string): Promise<AdminOrder> {
      return withPaymentAndEmails(await find(id));
    },

    /** CONFIRMED → SHIPPED; the same shipment again is the same answer. */
    async ship(id: string, req: ShipOrderRequest): Promise<AdminOrder> {
      const order = await find(id);
      if (order.status !== 'CONFIRMED') return shippedAnswer(order, req);
      await deps.orders.ship(id, { carrier: req.carrier, trackingNumber: req.trackingNumber, shippedAt: now() });
      // Read back either way: when another admin (or a refund) got there first, the answer is for what the order now is.
      return shippedAnswer(await find(id), req);
    },

    /**
     * Refund through payments first, then record it: when payments or the PSP
     * fails, the order is left as it was and the admin may simply try again
     * (payments' refund is idempotent, so a retry after a lost answer never
     * refunds twice).
     */
    async refund(id: string, req: RefundOrderRequest): Promise<AdminOrder> {
      const order = await find(id);
      if (order.status !== 'CONFIRMED' && order.status !== 'SHIPPED') return refundedAnswer(order, req);
      await deps.payments.refund(id);
      // Conditional on the status: a racing refund records once, and both answer the recorded refund.
      await deps.orders.refund(id, { amount: order.total, restock: req.restock, ...(req.reason === undefined ? {} : { reason: req.reason }), refundedAt: now() });
      return refundedAnswer(await find(id), req);
    },
  };
}

export type BackOffice = ReturnType<typeof createBackOffice>;
